"""POST /v1/referrals and /v1/referrals_for_multiple_advocates: referral codes for advocates
in a campaign of the key's application, codes unique in the application's case; every
refusal a 400 (or 401/403) that stores nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
import talon_one
from fastapi.testclient import TestClient

from carrot.store import tables
from carrot.store.db import Database
from tests.api.management.test_campaigns import create_campaign, revision_of
from tests.conftest import Api, create_application, create_integration_key

FUTURE = "2099-01-01T00:00:00Z"
PAST = "2001-01-01T00:00:00Z"


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return create_campaign(mgmt, application, features=["referrals"])


def create(integration: Api, campaign: dict[str, Any], **fields: Any) -> Any:
    body = {"campaignId": campaign["id"], "advocateProfileIntegrationId": "alice", **fields}
    return integration.post("/v1/referrals", json=body)


def create_many(integration: Api, campaign: dict[str, Any], silent: str, **fields: Any) -> Any:
    body = {
        "campaignId": campaign["id"],
        "advocateProfileIntegrationIds": ["alice", "bob"],
        "usageLimit": 2,
        **fields,
    }
    return integration.post(
        "/v1/referrals_for_multiple_advocates", params={"silent": silent}, json=body
    )


def stored(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(sa.select(tables.referrals).order_by(tables.referrals.c.id)))


def test_created_referral_has_talon_ones_fields_and_defaults(
    integration: Api, campaign: dict[str, Any]
) -> None:
    response = create(integration, campaign)

    assert response.status_code == 201, response.text
    referral = response.json()
    assert re.fullmatch(r"[A-Z0-9]{8}", referral["code"])
    assert referral["created"].endswith("Z") and isinstance(referral["id"], int)
    assert {k: v for k, v in referral.items() if k not in ("id", "created", "code")} == {
        "usageLimit": 0,
        "campaignId": campaign["id"],
        "advocateProfileIntegrationId": "alice",
        "attributes": {},
        "usageCounter": 0,
    }


def test_every_field_is_stored(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    body = {"entity": "Referral", "name": "channel", "title": "Channel", "type": "string"}
    assert mgmt.post("/v1/attributes", json=body).status_code == 201
    fields = {
        "friendProfileIntegrationId": "bob",
        "startDate": PAST,
        "expiryDate": FUTURE,
        "usageLimit": 3,
        "attributes": {"channel": "email"},
    }

    referral = create(integration, campaign, **fields).json()

    assert {key: referral[key] for key in fields} == fields
    listed = mgmt.get(
        f"/v1/applications/{application['id']}/campaigns/{campaign['id']}/referrals/no_total"
    ).json()["data"]
    assert listed == [referral]


def test_the_campaigns_referral_settings_make_the_code(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    settings = {"couponPattern": "REF-####", "validCharacters": ["z"]}
    campaign = create_campaign(mgmt, application, features=["referrals"], referralSettings=settings)

    referral = create(integration, campaign).json()

    assert referral["code"] == "REF-zzzz"


def test_codes_take_the_applications_case(client: TestClient, mgmt: Api) -> None:
    application = create_application(mgmt, caseSensitivity="insensitive-lowercase")
    settings = {"couponPattern": "REF-####", "validCharacters": ["Q"]}
    campaign = create_campaign(mgmt, application, features=["referrals"], referralSettings=settings)
    integration = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")

    assert create(integration, campaign).json()["code"] == "ref-qqqq"


def test_codes_never_repeat_and_a_full_pattern_is_refused(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    settings = {"couponPattern": "REF-##", "validCharacters": ["1", "2"]}  # 4 codes
    campaign = create_campaign(mgmt, application, features=["referrals"], referralSettings=settings)

    made = {create(integration, campaign).json()["code"] for _ in range(4)}
    before = stored(db)
    full = create(integration, campaign)

    assert made == {"REF-11", "REF-12", "REF-21", "REF-22"}
    assert full.status_code == 400
    assert "Only 0 of 1 new referral codes could be made" in full.json()["message"]
    assert stored(db) == before


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"campaignId": None}, "/campaignId"),
        ({"campaignId": "1"}, "/campaignId"),
        ({"advocateProfileIntegrationId": None}, "/advocateProfileIntegrationId"),
        ({"advocateProfileIntegrationId": ""}, "/advocateProfileIntegrationId"),
        ({"advocateProfileIntegrationId": "x" * 1001}, "/advocateProfileIntegrationId"),
        ({"friendProfileIntegrationId": "alice"}, "/friendProfileIntegrationId"),
        ({"usageLimit": 1_000_000}, "/usageLimit"),
        ({"usageLimit": -1}, "/usageLimit"),
        ({"startDate": FUTURE, "expiryDate": PAST}, "/expiryDate"),
        ({"startDate": "soon"}, "/startDate"),
        ({"attributes": {"unknown": 1}}, "/attributes/unknown"),
        ({"attributes": []}, "/attributes"),
    ],
)
def test_invalid_referral_is_a_400_naming_the_field(
    db: Database,
    integration: Api,
    campaign: dict[str, Any],
    fields: dict[str, Any],
    pointer: str,
) -> None:
    response = create(integration, campaign, **fields)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert stored(db) == []


def test_campaign_must_be_of_the_keys_application_and_take_referrals(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    elsewhere = create_application(mgmt)
    theirs = create_campaign(mgmt, elsewhere, features=["referrals"])
    plain = create_campaign(mgmt, application, name="plain")

    refused = [create(integration, target) for target in (theirs, plain, {"id": 987654})]

    assert [response.status_code for response in refused] == [400, 400, 400]
    assert all(
        response.json()["errors"][0]["source"] == {"pointer": "/campaignId"} for response in refused
    )
    assert f"Campaign {theirs['id']} not found" in refused[0].json()["message"]
    assert "does not have the referrals feature" in refused[1].json()["message"]
    assert stored(db) == []


def test_referrals_for_many_advocates_share_a_batch(
    integration: Api, campaign: dict[str, Any]
) -> None:
    response = create_many(
        integration,
        campaign,
        "no",
        advocateProfileIntegrationIds=["alice", "bob", "alice", "carol"],
        referralPattern="FRIEND-####",
        validCharacters=["a", "b", "c"],
    )

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["totalResultSize"] == 3
    data = answer["data"]
    assert [r["advocateProfileIntegrationId"] for r in data] == ["alice", "bob", "carol"]
    assert all(re.fullmatch(r"FRIEND-[abc]{4}", r["code"]) for r in data)
    assert len({r["code"] for r in data}) == 3
    assert len({r["batchId"] for r in data}) == 1 and {r["usageLimit"] for r in data} == {2}


def test_silent_creation_for_many_answers_204(
    db: Database, integration: Api, campaign: dict[str, Any]
) -> None:
    response = create_many(integration, campaign, "yes")

    assert response.status_code == 204 and response.content == b""
    assert [row.advocate_profile_integration_id for row in stored(db)] == ["alice", "bob"]


def test_many_advocates_get_distinct_codes_until_the_pattern_is_full(
    db: Database, integration: Api, campaign: dict[str, Any]
) -> None:
    small = {"referralPattern": "AB##", "validCharacters": ["1", "2", "3"]}  # 9 codes
    advocates = [f"advocate-{n}" for n in range(9)]

    made = create_many(
        integration, campaign, "no", advocateProfileIntegrationIds=advocates, **small
    )
    too_many = create_many(integration, campaign, "no", **small)

    assert len({r["code"] for r in made.json()["data"]}) == 9
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["source"] == {"pointer": "/referralPattern"}
    assert len(stored(db)) == 9


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"advocateProfileIntegrationIds": []}, "/advocateProfileIntegrationIds"),
        ({"advocateProfileIntegrationIds": ["a"] * 1001}, "/advocateProfileIntegrationIds"),
        ({"advocateProfileIntegrationIds": ["ok", ""]}, "/advocateProfileIntegrationIds/1"),
        ({"usageLimit": None}, "/usageLimit"),
        ({"referralPattern": "##"}, "/referralPattern"),
        ({"referralPattern": "A##", "validCharacters": ["1"]}, "/referralPattern"),
        ({"validCharacters": ["12"]}, "/validCharacters/0"),
    ],
)
def test_invalid_referrals_for_many_are_a_400_naming_the_field(
    db: Database,
    integration: Api,
    campaign: dict[str, Any],
    fields: dict[str, Any],
    pointer: str,
) -> None:
    response = create_many(integration, campaign, "no", **fields)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert stored(db) == []


JUNK = [
    [],
    "referral",
    17,
    None,
    {"campaignId": {"nested": True}},
    {"campaignId": 2**70, "advocateProfileIntegrationId": "a"},
    {"campaignId": 1.5, "advocateProfileIntegrationId": "a"},
    {"campaignId": 1, "advocateProfileIntegrationId": ["a"]},
    {"campaignId": 1, "advocateProfileIntegrationId": "a\u0000"},
    {"campaignId": 1, "advocateProfileIntegrationIds": "a,b", "usageLimit": 1},
    {"campaignId": 1, "advocateProfileIntegrationIds": ["\ud800"], "usageLimit": 1},
    {"campaignId": 1, "advocateProfileIntegrationId": "a", "usageLimit": float("nan")},
    {"campaignId": 1, "advocateProfileIntegrationId": "a", "expiryDate": 5},
    {"campaignId": 1, "advocateProfileIntegrationId": "a", "attributes": "x"},
    {"campaignId": 1, "advocateProfileIntegrationId": "a", "attributes": {"x": float("inf")}},
]


@pytest.mark.parametrize("body", JUNK)
def test_junk_bodies_are_refused_without_server_errors(
    db: Database, integration: Api, campaign: dict[str, Any], body: Any
) -> None:
    if isinstance(body, dict) and body.get("campaignId") == 1:
        body = {**body, "campaignId": campaign["id"]}

    one = integration.post(
        "/v1/referrals", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    many = integration.post(
        "/v1/referrals_for_multiple_advocates",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    assert (one.status_code, many.status_code) == (400, 400)
    assert stored(db) == []


def test_keys_other_than_the_applications_integration_key_are_refused(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
) -> None:
    staging = Api(
        client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'], type='staging')}"
    )

    assert create(mgmt, campaign).status_code == 401
    assert create(Api(client, "ApiKey-v1 nonsense"), campaign).status_code == 401
    assert create_many(mgmt, campaign, "yes").status_code == 401
    assert create(staging, campaign).status_code == 403
    assert create_many(staging, campaign, "yes").status_code == 403
    assert stored(db) == []


def test_creating_referrals_bumps_the_revision(
    db: Database, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    before = revision_of(db, application)
    create(integration, campaign)
    middle = revision_of(db, application)
    create_many(integration, campaign, "yes")

    assert before < middle < revision_of(db, application)


def sdk(body: Any, model: str) -> Any:
    class Response:
        data = json.dumps(body)

    return talon_one.ApiClient().deserialize(Response(), model)


def test_answers_read_as_the_sdks_models(integration: Api, campaign: dict[str, Any]) -> None:
    one = create(integration, campaign, expiryDate=FUTURE).json()
    many = create_many(integration, campaign, "no").json()

    assert sdk(one, "Referral").expiry_date.year == 2099
    assert sdk(many, "InlineResponse201").data[1].advocate_profile_integration_id == "bob"
