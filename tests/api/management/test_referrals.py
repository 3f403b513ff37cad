"""Referrals through the Management API: CSV import (all or nothing), the list with
Talon.One's filters, update, delete and CSV export; keys limited to other applications
and Integration API keys are refused; every change bumps the application's revision."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import sqlalchemy as sa
import talon_one
from fastapi.testclient import TestClient

from carrot.store import tables
from carrot.store.db import Database
from tests.api.management.test_campaigns import create_campaign, limited_key, revision_of
from tests.conftest import Api, create_application, create_integration_key

PAST = "2001-01-01T00:00:00Z"
FUTURE = "2099-01-01T00:00:00Z"
HEADER = "code,advocateprofileintegrationid,startdate,expirydate,limitval,attributes\n"


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return create_campaign(mgmt, application, features=["referrals"])


def url(application: dict[str, Any], campaign: dict[str, Any], path: str) -> str:
    return f"/v1/applications/{application['id']}/campaigns/{campaign['id']}{path}"


def import_csv(mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], text: str) -> Any:
    return mgmt.post(
        url(application, campaign, "/import_referrals"),
        content=text.encode(),
        headers={"Content-Type": "text/csv"},
    )


def listed(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], **params: Any
) -> list[dict[str, Any]]:
    response = mgmt.get(url(application, campaign, "/referrals/no_total"), params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def codes(found: list[dict[str, Any]]) -> set[str]:
    return {referral["code"] for referral in found}


def stored(db: Database) -> list[Any]:
    with db.read() as conn:
        return [
            conn.execute(sa.select(table).order_by(table.c.id)).all()
            for table in (tables.referrals, tables.imports)
        ]


def define_referral_attribute(mgmt: Api) -> None:
    body = {"entity": "Referral", "name": "channel", "title": "Channel", "type": "string"}
    assert mgmt.post("/v1/attributes", json=body).status_code == 201


@pytest.fixture
def imported(mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]) -> dict[str, Any]:
    """Referrals in every state the filters tell apart."""
    text = HEADER + (
        "EXPIRED-1,alice,,2001-01-01T00:00:00Z,1,\n"
        "NOW-2,bob,2001-01-01T00:00:00Z,2099-01-01T00:00:00Z,,\n"
        "FUTURE-3,carol,2099-01-01T00:00:00Z,,5,\n"
        "OPEN-4,alice,,,0,\n"
    )
    response = import_csv(mgmt, application, campaign, text)
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


def test_import_creates_a_referral_per_line(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    define_referral_attribute(mgmt)
    text = (
        "code,startdate,expirydate,advocateprofileintegrationid,limitval,attributes\n"
        'REFERRAL_CODE1,2020-11-10T23:00:00Z,2099-11-11T23:00:00Z,integid_4,1,"{""channel"": ""mail""}"\n'
        "REFERRAL_CODE2,,,integid1,,\n"
    )

    response = import_csv(mgmt, application, campaign, text)

    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["entity"], done["amount"], done["accountId"]) == ("Referral", 2, 1)
    first, second = listed(mgmt, application, campaign)
    assert {key: value for key, value in first.items() if key not in ("id", "created")} == {
        "code": "REFERRAL_CODE1",
        "advocateProfileIntegrationId": "integid_4",
        "startDate": "2020-11-10T23:00:00Z",
        "expiryDate": "2099-11-11T23:00:00Z",
        "usageLimit": 1,
        "campaignId": campaign["id"],
        "attributes": {"channel": "mail"},
        "importId": done["id"],
        "usageCounter": 0,
        "batchId": first["batchId"],
    }
    assert second["usageLimit"] == 1 and second["batchId"] == first["batchId"]


def test_import_takes_a_multipart_file(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    response = mgmt.post(
        url(application, campaign, "/import_referrals"),
        files={"upFile": ("r.csv", b"code,advocateprofileintegrationid\r\nFILE-1,dana\r\n")},
    )

    assert response.status_code == 200, response.text
    assert codes(listed(mgmt, application, campaign)) == {"FILE-1"}


def test_import_of_a_bad_file_names_every_bad_line_and_imports_nothing(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    text = HEADER + (
        "GOOD-1,alice,,,,\n"
        "GOOD-2,,,,,\n"
        "GOOD-3,bob,later,,,\n"
        "GOOD-4,bob,,,lots,\n"
        "GOOD-5,bob,2099-01-01T00:00:00Z,2001-01-01T00:00:00Z,,\n"
        'GOOD-6,bob,,,,"{""unknown"": 1}"\n'
        "GOOD-1,bob,,,,\n"
        "abc,bob,,,,\n"
    )

    response = import_csv(mgmt, application, campaign, text)

    assert response.status_code == 400
    details = [error["details"] for error in response.json()["errors"]]
    assert [detail.split(":")[0] for detail in details] == [
        "Line 3, column advocateprofileintegrationid",
        "Line 4, column startdate",
        "Line 5, column limitval",
        "Line 6",
        "Line 7, column attributes",
        "Line 8, column code",
        "Line 9, column code",
    ]
    assert stored(db) == [[], []]


def test_existing_codes_fail_the_import(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = create_campaign(mgmt, application, features=["referrals"])
    assert import_csv(mgmt, application, other, HEADER + "TAKEN,a,,,,\n").status_code == 200
    before = stored(db)

    response = import_csv(mgmt, application, campaign, HEADER + "FRESH,a,,,,\nTAKEN,b,,,,\n")

    assert response.status_code == 400
    assert response.json()["message"] == "Line 3, column code: The code 'TAKEN' exists already."
    assert stored(db) == before


@pytest.mark.parametrize(
    "text",
    ["code\nABCD\n", "advocateprofileintegrationid\nann\n", "code,advocate\nABCD,ann\n", ""],
)
def test_import_needs_the_code_and_advocate_columns(
    mgmt: Api, db: Database, application: dict[str, Any], campaign: dict[str, Any], text: str
) -> None:
    response = import_csv(mgmt, application, campaign, text)

    assert response.status_code == 400
    assert response.json()["message"].startswith("Line 1: ")
    assert stored(db) == [[], []]


def test_campaign_without_the_referrals_feature_takes_no_import(
    mgmt: Api, application: dict[str, Any]
) -> None:
    plain = create_campaign(mgmt, application, name="plain", features=["coupons"])

    response = import_csv(mgmt, application, plain, HEADER + "CODE-1,ann,,,,\n")

    assert response.status_code == 400
    assert "does not have the referrals feature" in response.json()["message"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"EXPIRED-1", "NOW-2", "FUTURE-3", "OPEN-4"}),
        ({"code": "now2"}, {"NOW-2"}),
        ({"code": "-"}, {"EXPIRED-1", "NOW-2", "FUTURE-3", "OPEN-4"}),
        ({"valid": "expired"}, {"EXPIRED-1"}),
        ({"valid": "validNow"}, {"NOW-2", "OPEN-4"}),
        ({"valid": "validFuture"}, {"FUTURE-3"}),
        ({"usable": "false"}, {"EXPIRED-1"}),
        ({"usable": "true"}, {"NOW-2", "FUTURE-3", "OPEN-4"}),
        ({"advocate": "alice"}, {"EXPIRED-1", "OPEN-4"}),
        ({"createdAfter": FUTURE}, set()),
        ({"createdBefore": FUTURE}, {"EXPIRED-1", "NOW-2", "FUTURE-3", "OPEN-4"}),
    ],
)
def test_list_filters(
    mgmt: Api,
    db: Database,
    application: dict[str, Any],
    campaign: dict[str, Any],
    imported: dict[str, Any],
    params: dict[str, Any],
    expected: set[str],
) -> None:
    with db.write() as conn:
        referrals = tables.referrals
        conn.execute(
            referrals.update().where(referrals.c.code == "EXPIRED-1").values(usage_counter=1)
        )

    assert codes(listed(mgmt, application, campaign, **params)) == expected


def test_list_sorts_and_pages(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], imported: dict[str, Any]
) -> None:
    first = mgmt.get(url(application, campaign, "/referrals/no_total"), params={"pageSize": 3})
    rest = mgmt.get(
        url(application, campaign, "/referrals/no_total"), params={"pageSize": 3, "skip": 3}
    )
    by_code = [r["code"] for r in listed(mgmt, application, campaign, sort="-code")]

    assert first.json()["hasMore"] is True and len(first.json()["data"]) == 3
    assert rest.json()["hasMore"] is False and len(rest.json()["data"]) == 1
    assert by_code == ["OPEN-4", "NOW-2", "FUTURE-3", "EXPIRED-1"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"valid": "always"}, "valid"),
        ({"usable": "maybe"}, "usable"),
        ({"createdAfter": "yesterday"}, "createdAfter"),
        ({"sort": "advocate"}, "sort"),
        ({"pageSize": 0}, "pageSize"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    params: dict[str, Any],
    parameter: str,
) -> None:
    response = mgmt.get(url(application, campaign, "/referrals/no_total"), params=params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


def test_list_of_an_unknown_campaign_is_a_404(mgmt: Api, application: dict[str, Any]) -> None:
    response = mgmt.get(url(application, {"id": 98765}, "/referrals/no_total"))

    assert response.status_code == 404


def test_put_changes_what_it_names(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], imported: dict[str, Any]
) -> None:
    define_referral_attribute(mgmt)
    [referral] = listed(mgmt, application, campaign, code="NOW-2")
    referral_url = url(application, campaign, f"/referrals/{referral['id']}")

    response = mgmt.put(
        referral_url,
        json={
            "usageLimit": 9,
            "friendProfileIntegrationId": "erin",
            "attributes": {"channel": "sms"},
        },
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated == {
        **referral,
        "usageLimit": 9,
        "friendProfileIntegrationId": "erin",
        "attributes": {"channel": "sms"},
    }
    assert listed(mgmt, application, campaign, code="NOW-2") == [updated]


@pytest.mark.parametrize(
    "body",
    [
        {"usageLimit": -1},
        {"startDate": FUTURE, "expiryDate": PAST},
        {"friendProfileIntegrationId": "bob"},
        {"friendProfileIntegrationId": ""},
        {"attributes": {"unknown": 1}},
        [],
        "x",
        None,
        {"usageLimit": 2**70},
        {"expiryDate": 12},
        {"attributes": {"channel": float("nan")}},
    ],
)
def test_refused_put_changes_nothing(
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    imported: dict[str, Any],
    body: Any,
) -> None:
    define_referral_attribute(mgmt)
    before = listed(mgmt, application, campaign)
    [referral] = [r for r in before if r["code"] == "NOW-2"]

    response = mgmt.put(
        url(application, campaign, f"/referrals/{referral['id']}"),
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    assert listed(mgmt, application, campaign) == before


def test_unknown_referral_or_one_of_another_campaign_is_a_404(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = create_campaign(mgmt, application, features=["referrals"])
    assert import_csv(mgmt, application, other, HEADER + "ELSEWHERE,a,,,,\n").status_code == 200
    [theirs] = listed(mgmt, application, other)

    for referral_id in (theirs["id"], 987654):
        referral_url = url(application, campaign, f"/referrals/{referral_id}")
        assert mgmt.put(referral_url, json={"usageLimit": 1}).status_code == 404
        assert mgmt.delete(referral_url).status_code == 404
    assert listed(mgmt, application, other) == [theirs]


def test_delete_removes_the_referral(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], imported: dict[str, Any]
) -> None:
    [referral] = listed(mgmt, application, campaign, code="NOW-2")
    referral_url = url(application, campaign, f"/referrals/{referral['id']}")

    assert mgmt.delete(referral_url).status_code == 204
    assert "NOW-2" not in codes(listed(mgmt, application, campaign))
    assert mgmt.delete(referral_url).status_code == 404


def exported(mgmt: Api, application: dict[str, Any], **params: Any) -> list[dict[str, str]]:
    response = mgmt.get(f"/v1/applications/{application['id']}/export_referrals", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/csv")
    assert response.text.startswith(HEADER)
    return list(csv.DictReader(io.StringIO(response.text)))


def test_export_writes_the_import_columns_and_reads_back(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], imported: dict[str, Any]
) -> None:
    define_referral_attribute(mgmt)
    [referral] = listed(mgmt, application, campaign, code="NOW-2")
    mgmt.put(
        url(application, campaign, f"/referrals/{referral['id']}"),
        json={"attributes": {"channel": "web"}},
    )

    rows = exported(mgmt, application)

    assert rows[1] == {
        "code": "NOW-2",
        "advocateprofileintegrationid": "bob",
        "startdate": PAST,
        "expirydate": FUTURE,
        "limitval": "1",
        "attributes": '{"channel":"web"}',
    }
    elsewhere = create_campaign(mgmt, application, features=["referrals"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    mgmt.delete(f"/v1/applications/{application['id']}/campaigns/{campaign['id']}")
    assert import_csv(mgmt, application, elsewhere, buffer.getvalue()).status_code == 200
    assert exported(mgmt, application) == rows


def test_export_filters(
    client: TestClient,
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    imported: dict[str, Any],
) -> None:
    other = create_campaign(mgmt, application, features=["referrals"])
    integration = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")
    body = {"campaignId": other["id"], "advocateProfileIntegrationIds": ["x", "y"], "usageLimit": 1}
    made = integration.post(
        "/v1/referrals_for_multiple_advocates", params={"silent": "no"}, json=body
    ).json()["data"]

    of_campaign = exported(mgmt, application, campaignId=campaign["id"])
    of_batch = exported(mgmt, application, batchId=made[0]["batchId"])
    expired = exported(mgmt, application, valid="expired")
    later = exported(mgmt, application, createdAfter=FUTURE)

    assert {row["code"] for row in of_campaign} == {"EXPIRED-1", "NOW-2", "FUTURE-3", "OPEN-4"}
    assert {row["code"] for row in of_batch} == {r["code"] for r in made}
    assert [row["code"] for row in expired] == ["EXPIRED-1"]
    assert later == []


ENDPOINTS = [
    ("POST", "/campaigns/{campaign}/import_referrals"),
    ("GET", "/campaigns/{campaign}/referrals/no_total"),
    ("PUT", "/campaigns/{campaign}/referrals/{referral}"),
    ("DELETE", "/campaigns/{campaign}/referrals/{referral}"),
    ("GET", "/export_referrals"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_keys_that_may_not_touch_the_application_are_refused(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    imported: dict[str, Any],
    method: str,
    path: str,
) -> None:
    [referral] = listed(mgmt, application, campaign, code="NOW-2")
    target = f"/v1/applications/{application['id']}" + path.format(
        campaign=campaign["id"], referral=referral["id"]
    )
    limited = limited_key(client, db, [create_application(mgmt)["id"]])
    integration = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")
    before = stored(db)

    sent = (
        {"content": HEADER + "NEW-CODE,a,,,,\n", "headers": {"Content-Type": "text/csv"}}
        if method == "POST"
        else {"json": {"usageLimit": 4}}
    )

    forbidden = limited.request(method, target, **sent)
    unauthorized = integration.request(method, target, **sent)

    assert (forbidden.status_code, unauthorized.status_code) == (403, 401)
    assert stored(db) == before


def test_every_change_bumps_the_application_revision(
    db: Database, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    seen = [revision_of(db, application)]
    assert import_csv(mgmt, application, campaign, HEADER + "REV-1,a,,,,\n").status_code == 200
    seen.append(revision_of(db, application))
    [referral] = listed(mgmt, application, campaign)
    referral_url = url(application, campaign, f"/referrals/{referral['id']}")
    mgmt.put(referral_url, json={"usageLimit": 3})
    seen.append(revision_of(db, application))
    mgmt.delete(referral_url)
    seen.append(revision_of(db, application))
    assert import_csv(mgmt, application, campaign, "nonsense").status_code == 400

    assert seen == sorted(set(seen))
    assert revision_of(db, application) == seen[-1]


def sdk(body: Any, model: str) -> Any:
    class Response:
        data = json.dumps(body)

    return talon_one.ApiClient().deserialize(Response(), model)


def test_answers_read_as_the_sdks_models(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], imported: dict[str, Any]
) -> None:
    page = mgmt.get(url(application, campaign, "/referrals/no_total")).json()
    [referral] = listed(mgmt, application, campaign, code="NOW-2")
    updated = mgmt.put(
        url(application, campaign, f"/referrals/{referral['id']}"), json={"usageLimit": 2}
    ).json()

    assert sdk(page, "InlineResponse20012").data[0].code == "EXPIRED-1"
    assert sdk(updated, "Referral").usage_limit == 2
    assert sdk(imported, "ModelImport").entity == "Referral"
