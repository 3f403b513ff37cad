"""Every field carrot answers is one Talon.One's SDK knows by that exact name: a misspelt
field (`campaignId` for `campaignID`) is silently dropped by the SDK, so the shop never
sees it. Checked on raw answers against the SDK's own attribute maps."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import talon_one

from tests.compat.test_rules import ONE_OFF_EACH_ITEM, TEN_PERCENT_OVER_50, running_campaign
from tests.compat.test_sessions import define
from tests.live import LiveServer

pytestmark = pytest.mark.slow

# Fields carrot sends that this SDK version predates (Talon.One's current API has them; the
# SDK's NewCampaign already spells evaluationGroupId so).
NEWER_THAN_THE_SDK = {("CustomerSessionV2", "updateCount"), ("Campaign", "evaluationGroupId")}
# Known bugs: the SDK spells these campaignID, rulesetID and evaluationGroupID.
KNOWN_MISSPELT = {
    ("Effect", "evaluationGroupId"),
    ("RuleFailureReason", "campaignId"),
    ("RuleFailureReason", "rulesetId"),
    ("RuleFailureReason", "evaluationGroupId"),
}
# Everything each request model lets a shop ask for.
SESSION_PARTS = ["customerSession", "customerProfile", "event", "triggeredCampaigns"]
FOR_SESSIONS = [*SESSION_PARTS, "ruleFailureReasons"]
FOR_RETURNS = [*SESSION_PARTS, "previousReturns"]
FOR_PROFILES = ["customerProfile", "event", "triggeredCampaigns", "ruleFailureReasons"]


def unknown_fields(data: Any, kind: str, where: str = "") -> list[tuple[str, str, str]]:
    """(path, SDK type, name) of the fields in `data` that the SDK type `kind` has no name for."""
    if data is None:
        return []
    listed = re.fullmatch(r"list\[(.*)\]", kind)
    if listed:
        return [
            f
            for i, item in enumerate(data)
            for f in unknown_fields(item, listed[1], f"{where}/{i}")
        ]
    mapped = re.fullmatch(r"dict\(([^,]*), (.*)\)", kind)
    if mapped:
        return [f for k, v in data.items() for f in unknown_fields(v, mapped[2], f"{where}/{k}")]
    model = getattr(talon_one.models, kind, None)
    if model is None or not isinstance(data, dict):
        return []
    by_wire_name = {wire: attr for attr, wire in model.attribute_map.items()}
    found = []
    for name, value in data.items():
        if name not in by_wire_name:
            if (kind, name) not in NEWER_THAN_THE_SDK:
                found.append((f"{where}/{name}", kind, name))
            continue
        found += unknown_fields(value, model.openapi_types[by_wire_name[name]], f"{where}/{name}")
    return found


@pytest.fixture
def unknown_to_the_sdk(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> list[tuple[str, str, str]]:
    """Every field of every kind of answer (with effects, triggered campaigns, rule failure
    reasons, returns, rollbacks) that the SDK has no name for."""
    define(live_server, "/v1/additional_costs", {"name": "shipping", "title": "Shipping"})
    running_campaign(live_server, TEN_PERCENT_OVER_50)
    running_campaign(live_server, ONE_OFF_EACH_ITEM)
    answers: list[tuple[str, Any, str]] = []

    def raw(kind: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        response = call(*args, _preload_content=False, **kwargs)
        body = json.loads(response.data)
        answers.append((call.__name__, body, kind))
        return body

    session = {
        "profile_id": "lee",
        "cart_items": [talon_one.CartItem(sku="tea", quantity=3, price=30, category="drinks")],
        "additional_costs": {"shipping": talon_one.AdditionalCost(price=4)},
    }
    for session_id, state in (("order-1", "open"), ("order-1", "closed"), ("order-2", "closed")):
        request = talon_one.IntegrationRequest(
            customer_session=talon_one.NewCustomerSessionV2(**session, state=state),
            response_content=FOR_SESSIONS,
        )
        raw("IntegrationStateV2", sdk.update_customer_session_v2, session_id, request)
    raw("IntegrationCustomerSessionResponse", sdk.get_customer_session, "order-1")
    give_back = talon_one.ReturnIntegrationRequest(
        _return=talon_one.NewReturn(returned_cart_items=[talon_one.ReturnedCartItem(position=0)]),
        response_content=FOR_RETURNS,
    )
    raw("IntegrationStateV2", sdk.return_cart_items, "order-1", give_back)
    raw("ReopenSessionResponse", sdk.reopen_customer_session, "order-2")
    profile = talon_one.CustomerProfileIntegrationRequestV2(
        attributes={}, response_content=FOR_PROFILES
    )
    raw(
        "CustomerProfileIntegrationResponseV2",
        sdk.update_customer_profile_v2,
        "lee",
        profile,
        run_rule_engine=True,
    )
    raw("CustomerInventory", sdk.get_customer_inventory, "lee", profile=True)
    bulk = talon_one.MultipleCustomerProfileIntegrationRequest(
        customer_profiles=[
            talon_one.MultipleCustomerProfileIntegrationRequestItem(integration_id="lee")
        ]
    )
    raw(
        "MultipleCustomerProfileIntegrationResponseV2",
        sdk.update_customer_profiles_v2,
        bulk,
        silent="no",
    )
    define(
        live_server,
        "/v1/attributes",
        {
            "entity": "Event",
            "eventType": "rated",
            "name": "stars",
            "title": "Stars",
            "type": "number",
        },
    )
    event = talon_one.IntegrationEventV2Request(
        profile_id="lee", type="rated", attributes={"stars": 5}, response_content=FOR_PROFILES
    )
    raw("TrackEventV2Response", sdk.track_event_v2, event, silent="no")

    return [
        (f"{call}: {path}", kind, name)
        for call, body, answer_kind in answers
        for path, kind, name in unknown_fields(body, answer_kind)
    ]


def test_every_answered_field_has_a_name_the_sdk_knows(
    unknown_to_the_sdk: list[tuple[str, str, str]],
) -> None:
    misspelt = [
        f"{path} ({kind})"
        for path, kind, name in unknown_to_the_sdk
        if (kind, name) not in KNOWN_MISSPELT
    ]
    assert misspelt == [], "\n".join(misspelt)


def test_ids_are_spelt_as_talon_one_spells_them(
    unknown_to_the_sdk: list[tuple[str, str, str]],
) -> None:
    assert [path for path, kind, name in unknown_to_the_sdk if (kind, name) in KNOWN_MISSPELT] == []
