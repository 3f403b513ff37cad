"""POST|GET|PUT|DELETE /v1/applications: Talon.One's Application model, defaults and checks."""

from __future__ import annotations

from typing import Any

import pytest

from carrot.domain.errors import Unauthorized
from carrot.service.keys import authenticate_integration
from carrot.store.db import Database
from tests.conftest import Api, create_application, create_integration_key


def test_created_application_has_talon_ones_defaults(mgmt: Api) -> None:
    response = mgmt.post(
        "/v1/applications", json={"name": "shop", "currency": "EUR", "timezone": "Europe/Berlin"}
    )

    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["id"], int)
    assert body["accountId"] == 1
    assert body["created"].endswith("Z") and body["modified"] == body["created"]
    assert {
        key: body[key]
        for key in body
        if key not in ("id", "accountId", "created", "modified", "defaultEvaluationGroupId")
    } == {
        "name": "shop",
        "description": "",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "caseSensitivity": "sensitive",
        "attributes": {},
        "limits": [],
        "defaultDiscountScope": "sessionTotal",
        "defaultDiscountAdditionalCostPerItemScope": "price",
        "enableCascadingDiscounts": False,
        "enableFlattenedCartItems": False,
        "enablePartialDiscounts": False,
        "sandbox": False,
        "enableCampaignStateManagement": False,
        "loyaltyPrograms": [],
    }


def test_every_setting_is_stored_and_read_back(mgmt: Api) -> None:
    settings = {
        "name": "market",
        "description": "the Japanese shop",
        "timezone": "Asia/Tokyo",
        "currency": "JPY",
        "caseSensitivity": "sensitive",
        "limits": [
            {"action": "setDiscount", "limit": 1000.5, "period": "daily", "entities": ["Profile"]},
            {"action": "redeemCoupon", "limit": 3, "entities": []},
        ],
        "defaultDiscountScope": "cartItems",
        "defaultDiscountAdditionalCostPerItemScope": "itemTotal",
        "enableCascadingDiscounts": True,
        "enableFlattenedCartItems": True,
        "enablePartialDiscounts": True,
        "sandbox": True,
    }
    created = create_application(mgmt, **settings)

    read = mgmt.get(f"/v1/applications/{created['id']}").json()

    assert read == created
    assert {key: read[key] for key in settings} == settings


@pytest.mark.parametrize("case_sensitivity", ["insensitive-uppercase", "insensitive-lowercase"])
def test_coupon_case_sensitivity_is_stored(mgmt: Api, case_sensitivity: str) -> None:
    created = create_application(mgmt, caseSensitivity=case_sensitivity)

    assert mgmt.get(f"/v1/applications/{created['id']}").json()["caseSensitivity"] == (
        case_sensitivity
    )


def test_null_fields_count_as_left_out(mgmt: Api) -> None:
    created = create_application(mgmt, description=None, sandbox=None, limits=None)

    assert (created["description"], created["sandbox"], created["limits"]) == ("", False, [])


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("timezone", "Mars/Olympus_Mons", "/timezone"),
        ("timezone", "", "/timezone"),
        ("currency", "EURO", "/currency"),
        ("currency", "eur", "/currency"),
        ("currency", "XAU", "/currency"),
        ("caseSensitivity", "loose", "/caseSensitivity"),
        ("defaultDiscountScope", "everything", "/defaultDiscountScope"),
        (
            "defaultDiscountAdditionalCostPerItemScope",
            "sessionTotal",
            "/defaultDiscountAdditionalCostPerItemScope",
        ),
        ("name", "", "/name"),
        ("name", 42, "/name"),
        ("sandbox", "yes", "/sandbox"),
        ("attributes", [], "/attributes"),
        ("limits", [{"action": "spend", "limit": 1, "entities": []}], "/limits/0/action"),
        ("limits", [{"action": "setDiscount", "limit": -1, "entities": []}], "/limits/0/limit"),
        (
            "limits",
            [{"action": "setDiscount", "limit": 1, "entities": ["Cart"]}],
            "/limits/0/entities/0",
        ),
        (
            "limits",
            [{"action": "setDiscount", "limit": 1, "period": "hourly", "entities": []}],
            "/limits/0/period",
        ),
        ("limits", [{"action": "setDiscount", "limit": 1}], "/limits/0/entities"),
    ],
)
def test_invalid_setting_is_a_400_naming_the_field(
    mgmt: Api, field: str, value: Any, pointer: str
) -> None:
    body = {"name": "shop", "currency": "EUR", "timezone": "UTC", field: value}

    response = mgmt.post("/v1/applications", json=body)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get("/v1/applications").json()["totalResultSize"] == 0


def test_missing_required_fields_are_each_named(mgmt: Api) -> None:
    response = mgmt.post("/v1/applications", json={})

    assert response.status_code == 400
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/name", "/timezone", "/currency"}


def test_all_setting_problems_are_reported_together(mgmt: Api) -> None:
    body = {"name": "shop", "currency": "ABC", "timezone": "Nowhere", "attributes": {"x": 1}}

    response = mgmt.post("/v1/applications", json=body)

    assert response.status_code == 400
    pointers = [error["source"]["pointer"] for error in response.json()["errors"]]
    assert pointers == ["/timezone", "/currency", "/attributes/x"]


def test_the_same_limit_twice_is_refused(mgmt: Api) -> None:
    limit = {"action": "redeemCoupon", "limit": 1, "entities": ["Profile"]}

    response = mgmt.post(
        "/v1/applications",
        json={"name": "shop", "currency": "EUR", "timezone": "UTC", "limits": [limit, limit]},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/limits/1"


def test_list_pages_through_applications_in_creation_order(mgmt: Api) -> None:
    ids = [create_application(mgmt)["id"] for _ in range(3)]

    first = mgmt.get("/v1/applications", params={"pageSize": 2}).json()
    rest = mgmt.get("/v1/applications", params={"pageSize": 2, "skip": 2}).json()

    assert first["totalResultSize"] == rest["totalResultSize"] == 3
    assert [app["id"] for app in first["data"]] == ids[:2]
    assert [app["id"] for app in rest["data"]] == ids[2:]


@pytest.mark.parametrize(
    "params",
    [{"pageSize": 0}, {"pageSize": 1001}, {"skip": -1}, {"pageSize": "ten"}, {"skip": 2**64}],
)
def test_bad_paging_is_a_400_naming_the_parameter(mgmt: Api, params: dict[str, Any]) -> None:
    response = mgmt.get("/v1/applications", params=params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == next(iter(params))


def test_put_replaces_every_setting(mgmt: Api) -> None:
    created = create_application(mgmt, description="old", sandbox=True, enablePartialDiscounts=True)

    response = mgmt.put(
        f"/v1/applications/{created['id']}",
        json={"name": "renamed", "currency": "USD", "timezone": "America/New_York"},
    )

    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["currency"], updated["timezone"]) == (
        "renamed",
        "USD",
        "America/New_York",
    )
    # Left out of a full update means back to the default.
    assert (updated["description"], updated["sandbox"], updated["enablePartialDiscounts"]) == (
        "",
        False,
        False,
    )
    assert updated["created"] == created["created"]
    assert updated["modified"] >= created["modified"]
    assert mgmt.get(f"/v1/applications/{created['id']}").json() == updated


def test_refused_put_changes_nothing(mgmt: Api, application: dict[str, Any]) -> None:
    response = mgmt.put(
        f"/v1/applications/{application['id']}",
        json={"name": "renamed", "currency": "ZZZ", "timezone": "UTC"},
    )

    assert response.status_code == 400
    assert mgmt.get(f"/v1/applications/{application['id']}").json() == application


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_application_is_a_404(mgmt: Api, method: str) -> None:
    body = {"name": "x", "currency": "EUR", "timezone": "UTC"}

    response = mgmt.request(method, "/v1/applications/999999", json=body)

    assert response.status_code == 404
    assert response.json()["message"] == "Application 999999 not found."


@pytest.mark.parametrize("application_id", ["abc", "0", str(2**64)])
def test_malformed_application_id_is_a_400(mgmt: Api, application_id: str) -> None:
    response = mgmt.get(f"/v1/applications/{application_id}")

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["parameter"] == "applicationId"


def test_delete_removes_the_application_and_its_keys(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    key = create_integration_key(mgmt, application["id"])
    assert authenticate_integration(db, key).application_id == application["id"]

    response = mgmt.delete(f"/v1/applications/{application['id']}")

    assert response.status_code == 204
    assert mgmt.get(f"/v1/applications/{application['id']}").status_code == 404
    assert mgmt.get(f"/v1/applications/{application['id']}/api_keys").status_code == 404
    with pytest.raises(Unauthorized):
        authenticate_integration(db, key)


def test_every_application_answers_its_default_evaluation_group(mgmt: Api) -> None:
    created = create_application(mgmt)
    groups = mgmt.get(f"/v1/applications/{created['id']}/campaign_evaluation_groups").json()
    [root] = [group for group in groups["data"] if "parentId" not in group]
    assert created["defaultEvaluationGroupId"] == root["id"]
    url = f"/v1/applications/{created['id']}"
    assert mgmt.get(url).json()["defaultEvaluationGroupId"] == root["id"]
    listed = mgmt.get("/v1/applications").json()["data"]
    assert [a["defaultEvaluationGroupId"] for a in listed if a["id"] == created["id"]] == [
        root["id"]
    ]
    updated = mgmt.put(url, json={"name": "renamed", "currency": "EUR", "timezone": "UTC"})
    assert updated.json()["defaultEvaluationGroupId"] == root["id"]
    assert create_application(mgmt)["defaultEvaluationGroupId"] != root["id"]
