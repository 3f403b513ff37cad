"""POST|GET|PUT|DELETE /v1/applications/{applicationId}/campaigns and …/copy: Talon.One's
Campaign model, its defaults, filters and checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.domain.campaign import Campaign as DomainCampaign
from carrot.domain.campaign import CampaignState, CampaignType
from carrot.service.keys import create_management_key
from carrot.store.campaigns import current_revision, load_evaluation_setup
from carrot.store.db import Database
from tests.conftest import Api, create_application

PAST = "2001-01-01T00:00:00Z"
FUTURE = "2099-01-01T00:00:00Z"
NOW = datetime(2030, 6, 1, 12, tzinfo=UTC)
RULE = {"title": "ten off", "condition": ["and"], "effects": [["setDiscount", "10 off", 10]]}


def campaigns_url(application: dict[str, Any]) -> str:
    return f"/v1/applications/{application['id']}/campaigns"


def post_campaign(mgmt: Api, application: dict[str, Any], **fields: Any) -> Any:
    return mgmt.post(campaigns_url(application), json={"name": "spring sale", **fields})


def create_campaign(mgmt: Api, application: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = post_campaign(mgmt, application, **fields)
    assert response.status_code == 201, response.text
    campaign: dict[str, Any] = response.json()
    return campaign


def add_ruleset(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    body = {"rules": [RULE], "activate": True, **fields}
    response = mgmt.post(f"{campaigns_url(application)}/{campaign['id']}/rulesets", json=body)
    assert response.status_code == 201, response.text
    ruleset: dict[str, Any] = response.json()
    return ruleset


def define_campaign_attribute(mgmt: Api, name: str = "region", type: str = "string") -> None:
    body = {"entity": "Campaign", "name": name, "title": name.title(), "type": type}
    assert mgmt.post("/v1/attributes", json=body).status_code == 201


def test_created_campaign_has_talon_ones_fields_and_defaults(
    mgmt: Api, application: dict[str, Any]
) -> None:
    created = create_campaign(mgmt, application)

    assert created["created"].endswith("Z") and created["updated"] == created["created"]
    assert isinstance(created["id"], int) and isinstance(created["userId"], int)
    assert isinstance(created["evaluationGroupId"], int)
    assert {
        key: value
        for key, value in created.items()
        if key not in ("id", "created", "updated", "userId", "evaluationGroupId")
    } == {
        "applicationId": application["id"],
        "name": "spring sale",
        "description": "",
        "attributes": {},
        "state": "enabled",
        "tags": [],
        "features": [],
        "limits": [],
        "campaignGroups": [],
        "type": "advanced",
        "linkedStoreIds": [],
        "budgets": [],
        "couponRedemptionCount": 0,
        "referralRedemptionCount": 0,
        "discountCount": 0,
        "discountEffectCount": 0,
        "couponCreationCount": 0,
        "customEffectCount": 0,
        "referralCreationCount": 0,
        "addFreeItemEffectCount": 0,
        "awardedGiveawaysCount": 0,
        "createdLoyaltyPointsCount": 0,
        "createdLoyaltyPointsEffectCount": 0,
        "redeemedLoyaltyPointsCount": 0,
        "redeemedLoyaltyPointsEffectCount": 0,
        "callApiEffectCount": 0,
        "reservecouponEffectCount": 0,
        "frontendState": "running",
        "storesImported": False,
    }
    assert mgmt.get(f"{campaigns_url(application)}/{created['id']}").json() == created


def test_every_field_is_stored_and_read_back(mgmt: Api, application: dict[str, Any]) -> None:
    define_campaign_attribute(mgmt)
    fields = {
        "name": "loyal customers",
        "description": "double points",
        "startTime": PAST,
        "endTime": FUTURE,
        "attributes": {"region": "north"},
        "state": "disabled",
        "tags": ["spring", "vip"],
        "features": ["coupons", "loyalty"],
        "couponSettings": {"validCharacters": ["A", "B", "7"], "couponPattern": "SPR-####"},
        "referralSettings": {"validCharacters": ["x"], "couponPattern": "REF###"},
        "limits": [
            {"action": "setDiscount", "limit": 1000.5, "period": "daily", "entities": ["Profile"]},
            {"action": "redeemCoupon", "limit": 3, "entities": []},
        ],
        "campaignGroups": [7],
        "type": "cartItem",
        "linkedStoreIds": [3, 4],
    }

    created = create_campaign(mgmt, application, **fields)

    assert {key: created[key] for key in fields} == fields
    assert created["frontendState"] == "disabled"
    assert mgmt.get(f"{campaigns_url(application)}/{created['id']}").json() == created


def test_times_in_any_offset_are_answered_in_utc(mgmt: Api, application: dict[str, Any]) -> None:
    created = create_campaign(mgmt, application, startTime="2030-05-01T12:00:00+02:00")

    assert created["startTime"] == "2030-05-01T10:00:00Z"


def test_limits_left_out_are_the_applications_default_limits(mgmt: Api) -> None:
    limits = [{"action": "redeemCoupon", "limit": 100, "entities": ["Profile"]}]
    application = create_application(mgmt, limits=limits)

    defaulted = create_campaign(mgmt, application)
    explicit = create_campaign(mgmt, application, limits=[])

    assert defaulted["limits"] == limits
    assert explicit["limits"] == []


def test_duplicate_features_are_kept_once(mgmt: Api, application: dict[str, Any]) -> None:
    created = create_campaign(mgmt, application, features=["coupons", "coupons", "loyalty"])

    assert created["features"] == ["coupons", "loyalty"]


@pytest.mark.parametrize(
    ("fields", "frontend_state"),
    [
        ({}, "running"),
        ({"startTime": PAST, "endTime": FUTURE}, "running"),
        ({"startTime": FUTURE}, "scheduled"),
        ({"endTime": PAST}, "expired"),
        ({"state": "disabled", "startTime": FUTURE}, "disabled"),
        ({"state": "archived", "endTime": PAST}, "archived"),
    ],
)
def test_frontend_state_combines_state_and_schedule(
    mgmt: Api, application: dict[str, Any], fields: dict[str, Any], frontend_state: str
) -> None:
    assert create_campaign(mgmt, application, **fields)["frontendState"] == frontend_state


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": ""}, "/name"),
        ({"name": 5}, "/name"),
        ({"state": "paused"}, "/state"),
        ({"type": "basic"}, "/type"),
        ({"features": ["coupons", "discounts"]}, "/features/1"),
        ({"tags": ["ok", 3]}, "/tags/1"),
        ({"startTime": "yesterday"}, "/startTime"),
        ({"startTime": FUTURE, "endTime": PAST}, "/startTime"),
        ({"attributes": {"region": "north"}}, "/attributes/region"),
        ({"attributes": []}, "/attributes"),
        ({"limits": [{"action": "spend", "limit": 1, "entities": []}]}, "/limits/0/action"),
        ({"limits": [{"action": "redeemCoupon", "limit": -1, "entities": []}]}, "/limits/0/limit"),
        (
            {
                "limits": [
                    {"action": "redeemCoupon", "limit": 1, "entities": ["Profile"]},
                    {"action": "redeemCoupon", "limit": 2, "entities": ["Profile"]},
                ]
            },
            "/limits/1",
        ),
        (
            {"couponSettings": {"validCharacters": ["A"], "couponPattern": "AB"}},
            "/couponSettings/couponPattern",
        ),
        ({"couponSettings": {"couponPattern": "ABC###"}}, "/couponSettings/validCharacters"),
        ({"linkedStoreIds": ["1"]}, "/linkedStoreIds/0"),
        ({"campaignGroups": [0]}, "/campaignGroups/0"),
        ({"evaluationGroupId": 987654}, "/evaluationGroupId"),
        ({"activeRulesetId": 1}, "/activeRulesetId"),
    ],
)
def test_invalid_campaign_is_a_400_naming_the_field(
    mgmt: Api, application: dict[str, Any], fields: dict[str, Any], pointer: str
) -> None:
    response = post_campaign(mgmt, application, **fields)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get(campaigns_url(application)).json()["totalResultSize"] == 0


def test_missing_name_is_named(mgmt: Api, application: dict[str, Any]) -> None:
    response = mgmt.post(campaigns_url(application), json={"state": "enabled"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/name"


JUNK = [
    [],
    "campaign",
    17,
    None,
    {"name": {"nested": True}},
    {"name": "x", "limits": "all"},
    {"name": "x", "limits": [None]},
    {"name": "x", "attributes": "region"},
    {"name": "x", "tags": "a,b"},
    {"name": "x", "couponSettings": []},
    {"name": "x", "evaluationGroupId": 2**70},
    {"name": "x", "evaluationGroupId": -1},
    {"name": "x", "startTime": 12},
    {"name": "x", "startTime": "9999-12-31T23:59:59-01:00"},
    {"name": "\u0000" * 2000},
    {"name": "x", "tags": ["\u0000"]},
    {"name": "x", "couponSettings": {"validCharacters": ["\u0000"], "couponPattern": "ABC"}},
]


@pytest.mark.parametrize("body", JUNK)
def test_junk_campaign_bodies_are_refused_without_server_errors(
    mgmt: Api, application: dict[str, Any], body: Any
) -> None:
    campaign = create_campaign(mgmt, application)
    url = f"{campaigns_url(application)}/{campaign['id']}"

    created = mgmt.post(campaigns_url(application), json=body)
    updated = mgmt.put(url, json=body)
    copied = mgmt.post(f"{url}/copy", json=body)

    assert (created.status_code, updated.status_code, copied.status_code) == (400, 400, 400)
    assert mgmt.get(campaigns_url(application)).json()["totalResultSize"] == 1
    assert mgmt.get(url).json() == campaign


def test_body_that_is_not_json_is_a_400(mgmt: Api, application: dict[str, Any]) -> None:
    response = mgmt.post(
        campaigns_url(application),
        content=b"{name: spring",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400


def test_list_filters_by_state_name_and_tags(mgmt: Api, application: dict[str, Any]) -> None:
    running = create_campaign(mgmt, application, name="Spring Sale", tags=["spring", "sale"])
    scheduled = create_campaign(mgmt, application, name="summer", startTime=FUTURE, tags=["sale"])
    expired = create_campaign(mgmt, application, name="winter", endTime=PAST, tags=["old"])
    disabled = create_campaign(mgmt, application, name="SPRINGTIME", state="disabled")
    archived = create_campaign(mgmt, application, name="archive", state="archived")

    def found(**params: str) -> list[int]:
        page = mgmt.get(campaigns_url(application), params=params).json()
        assert page["totalResultSize"] == len(page["data"])
        return [campaign["id"] for campaign in page["data"]]

    assert found(campaignState="enabled") == [running["id"], scheduled["id"], expired["id"]]
    assert found(campaignState="running") == [running["id"]]
    assert found(campaignState="scheduled") == [scheduled["id"]]
    assert found(campaignState="expired") == [expired["id"]]
    assert found(campaignState="disabled") == [disabled["id"]]
    assert found(campaignState="archived") == [archived["id"]]
    assert found(name="spring") == [running["id"], disabled["id"]]
    assert found(name="100%") == []
    assert found(tags="sale") == [running["id"], scheduled["id"]]
    assert found(tags="old, spring") == [running["id"], expired["id"]]
    assert found(tags="sale", campaignState="running") == [running["id"]]


def test_list_filters_by_creation_time_access_group_and_store(
    mgmt: Api, application: dict[str, Any]
) -> None:
    first = create_campaign(mgmt, application, campaignGroups=[5], linkedStoreIds=[1, 2])
    second = create_campaign(mgmt, application, campaignGroups=[6])

    def found(**params: Any) -> list[int]:
        page = mgmt.get(campaigns_url(application), params=params).json()
        return [campaign["id"] for campaign in page["data"]]

    assert found(createdAfter=first["created"]) == [second["id"]]
    assert found(createdBefore=second["created"]) == [first["id"]]
    assert found(createdAfter="2000-01-01T00:00:00+01:00") == [first["id"], second["id"]]
    assert found(campaignGroupId=5) == [first["id"]]
    assert found(storeId=2) == [first["id"]]
    assert found(storeId=3) == []
    # carrot has no campaign templates, so nothing was created from one.
    assert found(templateId=1) == []


def test_list_sorts_and_pages(mgmt: Api, application: dict[str, Any]) -> None:
    ids = {name: create_campaign(mgmt, application, name=name)["id"] for name in "bca"}

    def names(**params: Any) -> tuple[int, list[str]]:
        page = mgmt.get(campaigns_url(application), params=params).json()
        return page["totalResultSize"], [campaign["name"] for campaign in page["data"]]

    assert names() == (3, ["b", "c", "a"])
    assert names(sort="-created") == (3, ["a", "c", "b"])
    assert names(sort="name") == (3, ["a", "b", "c"])
    assert names(sort="-name", pageSize=2) == (3, ["c", "b"])
    assert names(sort="name", skip=2) == (3, ["c"])
    assert sorted(ids.values()) == list(ids.values())


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"campaignState": "paused"}, "campaignState"),
        ({"sort": "updated"}, "sort"),
        ({"pageSize": 1001}, "pageSize"),
        ({"pageSize": 0}, "pageSize"),
        ({"skip": -1}, "skip"),
        ({"name": "\u0000"}, "name"),
        ({"tags": "a,\u0000"}, "tags"),
        ({"createdBefore": "yesterday"}, "createdBefore"),
        ({"storeId": 0}, "storeId"),
    ],
)
def test_bad_list_parameters_are_a_400_naming_them(
    mgmt: Api, application: dict[str, Any], params: dict[str, Any], parameter: str
) -> None:
    response = mgmt.get(campaigns_url(application), params=params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == parameter


def test_put_replaces_what_describes_the_campaign(mgmt: Api, application: dict[str, Any]) -> None:
    created = create_campaign(
        mgmt,
        application,
        description="old",
        tags=["old"],
        startTime=PAST,
        state="disabled",
        type="cartItem",
        features=["coupons"],
        limits=[{"action": "redeemCoupon", "limit": 1, "entities": []}],
    )

    response = mgmt.put(
        f"{campaigns_url(application)}/{created['id']}",
        json={"name": "renamed", "tags": ["new"], "features": [], "limits": []},
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["tags"], updated["description"]) == ("renamed", ["new"], "")
    assert "startTime" not in updated and updated["limits"] == [] and updated["features"] == []
    # Left out, these keep their value rather than silently re-enabling or retyping it.
    assert (updated["state"], updated["type"]) == ("disabled", "cartItem")
    assert updated["evaluationGroupId"] == created["evaluationGroupId"]
    assert (updated["id"], updated["created"]) == (created["id"], created["created"])
    assert updated["updated"] >= created["updated"]
    assert mgmt.get(f"{campaigns_url(application)}/{created['id']}").json() == updated


def test_put_changes_state(mgmt: Api, application: dict[str, Any]) -> None:
    created = create_campaign(mgmt, application)

    updated = mgmt.put(
        f"{campaigns_url(application)}/{created['id']}", json={"name": "x", "state": "archived"}
    ).json()

    assert (updated["state"], updated["frontendState"]) == ("archived", "archived")


def test_refused_put_changes_nothing(mgmt: Api, application: dict[str, Any]) -> None:
    created = create_campaign(mgmt, application)
    url = f"{campaigns_url(application)}/{created['id']}"

    response = mgmt.put(url, json={"name": "x", "startTime": FUTURE, "endTime": PAST})

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/startTime"
    assert mgmt.get(url).json() == created


def test_put_switches_the_active_ruleset(mgmt: Api, application: dict[str, Any]) -> None:
    campaign = create_campaign(mgmt, application)
    first = add_ruleset(mgmt, application, campaign)
    second = add_ruleset(mgmt, application, campaign)
    url = f"{campaigns_url(application)}/{campaign['id']}"
    assert mgmt.get(url).json()["activeRulesetId"] == second["id"]

    switched = mgmt.put(url, json={"name": "x", "activeRulesetId": first["id"]})
    kept = mgmt.put(url, json={"name": "y"})

    assert switched.status_code == 200, switched.text
    assert switched.json()["activeRulesetId"] == first["id"]
    assert kept.json()["activeRulesetId"] == first["id"]
    activated = mgmt.get(f"{url}/rulesets/{first['id']}").json()
    assert activated["activatedAt"] >= second["activatedAt"]


def test_put_refuses_a_ruleset_of_another_campaign(mgmt: Api, application: dict[str, Any]) -> None:
    campaign, other = create_campaign(mgmt, application), create_campaign(mgmt, application)
    foreign = add_ruleset(mgmt, application, other)
    url = f"{campaigns_url(application)}/{campaign['id']}"

    response = mgmt.put(url, json={"name": "x", "activeRulesetId": foreign["id"]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/activeRulesetId"
    assert "activeRulesetId" not in mgmt.get(url).json()


def test_evaluation_group_of_another_application_is_refused(mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    foreign_group = create_campaign(mgmt, other)["evaluationGroupId"]

    response = post_campaign(mgmt, one, evaluationGroupId=foreign_group)

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/evaluationGroupId"


def test_campaign_attributes_must_be_defined_for_campaigns(
    mgmt: Api, application: dict[str, Any]
) -> None:
    define_campaign_attribute(mgmt, "budget", "number")

    accepted = post_campaign(mgmt, application, attributes={"budget": 12.5})
    wrong = post_campaign(mgmt, application, attributes={"budget": "lots"})

    assert accepted.status_code == 201
    assert accepted.json()["attributes"] == {"budget": 12.5}
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["source"]["pointer"] == "/attributes/budget"


def test_delete_removes_the_campaign_and_its_rulesets(
    mgmt: Api, application: dict[str, Any]
) -> None:
    campaign = create_campaign(mgmt, application)
    ruleset = add_ruleset(mgmt, application, campaign)
    url = f"{campaigns_url(application)}/{campaign['id']}"

    response = mgmt.delete(url)

    assert response.status_code == 204
    assert mgmt.get(url).status_code == 404
    assert mgmt.get(f"{url}/rulesets/{ruleset['id']}").status_code == 404
    assert mgmt.delete(url).status_code == 404


def test_deleting_the_application_deletes_its_campaigns(
    mgmt: Api, application: dict[str, Any]
) -> None:
    campaign = create_campaign(mgmt, application)
    add_ruleset(mgmt, application, campaign)

    assert mgmt.delete(f"/v1/applications/{application['id']}").status_code == 204
    assert mgmt.get(f"{campaigns_url(application)}/{campaign['id']}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_campaign_of_another_application_is_not_found_here(mgmt: Api, method: str) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    campaign = create_campaign(mgmt, other)

    response = mgmt.request(
        method, f"{campaigns_url(one)}/{campaign['id']}", json={"name": "hijacked"}
    )

    assert response.status_code == 404
    assert mgmt.get(f"{campaigns_url(other)}/{campaign['id']}").json() == campaign


def test_unknown_application_is_a_404(mgmt: Api) -> None:
    assert mgmt.get("/v1/applications/4242/campaigns").status_code == 404
    assert mgmt.post("/v1/applications/4242/campaigns", json={"name": "x"}).status_code == 404


def revision_of(db: Database, application: dict[str, Any]) -> int:
    with db.read() as conn:
        return current_revision(conn, application["id"])


def limited_key(client: TestClient, db: Database, application_ids: list[int]) -> Api:
    key = create_management_key(db, "limited", allowed_application_ids=application_ids)
    return Api(client, f"ManagementKey-v1 {key}")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", ""),
        ("GET", ""),
        ("GET", "/{campaign}"),
        ("PUT", "/{campaign}"),
        ("DELETE", "/{campaign}"),
        ("POST", "/{campaign}/copy"),
    ],
)
def test_key_without_access_to_the_application_is_refused(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    method: str,
    path: str,
) -> None:
    campaign = create_campaign(mgmt, application)
    elsewhere = create_application(mgmt)
    limited = limited_key(client, db, [elsewhere["id"]])
    url = campaigns_url(application) + path.format(campaign=campaign["id"])
    body = {"name": "x", "applicationIds": [elsewhere["id"]]}

    response = limited.request(method, url, json=body)

    assert response.status_code == 403
    assert mgmt.get(f"{campaigns_url(application)}/{campaign['id']}").json() == campaign
    assert mgmt.get(campaigns_url(elsewhere)).json()["totalResultSize"] == 0


def test_every_change_bumps_the_application_revision(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    def revision() -> int:
        return revision_of(db, application)

    seen = [revision()]
    campaign = create_campaign(mgmt, application)
    seen.append(revision())
    url = f"{campaigns_url(application)}/{campaign['id']}"
    mgmt.put(url, json={"name": "renamed"})
    seen.append(revision())
    add_ruleset(mgmt, application, campaign)
    seen.append(revision())
    mgmt.delete(url)
    seen.append(revision())
    assert post_campaign(mgmt, application, state="paused").status_code == 400

    assert seen == sorted(set(seen))
    assert revision() == seen[-1]


# --- copy ------------------------------------------------------------------------------


def test_copy_lands_disabled_with_the_active_ruleset_in_each_application(
    mgmt: Api, application: dict[str, Any]
) -> None:
    define_campaign_attribute(mgmt)
    source = create_campaign(
        mgmt,
        application,
        attributes={"region": "north"},
        tags=["spring"],
        features=["coupons"],
        startTime=PAST,
    )
    add_ruleset(mgmt, application, source, rules=[{**RULE, "title": "old"}])
    active = add_ruleset(mgmt, application, source)
    targets = [create_application(mgmt), create_application(mgmt)]

    response = mgmt.post(
        f"{campaigns_url(application)}/{source['id']}/copy",
        json={"applicationIds": [target["id"] for target in targets], "tags": ["copied"]},
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["totalResultSize"] == 2
    for target, copy in zip(targets, page["data"], strict=True):
        assert copy["applicationId"] == target["id"]
        assert (copy["name"], copy["attributes"], copy["features"]) == (
            "spring sale",
            {"region": "north"},
            ["coupons"],
        )
        assert (copy["tags"], copy["startTime"], copy["state"]) == (["copied"], PAST, "disabled")
        assert copy["evaluationGroupId"] == create_campaign(mgmt, target)["evaluationGroupId"]
        assert copy["evaluationGroupId"] != source["evaluationGroupId"]
        rulesets = mgmt.get(f"{campaigns_url(target)}/{copy['id']}/rulesets").json()
        assert rulesets["totalResultSize"] == 1
        [ruleset] = rulesets["data"]
        assert ruleset["id"] == copy["activeRulesetId"]
        assert ruleset["rules"] == active["rules"]
        assert mgmt.get(f"{campaigns_url(target)}/{copy['id']}").json() == copy


def test_copy_into_the_same_application_with_new_details(
    mgmt: Api, application: dict[str, Any]
) -> None:
    source = create_campaign(mgmt, application, description="original")

    response = mgmt.post(
        f"{campaigns_url(application)}/{source['id']}/copy",
        json={
            "applicationIds": [application["id"]],
            "name": "copy",
            "description": "changed",
            "startTime": "2030-01-01T00:00:00Z",
            "endTime": "2030-02-01T00:00:00Z",
        },
    )

    assert response.status_code == 200, response.text
    [copy] = response.json()["data"]
    assert (copy["name"], copy["description"], copy["frontendState"]) == (
        "copy",
        "changed",
        "disabled",
    )
    assert "activeRulesetId" not in copy
    assert mgmt.get(campaigns_url(application)).json()["totalResultSize"] == 2


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"applicationIds": []}, "/applicationIds"),
        ({"applicationIds": [4242]}, "/applicationIds/0"),
        ({"applicationIds": ["1"]}, "/applicationIds/0"),
        ({"applicationIds": "{target}"}, "/applicationIds"),
        ({"applicationIds": ["{target}"], "startTime": FUTURE, "endTime": PAST}, "/startTime"),
        (
            {"applicationIds": ["{target}"], "evaluationGroupId": "{source_group}"},
            "/evaluationGroupId",
        ),
        ({"name": "x"}, "/applicationIds"),
    ],
)
def test_refused_copy_copies_nothing(
    mgmt: Api, application: dict[str, Any], body: dict[str, Any], pointer: str
) -> None:
    source = create_campaign(mgmt, application)
    target = create_application(mgmt)
    values = {"{target}": target["id"], "{source_group}": source["evaluationGroupId"]}

    def filled(value: Any) -> Any:
        if isinstance(value, list):
            return [filled(element) for element in value]
        return values.get(value, value) if isinstance(value, str) else value

    response = mgmt.post(
        f"{campaigns_url(application)}/{source['id']}/copy",
        json={key: filled(value) for key, value in body.items()},
    )

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get(campaigns_url(application)).json()["totalResultSize"] == 1
    assert mgmt.get(campaigns_url(target)).json()["totalResultSize"] == 0


def test_copy_refuses_attributes_the_target_does_not_define(mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    body = {
        "entity": "Campaign",
        "name": "region",
        "title": "Region",
        "type": "string",
        "subscribedApplicationsIds": [one["id"]],
    }
    assert mgmt.post("/v1/attributes", json=body).status_code == 201
    source = create_campaign(mgmt, one, attributes={"region": "north"})

    response = mgmt.post(
        f"{campaigns_url(one)}/{source['id']}/copy",
        json={"applicationIds": [one["id"], other["id"]]},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/applicationIds/1"
    assert mgmt.get(campaigns_url(one)).json()["totalResultSize"] == 1
    assert mgmt.get(campaigns_url(other)).json()["totalResultSize"] == 0


def test_copy_needs_access_to_every_target(
    client: TestClient, db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    source = create_campaign(mgmt, application)
    allowed, forbidden = create_application(mgmt), create_application(mgmt)
    limited = limited_key(client, db, [application["id"], allowed["id"]])

    response = limited.post(
        f"{campaigns_url(application)}/{source['id']}/copy",
        json={"applicationIds": [allowed["id"], forbidden["id"]]},
    )

    assert response.status_code == 403
    assert mgmt.get(campaigns_url(allowed)).json()["totalResultSize"] == 0
    assert mgmt.get(campaigns_url(forbidden)).json()["totalResultSize"] == 0


def test_unknown_campaign_cannot_be_copied(mgmt: Api, application: dict[str, Any]) -> None:
    response = mgmt.post(
        f"{campaigns_url(application)}/4242/copy", json={"applicationIds": [application["id"]]}
    )

    assert response.status_code == 404


# --- what the engine reads -------------------------------------------------------------


def test_evaluation_setup_holds_the_tree_and_every_campaign_not_archived(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    group = mgmt.post(
        f"/v1/applications/{application['id']}/campaign_evaluation_groups",
        json={"name": "one wins", "evaluationMode": "listOrder", "evaluationScope": "cartItem"},
    ).json()
    live = create_campaign(mgmt, application, tags=["spring"], endTime=FUTURE)
    binding = {"name": "limit", "expression": ["+", 5, 5], "minValue": 0.5, "valueType": "number"}
    ruleset = add_ruleset(
        mgmt,
        application,
        live,
        rules=[{**RULE, "bindings": [{"name": "x", "expression": ["+", 1, 0]}]}],
        bindings=[binding],
    )
    paused = create_campaign(
        mgmt, application, state="disabled", evaluationGroupId=group["id"], limits=[]
    )
    create_campaign(mgmt, application, state="archived")

    with db.read() as conn:
        setup = load_evaluation_setup(conn, application["id"])
        revision = current_revision(conn, application["id"])

    assert (setup.application_id, setup.revision) == (application["id"], revision)
    [root, inner] = setup.groups
    assert (root.parent_id, root.mode, root.scope) == (None, "stackable", "session")
    assert (inner.id, inner.parent_id, inner.mode, inner.scope) == (
        group["id"],
        root.id,
        "listOrder",
        "cartItem",
    )
    assert [entry.campaign.id for entry in setup.campaigns] == [live["id"], paused["id"]]
    first, second = setup.campaigns
    assert (first.campaign.evaluation_group_id, first.campaign.tags) == (root.id, ("spring",))
    assert first.campaign.position > inner.position  # created after the group
    assert first.ruleset is not None and first.ruleset.id == ruleset["id"]
    [rule] = first.ruleset.rules
    assert (rule.title, rule.condition, rule.effects) == (
        "ten off",
        ["and"],
        (["setDiscount", "10 off", 10],),
    )
    assert [binding.name for binding in rule.bindings] == ["x"]
    [ruleset_binding] = first.ruleset.bindings
    assert (ruleset_binding.expression, ruleset_binding.min_value) == (
        ["+", 5, 5],
        Decimal("0.5"),
    )
    assert second.ruleset is None
    assert (second.campaign.evaluation_group_id, second.campaign.state) == (group["id"], "disabled")


def test_evaluation_setup_of_an_unknown_application_is_empty(db: Database) -> None:
    with db.read() as conn:
        setup = load_evaluation_setup(conn, 4242)

    assert (setup.revision, setup.groups, setup.campaigns, setup.custom_effects) == (0, (), (), ())


@pytest.mark.parametrize(
    ("state", "start", "end", "expected"),
    [
        ("enabled", None, None, "running"),
        ("enabled", NOW, None, "running"),
        ("enabled", NOW + timedelta(microseconds=1), None, "scheduled"),
        ("enabled", None, NOW, "expired"),
        ("enabled", None, NOW + timedelta(microseconds=1), "running"),
        ("disabled", None, NOW, "disabled"),
        ("archived", NOW + timedelta(days=1), None, "archived"),
    ],
)
def test_frontend_state_at_the_edges_of_the_schedule(
    state: str, start: datetime | None, end: datetime | None, expected: str
) -> None:
    campaign = DomainCampaign(
        id=1,
        application_id=1,
        name="c",
        state=CampaignState(state),
        type=CampaignType.ADVANCED,
        evaluation_group_id=1,
        position=0,
        created=NOW,
        updated=NOW,
        start_time=start,
        end_time=end,
    )

    assert campaign.frontend_state(NOW) == expected
