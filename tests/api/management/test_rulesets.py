"""POST|GET …/campaigns/{campaignId}/rulesets[/{rulesetId}]: immutable versions of a
campaign's rules, checked strictly before they are saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.store.db import Database
from tests.api.management.test_campaigns import (
    RULE,
    campaigns_url,
    create_campaign,
    limited_key,
)
from tests.conftest import Api, create_application


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return create_campaign(mgmt, application)


def rulesets_url(application: dict[str, Any], campaign: dict[str, Any]) -> str:
    return f"{campaigns_url(application)}/{campaign['id']}/rulesets"


def campaign_now(mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]) -> Any:
    return mgmt.get(f"{campaigns_url(application)}/{campaign['id']}").json()


def test_created_ruleset_reads_back_in_talon_ones_shape(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    rule = {
        "title": "Free money for all!",
        "description": "when the total is known",
        "bindings": [{"name": "total", "expression": [".", "Session", "Total"]}],
        "condition": ["and", [">", [".", "total"], 50]],
        "effects": [["catch", ["noop"], ["setDiscount", "10% off", ["*", [".", "total"], 0.1]]]],
    }
    binding = {
        "name": "minimum",
        "type": "templateParameter",
        "expression": ["+", 40, 10],
        "valueType": "number",
        "minValue": 0,
        "maxValue": 99.5,
        "attributeId": 3,
        "description": "the threshold",
    }
    body = {
        "rules": [rule, {"title": "no description", "condition": ["and"], "effects": []}],
        "bindings": [binding],
        "strikethroughRules": [RULE],
        "rbVersion": "v2",
        "activate": True,
    }

    response = mgmt.post(rulesets_url(application, campaign), json=body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["created"].endswith("Z") and created["activatedAt"] == created["created"]
    assert isinstance(created["userId"], int)
    assert {key: created[key] for key in ("campaignId", "rbVersion", "activate")} == {
        "campaignId": campaign["id"],
        "rbVersion": "v2",
        "activate": True,
    }
    assert created["rules"] == [
        rule,
        {
            "title": "no description",
            "description": "",
            "bindings": [],
            "condition": ["and"],
            "effects": [],
        },
    ]
    assert created["bindings"] == [binding]
    assert created["strikethroughRules"] == [{**RULE, "description": "", "bindings": []}]
    assert mgmt.get(f"{rulesets_url(application, campaign)}/{created['id']}").json() == created
    assert campaign_now(mgmt, application, campaign)["activeRulesetId"] == created["id"]


def test_ruleset_saved_without_activate_leaves_the_active_one(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    active = mgmt.post(
        rulesets_url(application, campaign), json={"rules": [RULE], "activate": True}
    ).json()

    response = mgmt.post(rulesets_url(application, campaign), json={"rules": [RULE]})

    assert response.status_code == 201
    draft = response.json()
    assert draft["activate"] is False and "activatedAt" not in draft
    assert draft["bindings"] == [] and draft["strikethroughRules"] == []
    assert campaign_now(mgmt, application, campaign)["activeRulesetId"] == active["id"]


def test_rulesets_are_listed_oldest_first_and_paged(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    ids = [
        mgmt.post(rulesets_url(application, campaign), json={"rules": [RULE]}).json()["id"]
        for _ in range(3)
    ]

    everything = mgmt.get(rulesets_url(application, campaign)).json()
    paged = mgmt.get(rulesets_url(application, campaign), params={"pageSize": 1, "skip": 1}).json()

    assert [ruleset["id"] for ruleset in everything["data"]] == ids
    assert everything["totalResultSize"] == paged["totalResultSize"] == 3
    assert [ruleset["id"] for ruleset in paged["data"]] == ids[1:2]


def rule(**fields: Any) -> dict[str, Any]:
    return {**RULE, **fields}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, "/rules"),
        ({"rules": "all"}, "/rules"),
        ({"rules": {"title": "x"}}, "/rules"),
        ({"rules": [5]}, "/rules/0"),
        ({"rules": [RULE, rule(title="")]}, "/rules/1/title"),
        ({"rules": [rule(title=7)]}, "/rules/0/title"),
        ({"rules": [rule(title="x" * 1001)]}, "/rules/0/title"),
        ({"rules": [{"title": "x", "effects": []}]}, "/rules/0/condition"),
        ({"rules": [rule(condition={"and": []})]}, "/rules/0/condition"),
        ({"rules": [rule(condition=[])]}, "/rules/0/condition"),
        ({"rules": [rule(condition=True)]}, "/rules/0/condition"),
        ({"rules": [{"title": "x", "condition": ["and"]}]}, "/rules/0/effects"),
        ({"rules": [rule(effects=["setDiscount", "x", 1])]}, "/rules/0/effects/0"),
        ({"rules": [rule(effects=[["noop"], []])]}, "/rules/0/effects/1"),
        ({"rules": [rule(description=["x"])]}, "/rules/0/description"),
        ({"rules": [rule(id=5)]}, "/rules/0/id"),
        ({"rules": [rule(bindings={"name": "x"})]}, "/rules/0/bindings"),
        (
            {"rules": [rule(bindings=[{"name": "x", "expression": "1"}])]},
            "/rules/0/bindings/0/expression",
        ),
        ({"rules": [rule(condition=["=", "a\u0000", "b"])]}, "/rules/0/condition/1"),
        ({"rules": [rule(effects=[["noop", {"\u0000": 1}]])]}, "/rules/0/effects/0/1/\u0000"),
        ({"rules": [RULE], "bindings": "x"}, "/bindings"),
        ({"rules": [RULE], "bindings": [["x"]]}, "/bindings/0"),
        ({"rules": [RULE], "bindings": [{"expression": [1]}]}, "/bindings/0/name"),
        ({"rules": [RULE], "bindings": [{"name": "", "expression": [1]}]}, "/bindings/0/name"),
        ({"rules": [RULE], "bindings": [{"name": "x"}]}, "/bindings/0/expression"),
        (
            {"rules": [RULE], "bindings": [{"name": "x", "expression": [1], "type": "magic"}]},
            "/bindings/0/type",
        ),
        (
            {"rules": [RULE], "bindings": [{"name": "x", "expression": [1], "valueType": "time"}]},
            "/bindings/0/valueType",
        ),
        (
            {"rules": [RULE], "bindings": [{"name": "x", "expression": [1], "minValue": "1"}]},
            "/bindings/0/minValue",
        ),
        (
            {"rules": [RULE], "bindings": [{"name": "x", "expression": [1], "maxValue": True}]},
            "/bindings/0/maxValue",
        ),
        (
            {"rules": [RULE], "bindings": [{"name": "x", "expression": [1], "attributeId": 0}]},
            "/bindings/0/attributeId",
        ),
        (
            {
                "rules": [RULE],
                "bindings": [{"name": "x", "expression": [1]}, {"name": "x", "expression": [2]}],
            },
            "/bindings/1/name",
        ),
        (
            {"rules": [RULE], "strikethroughRules": [{"title": "x"}]},
            "/strikethroughRules/0/condition",
        ),
        ({"rules": [RULE], "strikethroughRules": "x"}, "/strikethroughRules"),
        ({"rules": [RULE], "rbVersion": 2}, "/rbVersion"),
        ({"rules": [RULE], "rbVersion": "v" * 101}, "/rbVersion"),
        ({"rules": [RULE], "activate": "yes"}, "/activate"),
    ],
)
def test_invalid_ruleset_is_a_400_naming_the_place(
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    body: dict[str, Any],
    pointer: str,
) -> None:
    response = mgmt.post(rulesets_url(application, campaign), json=body)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get(rulesets_url(application, campaign)).json()["totalResultSize"] == 0
    assert campaign_now(mgmt, application, campaign) == campaign


def test_every_problem_of_a_ruleset_is_reported_at_once(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    body = {
        "rules": [{"condition": "x", "effects": [1]}],
        "bindings": [{"name": "b", "expression": [1], "type": "other"}],
    }

    response = mgmt.post(rulesets_url(application, campaign), json=body)

    assert response.status_code == 400
    assert [error["source"]["pointer"] for error in response.json()["errors"]] == [
        "/rules/0/title",
        "/rules/0/condition",
        "/rules/0/effects/0",
        "/bindings/0/type",
    ]


@pytest.mark.parametrize(
    "body",
    [
        [],
        "rules",
        3.5,
        None,
        {"rules": None},
        {"rules": [None]},
        {"rules": [[[[[]]]]]},
        {"rules": [{"title": {}, "condition": {}, "effects": {}, "bindings": 1}]},
        {"rules": [RULE], "bindings": [None, 1, "x", {"name": None}]},
        {"rules": [rule(effects=[["noop"]] * 50, condition=["and", "\ud800"])]},
        {"rules": [RULE], "activate": None, "rbVersion": {}},
    ],
)
def test_junk_ruleset_bodies_are_refused_without_server_errors(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], body: Any
) -> None:
    # json.dumps escapes what is not ASCII, so a lone surrogate travels as \\ud800.
    response = mgmt.post(
        rulesets_url(application, campaign),
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400, response.text
    assert mgmt.get(rulesets_url(application, campaign)).json()["totalResultSize"] == 0


def test_ruleset_of_another_campaign_is_not_found_here(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    other = create_campaign(mgmt, application)
    ruleset = mgmt.post(rulesets_url(application, other), json={"rules": [RULE]}).json()

    assert mgmt.get(f"{rulesets_url(application, campaign)}/{ruleset['id']}").status_code == 404
    assert mgmt.get(f"{rulesets_url(application, other)}/{ruleset['id']}").status_code == 200


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rulesets_of_an_unknown_campaign_are_not_found(
    mgmt: Api, application: dict[str, Any], method: str
) -> None:
    response = mgmt.request(
        method, f"{campaigns_url(application)}/4242/rulesets", json={"rules": [RULE]}
    )

    assert response.status_code == 404


def test_campaign_of_another_application_has_no_rulesets_here(mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    foreign = create_campaign(mgmt, other)

    response = mgmt.post(rulesets_url(one, foreign), json={"rules": [RULE]})

    assert response.status_code == 404
    assert mgmt.get(rulesets_url(other, foreign)).json()["totalResultSize"] == 0


@pytest.mark.parametrize(("method", "path"), [("POST", ""), ("GET", ""), ("GET", "/{ruleset}")])
def test_key_without_access_to_the_application_is_refused(
    client: TestClient,
    db: Database,
    mgmt: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    method: str,
    path: str,
) -> None:
    ruleset = mgmt.post(rulesets_url(application, campaign), json={"rules": [RULE]}).json()
    limited = limited_key(client, db, [create_application(mgmt)["id"]])
    url = rulesets_url(application, campaign) + path.format(ruleset=ruleset["id"])

    response = limited.request(method, url, json={"rules": [RULE], "activate": True})

    assert response.status_code == 403
    assert mgmt.get(rulesets_url(application, campaign)).json()["totalResultSize"] == 1
    assert campaign_now(mgmt, application, campaign) == campaign
