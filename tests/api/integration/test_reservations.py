"""Coupon reservations through the real API and database: reserving and releasing within
reservationLimit (all or nothing), the profiles holding a coupon, the reserveCoupon effect,
and the coupons a profile's inventory lists with their state (implicitly reserved ones in
every profile's)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.service import reservations
from carrot.store.db import Database
from tests.api.integration.promotions import (
    COUPON_VALID,
    campaign_with,
    close,
    coupon_now,
    coupons_of,
    discount,
    effects_of,
    rule,
    session,
)
from tests.conftest import Api, create_application, create_integration_key

FUTURE = "2099-01-01T00:00:00Z"


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return campaign_with(mgmt, application, rule("coupon", [COUPON_VALID], discount(10)))


def reserve(integration: Api, code: str, *profiles: str) -> Any:
    return integration.post(f"/v1/coupon_reservations/{code}", json={"integrationIDs": profiles})


def holders(integration: Api, code: str) -> list[str]:
    response = integration.get(f"/v1/coupon_reservations/customerprofiles/{code}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalResultSize"] == len(body["data"])
    return [profile["integrationId"] for profile in body["data"]]


def test_reserving_lists_the_profiles_and_counts_reservations(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)

    response = reserve(integration, coupon["value"], "alice", "bob", "alice")

    assert response.status_code == 200, response.text
    assert response.json()["value"] == coupon["value"]
    assert response.json()["reservationCounter"] == 2
    assert holders(integration, coupon["value"]) == ["alice", "bob"]
    again = reserve(integration, coupon["value"], "alice")
    assert again.json()["reservationCounter"] == 2


def test_releasing_a_reservation(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)
    reserve(integration, coupon["value"], "alice", "bob")

    response = integration.delete(
        f"/v1/coupon_reservations/{coupon['value']}", json={"integrationIDs": ["alice", "carol"]}
    )

    assert response.status_code == 204, response.text
    assert holders(integration, coupon["value"]) == ["bob"]
    assert coupon_now(mgmt, application, coupon)["reservationCounter"] == 1


def test_a_full_reservation_limit_refuses_the_whole_request(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign, reservationLimit=2)
    reserve(integration, coupon["value"], "alice")

    response = reserve(integration, coupon["value"], "bob", "carol")

    assert response.status_code == 400
    body = response.json()
    assert "reservationLimit" in body["message"]
    assert body["errors"][0]["source"] == {"pointer": "/integrationIDs/1"}
    assert holders(integration, coupon["value"]) == ["alice"]
    assert coupon_now(mgmt, application, coupon)["reservationCounter"] == 1


def test_unknown_coupon_and_bad_bodies_are_refused(
    integration: Api, campaign: dict[str, Any]
) -> None:
    unknown = reserve(integration, "NOPE", "alice")
    empty = integration.post("/v1/coupon_reservations/NOPE", json={"integrationIDs": []})
    missing = integration.post("/v1/coupon_reservations/NOPE", json={})
    listed = integration.get("/v1/coupon_reservations/customerprofiles/NOPE")

    assert unknown.status_code == 404 and listed.status_code == 404
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["source"] == {"pointer": "/integrationIDs"}
    assert missing.status_code == 400


def test_coupons_of_another_application_are_not_found(
    client: TestClient, mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)
    other = create_application(mgmt)
    stranger = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, other['id'])}")

    assert reserve(stranger, coupon["value"], "alice").status_code == 404


def test_a_key_is_required(client: TestClient) -> None:
    response = client.post("/v1/coupon_reservations/X", json={"integrationIDs": ["a"]})

    assert response.status_code == 401


def test_reserve_coupon_effect_reserves_for_the_sessions_profile(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("wallet", [], ["reserveCoupon"]))
    [coupon] = coupons_of(mgmt, application, campaign)

    first = session(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])
    second = session(integration, "s1", attributes={})

    [effect] = effects_of(first, "reserveCoupon")
    assert effect["props"] == {
        "couponValue": coupon["value"],
        "profileIntegrationId": "alice",
        "isNewReservation": True,
    }
    assert effects_of(second, "reserveCoupon")[0]["props"]["isNewReservation"] is False
    assert holders(integration, coupon["value"]) == ["alice"]


def test_inventory_lists_the_profiles_coupons_with_their_state(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    personal, reserved, pending, _unrelated = coupons_of(mgmt, application, campaign, 4)
    url = f"/v1/applications/{application['id']}/campaigns/{campaign['id']}/coupons"
    for coupon, changes in (
        (personal, {"recipientIntegrationId": "alice"}),
        (pending, {"recipientIntegrationId": "alice", "startDate": FUTURE}),
    ):
        assert mgmt.put(f"{url}/{coupon['id']}", json=changes).status_code == 200
    reserve(integration, reserved["value"], "alice")
    close(integration, "s1", profileId="alice", couponCodes=[personal["value"]])

    response = integration.get("/v1/customer_profiles/alice/inventory", params={"coupons": "true"})

    assert response.status_code == 200, response.text
    listed = {c["value"]: c for c in response.json()["coupons"]}
    assert set(listed) == {personal["value"], reserved["value"], pending["value"]}
    assert listed[personal["value"]]["state"] == "used"
    assert listed[personal["value"]]["profileRedemptionCount"] == 1
    assert listed[reserved["value"]]["state"] == "active"
    assert listed[reserved["value"]]["profileRedemptionCount"] == 0
    assert listed[pending["value"]]["state"] == "pending"
    without = integration.get("/v1/customer_profiles/alice/inventory").json()
    assert without["coupons"] == []


def inventory_coupons(integration: Api, profile: str) -> dict[str, dict[str, Any]]:
    url = f"/v1/customer_profiles/{profile}/inventory"
    response = integration.get(url, params={"coupons": "true"})
    assert response.status_code == 200, response.text
    return {coupon["value"]: coupon for coupon in response.json()["coupons"]}


def test_implicitly_reserved_coupons_are_in_every_profiles_inventory(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [for_all, for_all_used] = coupons_of(mgmt, application, campaign, 2, implicitlyReserved=True)
    [for_bob] = coupons_of(
        mgmt, application, campaign, implicitlyReserved=True, recipientIntegrationId="bob"
    )
    [pending] = coupons_of(mgmt, application, campaign, implicitlyReserved=True, startDate=FUTURE)
    coupons_of(mgmt, application, campaign)
    close(integration, "s1", profileId="bob", couponCodes=[for_all_used["value"]])
    assert integration.put("/v2/customer_profiles/carol", json={}).status_code == 200

    bobs = inventory_coupons(integration, "bob")
    carols = inventory_coupons(integration, "carol")

    everyones = {for_all["value"], for_all_used["value"], pending["value"]}
    assert set(carols) == everyones
    assert set(bobs) == everyones | {for_bob["value"]}
    assert list(carols) == sorted(carols, key=lambda value: carols[value]["id"])
    assert carols[for_all["value"]]["state"] == "active"
    assert carols[for_all_used["value"]]["state"] == "used"
    assert carols[pending["value"]]["state"] == "pending"
    assert carols[for_all_used["value"]]["profileRedemptionCount"] == 0
    assert bobs[for_all_used["value"]]["profileRedemptionCount"] == 1
    assert all(coupon["implicitlyReserved"] for coupon in carols.values())


def test_an_inventory_lists_the_newest_implicitly_reserved_coupons_up_to_its_limit(
    monkeypatch: pytest.MonkeyPatch,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
) -> None:
    monkeypatch.setattr(reservations, "VISIBLE_TO_ALL_LIMIT", 2)
    [reserved] = coupons_of(mgmt, application, campaign, implicitlyReserved=True)
    oldest, newer, newest = coupons_of(mgmt, application, campaign, 3, implicitlyReserved=True)
    reserve(integration, reserved["value"], "alice")

    listed = inventory_coupons(integration, "alice")

    assert list(listed) == [reserved["value"], newer["value"], newest["value"]]
    assert oldest["value"] not in listed


def test_erasing_a_customer_releases_their_reservations(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign, reservationLimit=2)
    reserve(integration, coupon["value"], "alice", "bob")

    erased = integration.delete("/v1/customer_data/alice")

    assert erased.status_code == 204, erased.text
    assert holders(integration, coupon["value"]) == ["bob"]
    assert coupon_now(mgmt, application, coupon)["reservationCounter"] == 1
    assert reserve(integration, coupon["value"], "carol").status_code == 200
