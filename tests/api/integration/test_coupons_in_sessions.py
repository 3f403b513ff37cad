"""Coupon codes in customer sessions through the real API and database: every rejection
reason, acceptance, redemption counted only when the session closes, cancel and reopen giving
back exactly what the session took, discountLimit as a gift card balance, createCoupon, and
referral codes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.store.db import Database
from tests.api.integration.promotions import (
    COUPON_VALID,
    REFERRAL_VALID,
    campaign_with,
    cancel,
    close,
    coupon_now,
    coupons_of,
    differences,
    discount,
    discounts,
    effects_of,
    ledger_rows,
    rejection,
    rule,
    session,
)
from tests.api.management.test_evaluation_groups import create_group
from tests.conftest import Api, create_application, create_integration_key

FUTURE = "2099-01-01T00:00:00Z"
PAST = "2001-01-01T00:00:00Z"
TEN_OFF_WITH_COUPON = rule("coupon", [COUPON_VALID], discount(10))


@pytest.fixture
def campaign(mgmt: Api, application: dict[str, Any]) -> dict[str, Any]:
    return campaign_with(mgmt, application, TEN_OFF_WITH_COUPON)


def code_of(mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], **terms: Any) -> str:
    [coupon] = coupons_of(mgmt, application, campaign, **terms)
    value: str = coupon["value"]
    return value


# --- acceptance and redemption -------------------------------------------------------------


def test_valid_coupon_is_accepted_and_its_campaigns_effects_name_it(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)

    body = session(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])

    [accepted] = effects_of(body, "acceptCoupon")
    assert accepted["props"] == {"value": coupon["value"]}
    assert accepted["campaignId"] == campaign["id"]
    [given] = effects_of(body, "setDiscount")
    assert given["props"]["value"] == 10 and given["triggeredByCoupon"] == coupon["id"]


def test_redemption_counts_only_when_the_session_closes(
    db: Database,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)

    session(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])
    session(integration, "s1", attributes={})
    assert coupon_now(mgmt, application, coupon)["usageCounter"] == 0
    assert ledger_rows(db) == []

    closed = close(integration, "s1")

    assert effects_of(closed, "acceptCoupon")
    stored = coupon_now(mgmt, application, coupon)
    assert stored["usageCounter"] == 1 and stored["discountCounter"] == 10
    assert [(row.kind, row.amount, row.reason) for row in ledger_rows(db)] == [
        ("couponUsage", 1, "close"),
        ("couponDiscount", 10, "close"),
    ]
    assert differences(db) == []


def test_a_session_created_closed_redeems(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)

    close(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])

    assert coupon_now(mgmt, application, coupon)["usageCounter"] == 1


def test_codes_are_looked_up_in_the_applications_case(client: TestClient, mgmt: Api) -> None:
    application = create_application(mgmt, caseSensitivity="insensitive-uppercase")
    integration = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")
    campaign = campaign_with(mgmt, application, TEN_OFF_WITH_COUPON)
    code = code_of(mgmt, application, campaign, couponPattern="SAVE-####")

    body = session(integration, "s1", couponCodes=[code.lower()])

    assert [e["props"]["value"] for e in effects_of(body, "acceptCoupon")] == [code]


def test_a_retried_close_redeems_once(
    db: Database,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign, usageLimit=0)
    close(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])

    close(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])

    assert coupon_now(mgmt, application, coupon)["usageCounter"] == 1
    assert len(ledger_rows(db)) == 2


# --- rejections ------------------------------------------------------------------------------


def test_unknown_code_is_rejected_coupon_not_found(integration: Api, campaign: Any) -> None:
    body = session(integration, "s1", couponCodes=["NO-SUCH-CODE"])

    [rejected] = effects_of(body, "rejectCoupon")
    assert rejected["campaignId"] == -1 and rejected["rulesetId"] == 0
    assert rejected["ruleName"] == "" and rejected["ruleIndex"] == 0
    assert rejected["props"]["value"] == "NO-SUCH-CODE"
    assert rejected["props"]["rejectionReason"] == "CouponNotFound"


def test_coupon_of_a_disabled_campaign_is_part_of_not_running_campaign(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    code = code_of(mgmt, application, campaign)
    url = f"/v1/applications/{application['id']}/campaigns/{campaign['id']}"
    changed = mgmt.put(
        url, json={"name": campaign["name"], "state": "disabled", "features": ["coupons"]}
    )
    assert changed.status_code == 200, changed.text

    body = session(integration, "s1", couponCodes=[code])

    assert rejection(body) == "CouponPartOfNotRunningCampaign"


def test_coupon_not_started_yet_is_rejected(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    code = code_of(mgmt, application, campaign, startDate=FUTURE)

    assert rejection(session(integration, "s1", couponCodes=[code])) == "CouponStartDateInFuture"


def test_expired_coupon_is_rejected(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)
    url = f"/v1/applications/{application['id']}/campaigns/{campaign['id']}/coupons/{coupon['id']}"
    changed = mgmt.put(url, json={"expiryDate": PAST})
    assert changed.status_code == 200, changed.text

    body = session(integration, "s1", couponCodes=[coupon["value"]])

    assert rejection(body) == "CouponExpired"


def test_personal_coupon_is_rejected_for_another_profile_and_anonymous_sessions(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    code = code_of(mgmt, application, campaign, recipientIntegrationId="bob")

    other = session(integration, "s1", profileId="alice", couponCodes=[code])
    anonymous = session(integration, "s2", couponCodes=[code])
    own = session(integration, "s3", profileId="bob", couponCodes=[code])

    assert rejection(other) == "CouponRecipientDoesNotMatch"
    assert rejection(anonymous) == "CouponRecipientDoesNotMatch"
    assert effects_of(own, "acceptCoupon")


def test_mandatory_reservation_is_required(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    code = code_of(mgmt, application, campaign, isReservationMandatory=True)
    reserved = integration.post(f"/v1/coupon_reservations/{code}", json={"integrationIDs": ["bob"]})
    assert reserved.status_code == 200, reserved.text

    without = session(integration, "s1", profileId="alice", couponCodes=[code])
    anonymous = session(integration, "s2", couponCodes=[code])
    holder = session(integration, "s3", profileId="bob", couponCodes=[code])

    assert rejection(without) == "CouponReservationRequired"
    assert rejection(anonymous) == "ProfileRequired"
    assert effects_of(holder, "acceptCoupon")


def test_used_up_coupon_is_rejected_limit_reached(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    code = code_of(mgmt, application, campaign, usageLimit=1)
    first = session(integration, "s1", profileId="alice", couponCodes=[code])
    second = session(integration, "s2", profileId="bob", couponCodes=[code])
    assert effects_of(first, "acceptCoupon") and effects_of(second, "acceptCoupon")

    close(integration, "s1")
    again = session(integration, "s2", attributes={})
    late = close(integration, "s2")

    assert rejection(again) == "CouponLimitReached"
    assert rejection(late) == "CouponLimitReached" and discounts(late) == []
    assert (
        coupon_now(mgmt, application, {"value": code, "campaignId": campaign["id"]})["usageCounter"]
        == 1
    )


def test_campaign_wide_redemption_budget_is_campaign_limit_reached(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    limits = [{"action": "redeemCoupon", "limit": 1, "entities": []}]
    campaign = campaign_with(mgmt, application, TEN_OFF_WITH_COUPON, limits=limits)
    first, second = (c["value"] for c in coupons_of(mgmt, application, campaign, 2))
    close(integration, "s1", profileId="alice", couponCodes=[first])

    body = session(integration, "s2", profileId="bob", couponCodes=[second])

    assert rejection(body) == "CampaignLimitReached"


def test_per_profile_redemption_budget_is_profile_limit_reached(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    limits = [{"action": "redeemCoupon", "limit": 1, "entities": ["Profile"]}]
    campaign = campaign_with(mgmt, application, TEN_OFF_WITH_COUPON, limits=limits)
    code = code_of(mgmt, application, campaign, usageLimit=0)
    close(integration, "s1", profileId="alice", couponCodes=[code])

    again = session(integration, "s2", profileId="alice", couponCodes=[code])
    other = session(integration, "s3", profileId="bob", couponCodes=[code])
    anonymous = session(integration, "s4", couponCodes=[code])

    assert rejection(again) == "ProfileLimitReached"
    assert effects_of(other, "acceptCoupon")
    assert rejection(anonymous) == "ProfileRequired"


def test_coupon_whose_rules_fail_is_rejected_by_condition(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    big_carts = rule("big", [COUPON_VALID, [">", [".", "Session", "Total"], 500]], discount(10))
    campaign = campaign_with(mgmt, application, big_carts)
    code = code_of(mgmt, application, campaign)

    body = session(integration, "s1", couponCodes=[code])

    [rejected] = effects_of(body, "rejectCoupon")
    assert rejected["props"]["rejectionReason"] == "CouponRejectedByCondition"
    assert rejected["props"]["conditionIndex"] == 1
    assert rejected["campaignId"] == campaign["id"]


def test_second_code_of_one_campaign_is_rejected_naming_the_first(
    mgmt: Api, integration: Api, application: dict[str, Any], campaign: dict[str, Any]
) -> None:
    first, second = (c["value"] for c in coupons_of(mgmt, application, campaign, 2))

    body = session(integration, "s1", couponCodes=[first, second])

    assert [e["props"]["value"] for e in effects_of(body, "acceptCoupon")] == [first]
    [rejected] = effects_of(body, "rejectCoupon")
    assert rejected["props"]["value"] == second
    assert rejected["props"]["rejectionReason"] == "CouponRejectedByCondition"
    assert first in rejected["props"]["details"]


def test_coupon_whose_discount_has_no_budget_is_effect_could_not_be_applied(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    limits = [{"action": "setDiscount", "limit": 5, "entities": []}]
    campaign = campaign_with(mgmt, application, TEN_OFF_WITH_COUPON, limits=limits)
    code = code_of(mgmt, application, campaign)

    body = session(integration, "s1", couponCodes=[code])

    assert rejection(body) == "EffectCouldNotBeApplied" and discounts(body) == []


def test_coupon_of_a_campaign_its_group_did_not_select_is_part_of_not_triggered_campaign(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    group = create_group(mgmt, application, name="one wins", evaluationMode="listOrder")
    campaign_with(mgmt, application, rule("always", [], discount(5)), evaluationGroupId=group["id"])
    later = campaign_with(
        mgmt, application, TEN_OFF_WITH_COUPON, name="later", evaluationGroupId=group["id"]
    )
    code = code_of(mgmt, application, later)

    body = session(integration, "s1", couponCodes=[code])

    assert rejection(body) == "CouponPartOfNotTriggeredCampaign"
    assert discounts(body) == [5]


# --- giving back ----------------------------------------------------------------------------


@pytest.mark.parametrize("undo", ["cancel", "reopen"])
def test_cancel_and_reopen_give_back_exactly_what_the_session_took(
    db: Database,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
    undo: str,
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign, usageLimit=1)
    close(integration, "s1", profileId="alice", couponCodes=[coupon["value"]])

    if undo == "cancel":
        body = session(integration, "s1", state="cancelled")
    else:
        response = integration.put("/v2/customer_sessions/s1/reopen")
        assert response.status_code == 200, response.text
        body = response.json()

    assert [e["props"]["value"] for e in effects_of(body, "rollbackCoupon")] == [coupon["value"]]
    stored = coupon_now(mgmt, application, coupon)
    assert stored["usageCounter"] == 0 and stored["discountCounter"] == 0
    assert [(row.kind, row.amount) for row in ledger_rows(db)][2:] == [
        ("couponDiscount", -10),
        ("couponUsage", -1),
    ]
    assert differences(db) == []
    # What was given back can be taken again.
    assert effects_of(close(integration, "s2", couponCodes=[coupon["value"]]), "acceptCoupon")


def test_reopened_and_closed_again_takes_once_more(
    db: Database,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign, usageLimit=0)
    close(integration, "s1", couponCodes=[coupon["value"]])
    integration.put("/v2/customer_sessions/s1/reopen")

    close(integration, "s1")

    assert coupon_now(mgmt, application, coupon)["usageCounter"] == 1
    assert sum(row.amount for row in ledger_rows(db) if row.kind == "couponUsage") == 1
    assert differences(db) == []


# --- discountLimit: a gift card ---------------------------------------------------------------


def test_discount_limit_is_spent_like_a_gift_card_balance(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("card", [COUPON_VALID], discount(30)))
    [card] = coupons_of(mgmt, application, campaign, usageLimit=0, discountLimit=50)

    first = close(integration, "s1", couponCodes=[card["value"]])
    second = close(integration, "s2", couponCodes=[card["value"]])
    third = session(integration, "s3", couponCodes=[card["value"]])

    assert discounts(first) == [30]
    [capped] = effects_of(second, "setDiscount")
    assert capped["props"]["value"] == 20 and capped["props"]["desiredValue"] == 30
    assert rejection(third) == "CouponLimitReached"
    stored = coupon_now(mgmt, application, card)
    assert stored["discountCounter"] == 50 and stored["discountRemainder"] == 0


def test_cancel_refills_the_gift_card(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("card", [COUPON_VALID], discount(30)))
    [card] = coupons_of(mgmt, application, campaign, usageLimit=0, discountLimit=50)
    close(integration, "s1", couponCodes=[card["value"]])
    close(integration, "s2", couponCodes=[card["value"]])

    session(integration, "s1", state="cancelled")

    assert coupon_now(mgmt, application, card)["discountRemainder"] == 30
    assert discounts(close(integration, "s3", couponCodes=[card["value"]])) == [30]
    assert differences(db) == []


# --- created coupons ---------------------------------------------------------------------------


def test_create_coupon_stores_the_code_at_close_and_lists_it(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(
        mgmt,
        application,
        rule("reward", [[">", [".", "Session", "Total"], 50]], ["createCoupon"]),
        couponSettings={"couponPattern": "GIFT-######", "validCharacters": ["A", "B", "C"]},
    )

    opened = session(integration, "s1", profileId="alice")
    closed = close(integration, "s1")

    assert opened["createdCoupons"] == []
    [created] = closed["createdCoupons"]
    assert created["value"].startswith("GIFT-") and created["campaignId"] == campaign["id"]
    assert created["recipientIntegrationId"] == "alice"
    [effect] = effects_of(closed, "couponCreated")
    assert effect["props"] == {"value": created["value"], "profileId": "alice"}
    assert coupon_now(mgmt, application, created)["id"] == created["id"]


def test_dry_close_stores_nothing(
    db: Database,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    campaign: dict[str, Any],
) -> None:
    [coupon] = coupons_of(mgmt, application, campaign)
    body = {"customerSession": {"state": "closed", "couponCodes": [coupon["value"]]}}

    response = integration.put("/v2/customer_sessions/s1", params={"dry": "true"}, json=body)

    assert response.status_code == 200, response.text
    assert effects_of(response.json(), "acceptCoupon")
    assert coupon_now(mgmt, application, coupon)["usageCounter"] == 0
    assert ledger_rows(db) == []


# --- referrals ---------------------------------------------------------------------------------


def referral_code(integration: Api, campaign: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"campaignId": campaign["id"], "advocateProfileIntegrationId": "advocate", **fields}
    response = integration.post("/v1/referrals", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def referrals_now(mgmt: Api, application: dict[str, Any], campaign: dict[str, Any]) -> Any:
    url = f"/v1/applications/{application['id']}/campaigns/{campaign['id']}/referrals/no_total"
    return mgmt.get(url).json()["data"]


def test_a_single_use_referral_is_redeemed_at_close_and_names_its_friend(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("friend", [REFERRAL_VALID], discount(5)))
    code = referral_code(integration, campaign, usageLimit=1)["code"]

    opened = session(integration, "s1", profileId="friend", referralCode=code)
    assert [e["props"]["value"] for e in effects_of(opened, "acceptReferral")] == [code]
    assert referrals_now(mgmt, application, campaign)[0]["usageCounter"] == 0
    close(integration, "s1")

    [stored] = referrals_now(mgmt, application, campaign)
    assert stored["usageCounter"] == 1 and stored["friendProfileIntegrationId"] == "friend"
    again = session(integration, "s2", profileId="friend", referralCode=code)
    stranger = session(integration, "s3", profileId="stranger", referralCode=code)
    [rejected] = effects_of(again, "rejectReferral")
    assert rejected["props"]["rejectionReason"] == "ReferralLimitReached"
    [rejected] = effects_of(stranger, "rejectReferral")
    assert rejected["props"]["rejectionReason"] == "ReferralRecipientDoesNotMatch"
    cancelled = session(integration, "s1", state="cancelled")
    assert effects_of(cancelled, "rollbackReferral")
    assert referrals_now(mgmt, application, campaign)[0]["usageCounter"] == 0
    assert differences(db) == []


def test_a_multi_use_referral_serves_several_friends_up_to_its_limit(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("friend", [REFERRAL_VALID], discount(5)))
    code = referral_code(integration, campaign, usageLimit=3)["code"]

    closes = [
        close(integration, f"s{index}", profileId=f"friend-{index}", referralCode=code)
        for index in range(4)
    ]

    for closed in closes[:3]:
        assert [e["props"]["value"] for e in effects_of(closed, "acceptReferral")] == [code]
    [rejected] = effects_of(closes[3], "rejectReferral")
    assert rejected["props"]["rejectionReason"] == "ReferralLimitReached"
    [stored] = referrals_now(mgmt, application, campaign)
    assert stored["usageCounter"] == 3
    assert "friendProfileIntegrationId" not in stored
    assert differences(db) == []


def test_a_friend_given_at_creation_is_enforced_whatever_the_usage_limit(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("friend", [REFERRAL_VALID], discount(5)))
    code = referral_code(
        integration, campaign, usageLimit=3, friendProfileIntegrationId="friend-0"
    )["code"]

    stranger = close(integration, "s1", profileId="stranger", referralCode=code)
    friend = close(integration, "s2", profileId="friend-0", referralCode=code)

    [rejected] = effects_of(stranger, "rejectReferral")
    assert rejected["props"]["rejectionReason"] == "ReferralRecipientDoesNotMatch"
    assert effects_of(friend, "acceptReferral")
    [stored] = referrals_now(mgmt, application, campaign)
    assert stored["usageCounter"] == 1 and stored["friendProfileIntegrationId"] == "friend-0"


def test_advocate_cannot_redeem_their_own_referral(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("friend", [REFERRAL_VALID], discount(5)))
    code = referral_code(integration, campaign)["code"]

    own = session(integration, "s1", profileId="advocate", referralCode=code)
    unknown = session(integration, "s2", profileId="x", referralCode="NOPE-NOPE")

    reasons = [e["props"]["rejectionReason"] for e in effects_of(own, "rejectReferral")]
    assert reasons == ["ReferralRecipientIdSameAsAdvocate"]
    reasons = [e["props"]["rejectionReason"] for e in effects_of(unknown, "rejectReferral")]
    assert reasons == ["ReferralNotFound"]


def test_create_referral_makes_a_code_for_the_profile(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("share", [], ["createReferral"]))

    closed = close(integration, "s1", profileId="alice")

    [created] = closed["createdReferrals"]
    assert created["advocateProfileIntegrationId"] == "alice"
    assert [r["code"] for r in referrals_now(mgmt, application, campaign)] == [created["code"]]


def test_response_content_coupons_and_referral_show_the_codes_as_stored(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(
        mgmt, application, rule("both", [COUPON_VALID, REFERRAL_VALID], discount(10))
    )
    [coupon] = coupons_of(mgmt, application, campaign)
    code = referral_code(integration, campaign, usageLimit=1)["code"]
    body = {
        "customerSession": {
            "profileId": "friend",
            "state": "closed",
            "couponCodes": [coupon["value"], "UNKNOWN"],
            "referralCode": code,
            "cartItems": [{"sku": "a", "price": 100, "quantity": 1}],
        },
        "responseContent": ["coupons", "referral"],
    }

    response = integration.put("/v2/customer_sessions/s1", json=body)

    assert response.status_code == 200, response.text
    [shown] = response.json()["coupons"]
    assert shown["value"] == coupon["value"] and shown["usageCounter"] == 1
    referral = response.json()["referral"]
    assert referral["code"] == code and referral["usageCounter"] == 1
    assert referral["friendProfileIntegrationId"] == "friend"


def test_the_advocates_inventory_lists_their_codes_and_who_redeemed_them(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign = campaign_with(mgmt, application, rule("friend", [REFERRAL_VALID], discount(5)))
    assert integration.put("/v2/customer_profiles/advocate", json={}).status_code == 200
    code = referral_code(integration, campaign, usageLimit=0)["code"]
    url = "/v1/customer_profiles/advocate/inventory"
    close(integration, "s1", profileId="kim", referralCode=code)

    redeemed = integration.get(url, params={"referrals": "true"})
    cancel(integration, "s1")
    cancelled = integration.get(url, params={"referrals": "true"})

    assert redeemed.status_code == 200, redeemed.text
    [held] = redeemed.json()["referrals"]
    assert held["code"] == code and held["usageCounter"] == 1
    assert held["referredCustomers"] == ["kim"]
    assert cancelled.json()["referrals"][0]["referredCustomers"] == []
