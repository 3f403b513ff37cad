"""What carrot answers reads back through Talon.One's own Python SDK models, with the SDK's
client-side validation on: field names, required fields and enums as the SDK expects."""

from __future__ import annotations

import json
from typing import Any

import pytest
import talon_one

from tests.conftest import Api, create_application


class _Response:
    def __init__(self, body: Any) -> None:
        self.data = json.dumps(body)


def sdk(body: Any, model: str) -> Any:
    return talon_one.ApiClient().deserialize(_Response(body), model)


def test_application_reads_as_the_sdks_application(mgmt: Api) -> None:
    created = create_application(
        mgmt,
        limits=[
            {"action": "redeemCoupon", "limit": 2, "period": "weekly", "entities": ["Profile"]}
        ],
    )

    application = sdk(created, "Application")
    page = sdk(mgmt.get("/v1/applications").json(), "InlineResponse2007")

    assert (application.id, application.currency, application.timezone) == (
        created["id"],
        "EUR",
        "UTC",
    )
    assert application.limits[0].entities == ["Profile"]
    assert application.default_discount_additional_cost_per_item_scope == "price"
    assert page.total_result_size == 1
    assert page.data[0].name == created["name"]


@pytest.mark.parametrize("kind", ["", "staging"])
def test_api_keys_read_as_the_sdks_keys(mgmt: Api, application: dict[str, Any], kind: str) -> None:
    body = {"title": "k", "expires": "2099-01-01T00:00:00Z", "type": kind}
    created = mgmt.post(f"/v1/applications/{application['id']}/api_keys", json=body).json()

    new_key = sdk(created, "NewApplicationAPIKey")
    key = sdk(
        mgmt.get(f"/v1/applications/{application['id']}/api_keys/{created['id']}").json(),
        "ApplicationAPIKey",
    )

    assert (new_key.key, new_key.application_id, new_key.account_id) == (
        created["key"],
        application["id"],
        1,
    )
    assert key.type == (kind or None)
    assert key.expires.year == 2099


def test_attributes_and_event_types_read_as_the_sdks(mgmt: Api) -> None:
    created = mgmt.post(
        "/v1/attributes",
        json={
            "entity": "Event",
            "eventType": "signup",
            "name": "source",
            "title": "Source",
            "type": "(list string)",
        },
    ).json()

    attribute = sdk(created, "Attribute")
    attributes = sdk(mgmt.get("/v1/attributes").json(), "InlineResponse20036")
    event_types = sdk(mgmt.get("/v1/event_types").json(), "InlineResponse20042")

    assert (attribute.entity, attribute.event_type, attribute.type) == (
        "Event",
        "signup",
        "(list string)",
    )
    assert attributes.data[0].name == "source"
    assert event_types.data[0].name == "signup"
    assert attribute.event_type_id == event_types.data[0].id


def test_additional_costs_read_as_the_sdks(mgmt: Api) -> None:
    mgmt.post(
        "/v1/additional_costs",
        json={"name": "shipping", "title": "Shipping", "description": "", "type": "both"},
    )

    costs = sdk(mgmt.get("/v1/additional_costs").json(), "InlineResponse20038")

    assert (costs.data[0].name, costs.data[0].type) == ("shipping", "both")
