"""Additional cost definitions (/v1/additional_costs) and what the integration side reads
of them (service.additional_costs.defined_additional_costs)."""

from __future__ import annotations

from typing import Any

import pytest

from carrot.service.additional_costs import defined_additional_costs
from carrot.store.db import Database
from tests.conftest import Api, create_application


def define(mgmt: Api, **fields: Any) -> Any:
    body = {"name": "shipping", "title": "Shipping", "description": "to the door"}
    return mgmt.post("/v1/additional_costs", json={**body, **fields})


def test_defined_cost_reads_back_as_account_additional_cost(mgmt: Api) -> None:
    application = create_application(mgmt)

    response = define(mgmt, type="both", subscribedApplicationsIds=[application["id"]])

    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "created": created["created"],
        "accountId": 1,
        "name": "shipping",
        "title": "Shipping",
        "description": "to the door",
        "subscribedApplicationsIds": [application["id"]],
        "type": "both",
    }
    assert mgmt.get(f"/v1/additional_costs/{created['id']}").json() == created


def test_type_defaults_to_session(mgmt: Api) -> None:
    assert define(mgmt).json()["type"] == "session"


def test_name_is_unique(mgmt: Api) -> None:
    define(mgmt)

    response = define(mgmt, title="Other")

    assert response.status_code == 409
    assert response.json()["errors"][0]["source"]["pointer"] == "/name"
    assert mgmt.get("/v1/additional_costs").json()["totalResultSize"] == 1


def test_list_pages_in_creation_order(mgmt: Api) -> None:
    ids = [define(mgmt, name=f"cost_{n}").json()["id"] for n in range(3)]

    page = mgmt.get("/v1/additional_costs", params={"pageSize": 2}).json()

    assert page["totalResultSize"] == 3
    assert [cost["id"] for cost in page["data"]] == ids[:2]


def test_put_replaces_the_definition(mgmt: Api) -> None:
    created = define(mgmt, type="item").json()

    response = mgmt.put(
        f"/v1/additional_costs/{created['id']}",
        json={"name": "delivery", "title": "Delivery", "description": ""},
    )

    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["title"], updated["type"]) == (
        "delivery",
        "Delivery",
        "session",
    )
    assert mgmt.get(f"/v1/additional_costs/{created['id']}").json() == updated


def test_put_cannot_take_another_costs_name(mgmt: Api) -> None:
    define(mgmt, name="shipping")
    other = define(mgmt, name="wrapping").json()

    response = mgmt.put(
        f"/v1/additional_costs/{other['id']}", json={"name": "shipping", "title": "x"}
    )

    assert response.status_code == 409
    assert mgmt.get(f"/v1/additional_costs/{other['id']}").json() == other


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"name": "gift wrap"}, "/name"),
        ({"name": ""}, "/name"),
        ({"name": 5}, "/name"),
        ({"title": None}, "/title"),
        ({"type": "order"}, "/type"),
        ({"subscribedApplicationsIds": [0]}, "/subscribedApplicationsIds/0"),
        ({"subscribedApplicationsIds": [31337]}, "/subscribedApplicationsIds/0"),
        ({"subscribedApplicationsIds": 1}, "/subscribedApplicationsIds"),
    ],
)
def test_invalid_definition_is_a_400_naming_the_field(
    mgmt: Api, fields: dict[str, Any], pointer: str
) -> None:
    response = define(mgmt, **fields)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert mgmt.get("/v1/additional_costs").json()["totalResultSize"] == 0


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_unknown_cost_is_a_404(mgmt: Api, method: str) -> None:
    response = mgmt.request(method, "/v1/additional_costs/777", json={"name": "a", "title": "A"})

    assert response.status_code == 404


def test_defined_costs_are_those_open_to_the_application(db: Database, mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    define(mgmt, name="shipping", type="session")
    define(mgmt, name="deposit", type="item", subscribedApplicationsIds=[one["id"]])
    define(mgmt, name="handling", type="both", subscribedApplicationsIds=[other["id"]])

    with db.read() as conn:
        for_one = defined_additional_costs(conn, 1, one["id"])
        for_other = defined_additional_costs(conn, 1, other["id"])

    assert for_one == {"shipping": "session", "deposit": "item"}
    assert for_other == {"shipping": "session", "handling": "both"}
