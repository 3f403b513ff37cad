"""Custom attribute definitions (/v1/attributes) and the event types they create
(/v1/event_types)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, create_application


def define(mgmt: Api, **fields: Any) -> Any:
    body = {"entity": "CustomerProfile", "name": "tier", "title": "Tier", "type": "string"}
    return mgmt.post("/v1/attributes", json={**body, **fields})


def test_defined_attribute_reads_back_with_talon_ones_fields(mgmt: Api) -> None:
    application = create_application(mgmt)

    response = define(
        mgmt,
        description="loyalty tier",
        suggestions=["gold", "silver"],
        restrictedBySuggestions=True,
        subscribedApplicationsIds=[application["id"]],
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "created": created["created"],
        "accountId": 1,
        "entity": "CustomerProfile",
        "name": "tier",
        "title": "Tier",
        "type": "string",
        "description": "loyalty tier",
        "suggestions": ["gold", "silver"],
        "hasAllowedList": False,
        "restrictedBySuggestions": True,
        "editable": True,
        "subscribedApplicationsIds": [application["id"]],
    }
    assert mgmt.get(f"/v1/attributes/{created['id']}").json() == created


def test_event_attribute_creates_its_event_type_once(mgmt: Api) -> None:
    first = define(mgmt, entity="Event", eventType="wishlist_added", name="sku", title="SKU")
    second = define(
        mgmt, entity="Event", eventType="wishlist_added", name="qty", title="Qty", type="number"
    )

    assert first.status_code == second.status_code == 201
    event_types = mgmt.get("/v1/event_types").json()
    assert event_types["totalResultSize"] == 1
    [event_type] = event_types["data"]
    assert {key: event_type[key] for key in ("name", "title", "description")} == {
        "name": "wishlist_added",
        "title": "wishlist_added",
        "description": "",
    }
    assert first.json()["eventType"] == "wishlist_added"
    assert first.json()["eventTypeId"] == second.json()["eventTypeId"] == event_type["id"]


def test_event_types_filter_by_name_and_page(mgmt: Api) -> None:
    for event_type in ("a_event", "b_event", "c_event"):
        define(mgmt, entity="Event", eventType=event_type, name="x", title="X")

    named = mgmt.get("/v1/event_types", params={"name": "b_event"}).json()
    paged = mgmt.get("/v1/event_types", params={"pageSize": 1, "skip": 2}).json()

    assert [event["name"] for event in named["data"]] == ["b_event"]
    assert named["totalResultSize"] == 1
    assert [event["name"] for event in paged["data"]] == ["c_event"]
    assert paged["totalResultSize"] == 3


def test_same_name_may_exist_for_different_entities_and_event_types(mgmt: Api) -> None:
    assert define(mgmt, entity="CustomerProfile").status_code == 201
    assert define(mgmt, entity="CustomerSession").status_code == 201
    assert define(mgmt, entity="Event", eventType="signup").status_code == 201
    assert define(mgmt, entity="Event", eventType="login").status_code == 201


@pytest.mark.parametrize(
    ("change", "pointer"), [({"title": "Other"}, "/name"), ({"name": "other"}, "/title")]
)
def test_name_and_title_are_unique_per_entity(
    mgmt: Api, change: dict[str, str], pointer: str
) -> None:
    define(mgmt)

    response = define(mgmt, **change)

    assert response.status_code == 409
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert mgmt.get("/v1/attributes").json()["totalResultSize"] == 1


def test_list_filters_by_entity_and_pages(mgmt: Api) -> None:
    ids = [define(mgmt, name=f"n{i}", title=f"T{i}").json()["id"] for i in range(3)]
    define(mgmt, entity="CartItem", name="color", title="Color")

    profile = mgmt.get("/v1/attributes", params={"entity": "CustomerProfile", "skip": 1}).json()
    everything = mgmt.get("/v1/attributes").json()

    assert profile["totalResultSize"] == 3
    assert [attribute["id"] for attribute in profile["data"]] == ids[1:]
    assert everything["totalResultSize"] == 4
    assert mgmt.get("/v1/attributes", params={"entity": "Cart"}).status_code == 400


def test_put_changes_what_may_change(mgmt: Api) -> None:
    application = create_application(mgmt)
    created = define(mgmt).json()

    response = mgmt.put(
        f"/v1/attributes/{created['id']}",
        json={
            "entity": "CustomerProfile",
            "name": "tier",
            "title": "Loyalty tier",
            "type": "string",
            "description": "changed",
            "suggestions": ["bronze"],
            "editable": False,
            "subscribedApplicationsIds": [application["id"]],
        },
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["title"], updated["description"], updated["suggestions"]) == (
        "Loyalty tier",
        "changed",
        ["bronze"],
    )
    assert (updated["editable"], updated["subscribedApplicationsIds"]) == (
        False,
        [application["id"]],
    )
    assert (updated["id"], updated["created"]) == (created["id"], created["created"])
    assert mgmt.get(f"/v1/attributes/{created['id']}").json() == updated


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"type": "number"}, "/type"),
        ({"name": "rank"}, "/name"),
        ({"entity": "CustomerSession"}, "/entity"),
    ],
)
def test_put_cannot_change_identity(mgmt: Api, change: dict[str, str], pointer: str) -> None:
    created = define(mgmt).json()
    body = {"entity": "CustomerProfile", "name": "tier", "title": "Tier", "type": "string"}

    response = mgmt.put(f"/v1/attributes/{created['id']}", json={**body, **change})

    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert mgmt.get(f"/v1/attributes/{created['id']}").json() == created


def test_put_cannot_take_another_attributes_title(mgmt: Api) -> None:
    define(mgmt, name="a", title="A")
    second = define(mgmt, name="b", title="B").json()

    response = mgmt.put(
        f"/v1/attributes/{second['id']}",
        json={"entity": "CustomerProfile", "name": "b", "title": "A", "type": "string"},
    )

    assert response.status_code == 409
    assert mgmt.get(f"/v1/attributes/{second['id']}").json()["title"] == "B"


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": "2fast"}, "/name"),
        ({"name": "has space"}, "/name"),
        ({"name": "a.b"}, "/name"),
        ({"name": ""}, "/name"),
        ({"entity": "Basket"}, "/entity"),
        ({"entity": "Event"}, "/eventType"),
        ({"eventType": "signup"}, "/eventType"),
        ({"type": "(list boolean)"}, "/type"),
        (
            {"type": "number", "restrictedBySuggestions": True, "suggestions": ["1"]},
            "/restrictedBySuggestions",
        ),
        ({"restrictedBySuggestions": True}, "/suggestions"),
        ({"suggestions": [1]}, "/suggestions/0"),
        ({"subscribedApplicationsIds": [987654]}, "/subscribedApplicationsIds/0"),
        ({"subscribedApplicationsIds": ["1"]}, "/subscribedApplicationsIds/0"),
        ({"editable": "true"}, "/editable"),
        ({"title": "x" * 1001}, "/title"),
    ],
)
def test_invalid_definition_is_a_400_naming_the_field(
    mgmt: Api, fields: dict[str, Any], pointer: str
) -> None:
    response = define(mgmt, **fields)

    assert response.status_code == 400, response.text
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert mgmt.get("/v1/attributes").json()["totalResultSize"] == 0
    assert mgmt.get("/v1/event_types").json()["totalResultSize"] == 0


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_unknown_attribute_is_a_404(mgmt: Api, method: str) -> None:
    body = {"entity": "CustomerProfile", "name": "tier", "title": "Tier", "type": "string"}

    assert mgmt.request(method, "/v1/attributes/4242", json=body).status_code == 404


def test_application_attributes_must_be_defined_for_applications(mgmt: Api) -> None:
    assert define(mgmt, entity="Application", name="region", title="Region").status_code == 201
    base = {"name": "s", "currency": "EUR", "timezone": "UTC"}

    accepted = create_application(mgmt, attributes={"region": "north"})
    unknown = mgmt.post("/v1/applications", json={**base, "attributes": {"regio": "n"}})
    wrong = mgmt.post("/v1/applications", json={**base, "attributes": {"region": 7}})

    assert accepted["attributes"] == {"region": "north"}
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["source"]["pointer"] == "/attributes/regio"
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["details"] == "Expected a string, got a number."


def test_application_attribute_subscribed_elsewhere_is_unknown_here(mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    define(
        mgmt,
        entity="Application",
        name="region",
        title="Region",
        subscribedApplicationsIds=[one["id"]],
    )
    body = {"name": "s", "currency": "EUR", "timezone": "UTC", "attributes": {"region": "x"}}

    assert mgmt.put(f"/v1/applications/{one['id']}", json=body).status_code == 200
    refused = mgmt.put(f"/v1/applications/{other['id']}", json=body)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"]["pointer"] == "/attributes/region"
    # A new application is subscribed to nothing yet.
    assert mgmt.post("/v1/applications", json=body).status_code == 400
