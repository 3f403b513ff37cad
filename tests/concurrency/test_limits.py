"""No limit is ever exceeded, whatever the load: up to 64 client threads released at once,
spread round robin over real `carrot serve` processes on one database, close sessions that
compete for a coupon's or a referral's usage limit, a gift card's discountLimit, campaign
budgets (money and counts, from closes and from events) and a per-profile limit; dry closes
consume nothing; a seeded random workload of closes, cancels, returns and reopens must leave
every counter equal to its ledger (`carrot check-ledgers`, which is shown to catch a tampered
counter) and to what the sessions' effects in force add up to."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from carrot.store import tables
from carrot.store.db import Database
from tests.concurrency.promotions import (
    ALWAYS,
    COUPON_VALID,
    IN_FORCE_STATES,
    Promotions,
    at_once,
    cart,
    check_ledgers,
    coupon_verdicts,
    discounts,
    effects_of,
    last_line,
    limit,
    money,
    ok,
    per_item_discount,
    put_session,
    round_robin,
    rule,
    set_discount,
)
from tests.live import LiveServer

pytestmark = pytest.mark.slow


def verdict(effects: list[dict[str, Any]], code: str) -> str:
    """'acceptCoupon', 'rejectCoupon:<reason>', or a description of anything else."""
    found = coupon_verdicts(effects, code)
    if len(found) != 1:
        return f"{len(found)} verdicts: {found}"
    if found[0]["effectType"] == "acceptCoupon":
        return "acceptCoupon"
    return f"rejectCoupon:{found[0]['props'].get('rejectionReason')}"


def ledgers_agree(database_url: str) -> None:
    done = check_ledgers(database_url)
    assert done.returncode == 0 and last_line(done.stdout) == "0 differences", (
        "carrot check-ledgers: expected exit 0 ending with '0 differences', got exit "
        f"{done.returncode}, stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    )


# One coupon, usage limit 1 ---------------------------------------------------------------------


def test_a_coupon_usable_once_closed_in_64_sessions_at_once_is_redeemed_once(
    live_server: LiveServer, database_url: str
) -> None:
    sessions = 64
    promotions = Promotions(live_server)
    campaign = promotions.campaign(
        "once",
        [rule("coupon", COUPON_VALID, set_discount("coupon", 10))],
        features=["coupons"],
    )
    code = promotions.coupons(campaign, 1, usageLimit=1)[0]["value"]

    with round_robin(live_server) as clients:
        opened = at_once(
            sessions,
            lambda i: put_session(
                clients[i],
                f"once-{i}",
                profileId=f"buyer-{i}",
                couponCodes=[code],
                cartItems=cart(("mug", 30, 1)),
            ),
        )
        open_verdicts = Counter(verdict(effects_of(r, "open"), code) for r in opened)
        assert open_verdicts == {"acceptCoupon": sessions}, (
            f"before any close, expected every open session to accept {code}, got {open_verdicts}"
        )
        # Each close lands on another process than the one that opened the session.
        closed = at_once(
            sessions, lambda i: put_session(clients[i + 1], f"once-{i}", state="closed")
        )
        closes = [effects_of(r, f"close once-{i}") for i, r in enumerate(closed)]
        stored = at_once(sessions, lambda i: clients[i].get(f"/v2/customer_sessions/once-{i}"))

    seen = Counter(verdict(effects, code) for effects in closes)
    assert seen == {"acceptCoupon": 1, "rejectCoupon:CouponLimitReached": sessions - 1}, (
        f"expected 1 acceptCoupon and {sessions - 1} rejectCoupon (CouponLimitReached) "
        f"among the close answers, got {dict(seen)}"
    )
    given = sum((sum(discounts(effects), Decimal(0)) for effects in closes), Decimal(0))
    assert given == 10, f"expected the one redemption's 10 off in total, got {given}"
    kept = Counter(verdict(effects_of(r, "GET session"), code) for r in stored)
    assert kept["acceptCoupon"] == 1, (
        f"expected one stored session to hold acceptCoupon, got {dict(kept)}"
    )
    coupon = promotions.coupon(campaign, code)
    assert coupon["usageCounter"] == 1, (
        f"expected usageCounter 1 for {code}, got {coupon['usageCounter']}"
    )
    ledgers_agree(database_url)


# A campaign budget -----------------------------------------------------------------------------


@pytest.mark.parametrize("partial", [False, True], ids=["whole-discounts", "partial-discounts"])
def test_a_setdiscount_budget_is_given_exactly_once_over_200_concurrent_closes(
    live_server: LiveServer, database_url: str, partial: bool
) -> None:
    """10 off every session from a budget of 1000 (1005 with partial discounts: one session
    gets the last 5, with desiredValue 10)."""
    sessions = 200
    budget = Decimal(1005) if partial else Decimal(1000)
    promotions = Promotions(live_server)
    if partial:
        promotions.update_application(enablePartialDiscounts=True)
    campaign = promotions.campaign(
        "budget",
        [rule("ten off", ALWAYS, set_discount("ten off", 10))],
        limits=[limit("setDiscount", int(budget))],
    )

    with round_robin(live_server) as clients:
        opened = at_once(
            sessions,
            lambda i: put_session(clients[i], f"budget-{i}", cartItems=cart(("tea", 30, 1))),
        )
        for i, response in enumerate(opened):
            assert discounts(effects_of(response, f"open budget-{i}"), campaign) == [10], (
                f"open budget-{i}: expected 10 off before any close, got {response.text[:1000]}"
            )
        closed = at_once(
            sessions, lambda i: put_session(clients[i + 1], f"budget-{i}", state="closed")
        )
        closes = [effects_of(r, f"close budget-{i}") for i, r in enumerate(closed)]

    values = [value for effects in closes for value in discounts(effects, campaign)]
    total = sum(values, Decimal(0))
    assert total == budget, (
        f"expected exactly {budget} given over {sessions} closes, got {total} "
        f"({len(values)} discounts: {Counter(values)})"
    )
    expected_values = Counter({Decimal(10): 100})
    if partial:
        expected_values[Decimal(5)] = 1
    assert Counter(values) == expected_values, (
        f"expected discounts {dict(expected_values)}, got {dict(Counter(values))}"
    )
    if partial:
        capped = [
            e
            for effects in closes
            for e in effects
            if e["effectType"] == "setDiscount" and money(e["props"]["value"]) == 5
        ]
        desired = [e["props"].get("desiredValue") for e in capped]
        assert [money(d) if d is not None else None for d in desired] == [10], (
            f"expected the capped discount to carry desiredValue 10, got {desired}"
        )
    counter = promotions.budget_counter(campaign, "setDiscount")
    assert counter == budget, f"expected the setDiscount budget counter at {budget}, got {counter}"
    ledgers_agree(database_url)


# A per-profile limit -----------------------------------------------------------------------------


def test_a_per_profile_limit_of_1_holds_over_20_parallel_sessions_of_one_profile(
    live_server: LiveServer, database_url: str
) -> None:
    sessions = 20
    promotions = Promotions(live_server)
    campaign = promotions.campaign(
        "once per customer",
        [rule("coupon", COUPON_VALID, set_discount("coupon", 10))],
        limits=[limit("redeemCoupon", 1, "Profile")],
        features=["coupons"],
    )
    code = promotions.coupons(campaign, 1, usageLimit=0)[0]["value"]

    with round_robin(live_server) as clients:
        opened = at_once(
            sessions,
            lambda i: put_session(
                clients[i],
                f"pat-{i}",
                profileId="pat",
                couponCodes=[code],
                cartItems=cart(("mug", 30, 1)),
            ),
        )
        assert Counter(verdict(effects_of(r, "open"), code) for r in opened) == {
            "acceptCoupon": sessions
        }, "before any close, every open session of pat accepts the code"
        closed = at_once(
            sessions, lambda i: put_session(clients[i + 1], f"pat-{i}", state="closed")
        )
        closes = [effects_of(r, f"close pat-{i}") for i, r in enumerate(closed)]
        # Another customer is not held back by pat's redemption.
        other = put_session(
            clients[0],
            "sam-0",
            profileId="sam",
            couponCodes=[code],
            cartItems=cart(("mug", 30, 1)),
            state="closed",
        )

    seen = Counter(verdict(effects, code) for effects in closes)
    assert seen == {"acceptCoupon": 1, "rejectCoupon:ProfileLimitReached": sessions - 1}, (
        f"expected 1 acceptCoupon and {sessions - 1} rejectCoupon (ProfileLimitReached) for "
        f"one profile's parallel closes, got {dict(seen)}"
    )
    sam = verdict(effects_of(other, "close sam-0"), code)
    assert sam == "acceptCoupon", f"expected another profile to redeem the code, got {sam}"
    coupon = promotions.coupon(campaign, code)
    assert coupon["usageCounter"] == 2, (
        f"expected usageCounter 2 (pat once, sam once), got {coupon['usageCounter']}"
    )
    counter = promotions.budget_counter(campaign, "redeemCoupon")
    assert counter == 2, (
        f"expected the redeemCoupon budget to show 2 (1 per profile), got {counter}"
    )
    ledgers_agree(database_url)


# A referral, usage limit 1 ------------------------------------------------------------------------


def test_a_referral_usable_once_closed_by_64_friends_at_once_is_redeemed_once(
    live_server: LiveServer, database_url: str
) -> None:
    sessions = 64
    promotions = Promotions(live_server)
    campaign = promotions.campaign(
        "refer a friend",
        [rule("referral", ["and", ["referralValid"]], set_discount("friend", 10))],
        features=["referrals"],
    )
    with round_robin(live_server) as clients:
        made = clients[0].post(
            "/v1/referrals",
            json={"campaignId": campaign, "advocateProfileIntegrationId": "ada", "usageLimit": 1},
        )
        code = ok(made, "POST /v1/referrals")["code"]
        opened = at_once(
            sessions,
            lambda i: put_session(
                clients[i],
                f"friend-{i}",
                profileId=f"friend-{i}",
                referralCode=code,
                cartItems=cart(("mug", 30, 1)),
            ),
        )
        assert Counter(referral_verdict(effects_of(r, "open"), code) for r in opened) == {
            "acceptReferral": sessions
        }, "before any close, every open session accepts the referral code"
        closed = at_once(
            sessions, lambda i: put_session(clients[i + 1], f"friend-{i}", state="closed")
        )
        closes = [effects_of(r, f"close friend-{i}") for i, r in enumerate(closed)]

    seen = Counter(referral_verdict(effects, code) for effects in closes)
    # The winner's close makes its profile the referral's friend, so the others may be told
    # either reason: both say the code is spent.
    spent = ("rejectReferral:ReferralLimitReached", "rejectReferral:ReferralRecipientDoesNotMatch")
    rejected = sum(n for verdict_, n in seen.items() if verdict_ in spent)
    assert seen["acceptReferral"] == 1 and rejected == sessions - 1, (
        f"expected 1 acceptReferral and {sessions - 1} rejectReferral (ReferralLimitReached or "
        f"ReferralRecipientDoesNotMatch), got {dict(seen)}"
    )
    given = sum((sum(discounts(effects, campaign), Decimal(0)) for effects in closes), Decimal(0))
    assert given == 10, f"expected the one redemption's 10 off in total, got {given}"
    referral = promotions.referral(campaign, code)
    assert referral["usageCounter"] == 1, (
        f"expected usageCounter 1 for referral {code}, got {referral['usageCounter']}"
    )
    ledgers_agree(database_url)


def referral_verdict(effects: list[dict[str, Any]], code: str) -> str:
    found = [
        e
        for e in effects
        if e["effectType"] in ("acceptReferral", "rejectReferral")
        and e["props"].get("value") == code
    ]
    if len(found) != 1:
        return f"{len(found)} verdicts: {found}"
    if found[0]["effectType"] == "acceptReferral":
        return "acceptReferral"
    return f"rejectReferral:{found[0]['props'].get('rejectionReason')}"


# Dry calls consume nothing --------------------------------------------------------------------------


def test_64_dry_closes_at_once_consume_nothing(live_server: LiveServer, database_url: str) -> None:
    sessions = 64
    promotions = Promotions(live_server)
    campaign = promotions.campaign(
        "dry",
        [rule("coupon", COUPON_VALID, set_discount("coupon", 10))],
        limits=[limit("setDiscount", 10)],
        features=["coupons"],
    )
    code = promotions.coupons(campaign, 1, usageLimit=1)[0]["value"]

    def dry_close(client: httpx.Client, i: int) -> httpx.Response:
        body = {
            "customerSession": {
                "profileId": f"window-shopper-{i}",
                "couponCodes": [code],
                "cartItems": cart(("mug", 30, 1)),
                "state": "closed",
            },
            "responseContent": [],
        }
        return client.put(f"/v2/customer_sessions/dry-{i}", params={"dry": "true"}, json=body)

    with round_robin(live_server) as clients:
        answered = at_once(sessions, lambda i: dry_close(clients[i], i))
        dry = [effects_of(r, f"dry close {i}") for i, r in enumerate(answered)]
        real = put_session(
            clients[1],
            "real-0",
            profileId="buyer",
            couponCodes=[code],
            cartItems=cart(("mug", 30, 1)),
            state="closed",
        )

    seen = Counter((verdict(effects, code), tuple(discounts(effects))) for effects in dry)
    assert seen == {("acceptCoupon", (Decimal(10),)): sessions}, (
        f"expected every dry close to accept the code and give 10 (nothing is consumed), "
        f"got {dict(seen)}"
    )
    after = (verdict(effects_of(real, "close real-0"), code), discounts(effects_of(real, "")))
    assert after == ("acceptCoupon", [Decimal(10)]), (
        f"expected the first real close to get the code and the budget, got {after}"
    )
    assert promotions.coupon(campaign, code)["usageCounter"] == 1
    assert promotions.budget_counter(campaign, "setDiscount") == 10
    ledgers_agree(database_url)


# Events consume at once ------------------------------------------------------------------------------


def test_64_events_at_once_take_a_count_budget_of_10_exactly(
    live_server: LiveServer, database_url: str
) -> None:
    events = 64
    promotions = Promotions(live_server)
    promotions.event_type("ping")
    campaign = promotions.campaign(
        "free sample",
        [
            rule(
                "sample",
                ["and", ["=", [".", "Event", "Type"], "ping"]],
                ["addFreeItem", "SAMPLE", "Sample"],
            )
        ],
        limits=[limit("addFreeItemEffect", 10)],
    )

    def ping(client: httpx.Client, i: int) -> httpx.Response:
        return client.post(
            "/v2/events",
            params={"silent": "no"},
            json={"profileId": f"pinger-{i}", "type": "ping", "attributes": {}},
        )

    with round_robin(live_server) as clients:
        answered = at_once(events, lambda i: ping(clients[i], i))
        given = [
            e
            for i, r in enumerate(answered)
            for e in effects_of(r, f"event {i}")
            if e["effectType"] == "addFreeItem"
        ]
    assert len(given) == 10, f"expected 10 addFreeItem over {events} events, got {len(given)}"
    counter = promotions.budget_counter(campaign, "addFreeItemEffect")
    assert counter == 10, f"expected the addFreeItemEffect budget counter at 10, got {counter}"
    ledgers_agree(database_url)


# A gift card -------------------------------------------------------------------------------------


@pytest.mark.parametrize("split", [False, True], ids=["one-discount", "per-item-discounts"])
def test_a_gift_card_never_gives_more_than_its_discount_limit_under_concurrent_closes(
    live_server: LiveServer, database_url: str, split: bool
) -> None:
    """A coupon with discountLimit 25 and 10 off per session. One session discount: two
    sessions get 10, one gets the last 5 (desiredValue 10), every other close is rejected and
    gets nothing. Split over two items (5 + 5): whatever the engine does with the last 5, what
    the answers give is what the card counts, never more than 25, and a rejected card gives
    nothing."""
    sessions = 20
    promotions = Promotions(live_server)
    effect = per_item_discount("gift card", 5) if split else set_discount("gift card", 10)
    campaign = promotions.campaign(
        "gift card", [rule("gift card", COUPON_VALID, effect)], features=["coupons"]
    )
    code = promotions.coupons(campaign, 1, usageLimit=0, discountLimit=25)[0]["value"]
    items = cart(("book", 40, 1), ("pen", 40, 1)) if split else cart(("book", 40, 1))

    with round_robin(live_server) as clients:
        opened = at_once(
            sessions,
            lambda i: put_session(
                clients[i],
                f"gift-{i}",
                profileId=f"giftee-{i}",
                couponCodes=[code],
                cartItems=items,
            ),
        )
        assert Counter(verdict(effects_of(r, "open"), code) for r in opened) == {
            "acceptCoupon": sessions
        }, "before any close, every open session accepts the gift card"
        closed = at_once(
            sessions, lambda i: put_session(clients[i + 1], f"gift-{i}", state="closed")
        )
        closes = [effects_of(r, f"close gift-{i}") for i, r in enumerate(closed)]

    seen = Counter(verdict(effects, code) for effects in closes)
    given = sum((sum(discounts(e, campaign), Decimal(0)) for e in closes), Decimal(0))
    given_to_rejected = [
        (i, verdict(effects, code), discounts(effects, campaign))
        for i, effects in enumerate(closes)
        if verdict(effects, code) != "acceptCoupon" and discounts(effects, campaign)
    ]
    coupon = promotions.coupon(campaign, code)
    counters = {k: coupon[k] for k in ("usageCounter", "discountCounter", "discountRemainder")}
    assert not given_to_rejected, (
        "expected no discount where the card was rejected, got (session, verdict, discounts) "
        f"{given_to_rejected}; the card counts {counters}"
    )
    assert money(coupon["discountCounter"]) == given <= 25, (
        f"expected the card to count exactly what the closes gave, at most 25: gave {given}, "
        f"the card counts {counters}"
    )
    assert coupon["usageCounter"] == seen["acceptCoupon"], (
        f"expected usageCounter == accepted closes ({seen['acceptCoupon']}), got {counters}"
    )
    if not split:
        assert seen == {"acceptCoupon": 3, "rejectCoupon:CouponLimitReached": sessions - 3}, (
            f"expected 3 acceptCoupon (10, 10, 5) and {sessions - 3} rejectCoupon "
            f"(CouponLimitReached), got {dict(seen)}"
        )
        values = Counter(value for effects in closes for value in discounts(effects, campaign))
        assert values == {Decimal(10): 2, Decimal(5): 1}, (
            f"expected discounts 10, 10 and the last 5 of the card, got {dict(values)}"
        )
        assert counters == {"usageCounter": 3, "discountCounter": 25, "discountRemainder": 0}, (
            f"expected usageCounter 3, discountCounter 25, discountRemainder 0, got {counters}"
        )
    ledgers_agree(database_url)


# A randomized workload -----------------------------------------------------------------------------

SEED = 20261126
WORKLOAD_SESSIONS = 160
PROFILES = [f"shopper-{i}" for i in range(12)]
PRICES = ["6", "7.50", "9.99", "12", "20"]

# Campaign A: a coupon campaign, 2 off per unit of every line.
A_MONEY, A_EFFECTS, A_PER_PROFILE = 150, 40, 2
# Campaign B: 5 off every session.
B_MONEY, B_EFFECTS = 437, 100
COUPON_USES = 4
GIFT_CARD = Decimal(30)
CONFLICT_RETRIES = 3


@dataclass
class Step:
    kind: str  # create-closed | open | close | cancel | return | reopen
    returned: list[dict[str, int]] = field(default_factory=list)


@dataclass
class Plan:
    """One session's sequence of calls, decided up front from the seed."""

    session_id: str
    profile: str
    codes: list[str]
    lines: list[tuple[str, str, int]]
    steps: list[Step]


@dataclass
class Outcome:
    """What the calls answered, in order."""

    statuses: list[tuple[str, int, str]] = field(default_factory=list)
    conflicts: int = 0  # 409s answered and sent again
    last_close: list[dict[str, Any]] | None = None
    state: str = ""


def a_return(rng: random.Random, remaining: list[int]) -> Step:
    """Return some units of one line that still has some (`remaining` is updated)."""
    position = rng.choice([p for p, left in enumerate(remaining) if left > 0])
    quantity = rng.randint(1, remaining[position])
    remaining[position] -= quantity
    return Step("return", [{"position": position, "quantity": quantity}])


def plan_workload(rng: random.Random, codes: list[str]) -> list[Plan]:
    plans = []
    for i in range(WORKLOAD_SESSIONS):
        profile = "" if rng.random() < 0.1 else rng.choice(PROFILES)
        pick = rng.random()
        chosen = [rng.choice(codes)] if pick < 0.55 else [f"NOPE-{i:04d}"] if pick < 0.65 else []
        lines = [
            (f"sku-{n}", rng.choice(PRICES), rng.randint(1, 3)) for n in range(rng.randint(1, 3))
        ]
        steps = [Step("create-closed")] if rng.random() < 0.2 else [Step("open"), Step("close")]
        remaining = [quantity for _, _, quantity in lines]

        follow = rng.random()
        if follow < 0.2:
            steps.append(Step("cancel"))
        elif follow < 0.4:
            steps.append(a_return(rng, remaining))
            if any(remaining) and rng.random() < 0.5:
                steps.append(a_return(rng, remaining))
            if rng.random() < 0.3:
                steps.append(Step("cancel"))
        elif follow < 0.6:
            steps += [Step("reopen"), Step("close")]
            if rng.random() < 0.3:
                steps.append(a_return(rng, remaining))
        plans.append(Plan(f"work-{i}", profile, chosen, lines, steps))
    return plans


def run_plan(clients: Any, index: int, plan: Plan) -> Outcome:
    outcome = Outcome()
    fields: dict[str, Any] = {
        "profileId": plan.profile,
        "couponCodes": plan.codes,
        "cartItems": cart(*plan.lines),
    }
    path = f"/v2/customer_sessions/{plan.session_id}"

    def call(client: httpx.Client, step: Step) -> httpx.Response:
        if step.kind == "create-closed":
            return put_session(client, plan.session_id, state="closed", **fields)
        if step.kind == "open":
            return put_session(client, plan.session_id, **fields)
        if step.kind == "close":
            return put_session(client, plan.session_id, state="closed")
        if step.kind == "cancel":
            return put_session(client, plan.session_id, state="cancelled")
        if step.kind == "reopen":
            return client.put(f"{path}/reopen")
        return client.post(f"{path}/returns", json={"return": {"returnedCartItems": step.returned}})

    for n, step in enumerate(plan.steps):
        client = clients[index + n]  # neighbouring steps on different processes
        try:
            response = call(client, step)
            # A close that lost its races MAX_ATTEMPTS times answers 409 having stored nothing
            # and asks to be sent again, as a shop would.
            for _ in range(CONFLICT_RETRIES):
                if response.status_code != 409:
                    break
                outcome.conflicts += 1
                response = call(client, step)
        except httpx.TransportError as error:  # a server that dropped the call
            outcome.statuses.append((step.kind, -1, f"{type(error).__name__}: {error}"))
            return outcome
        outcome.statuses.append((step.kind, response.status_code, response.text[:500]))
        if response.status_code != 200:
            return outcome
        if step.kind in ("create-closed", "close"):
            outcome.last_close = effects_of(response, f"{step.kind} {plan.session_id}")
        outcome.state = {
            "create-closed": "closed",
            "open": "open",
            "close": "closed",
            "cancel": "cancelled",
            "reopen": "open",
            "return": "partially_returned",
        }[step.kind]
    return outcome


def test_a_random_workload_leaves_every_counter_equal_to_its_ledger_and_to_the_sessions(
    live_server: LiveServer, database_url: str
) -> None:
    promotions = Promotions(live_server)
    promotions.update_application(enablePartialDiscounts=True)
    campaign_a = promotions.campaign(
        "coupon per unit",
        [rule("coupon", COUPON_VALID, per_item_discount("coupon", 2))],
        limits=[
            limit("setDiscount", A_MONEY),
            limit("setDiscountEffect", A_EFFECTS),
            limit("redeemCoupon", A_PER_PROFILE, "Profile"),
        ],
        features=["coupons"],
    )
    campaign_b = promotions.campaign(
        "five off",
        [rule("five off", ALWAYS, set_discount("five off", 5))],
        limits=[limit("setDiscount", B_MONEY), limit("setDiscountEffect", B_EFFECTS)],
    )
    coupons = promotions.coupons(campaign_a, 6, usageLimit=COUPON_USES)
    coupons += promotions.coupons(campaign_a, 1, usageLimit=0, discountLimit=int(GIFT_CARD))
    by_code = {c["value"]: c for c in coupons}
    gift_card = coupons[-1]["value"]
    plans = plan_workload(random.Random(SEED), list(by_code))

    with round_robin(live_server) as clients:
        outcomes = at_once(len(plans), lambda i: run_plan(clients, i, plans[i]))
        failed = [
            (plan.session_id, outcome.statuses)
            for plan, outcome in zip(plans, outcomes, strict=True)
            if any(status != 200 for _, status, _ in outcome.statuses)
        ]
        conflicts = sum(outcome.conflicts for outcome in outcomes)
        assert not failed, (
            f"seed {SEED}: expected every call to answer 200 ({CONFLICT_RETRIES} retries after a "
            f"409; {conflicts} 409s in all), these did not: {failed}"
        )
        stored = at_once(
            len(plans), lambda i: clients[i].get(f"/v2/customer_sessions/{plans[i].session_id}")
        )

    sessions = [ok(r, "GET session") for r in stored]
    states = {
        p.session_id: s["customerSession"]["state"] for p, s in zip(plans, sessions, strict=True)
    }
    wrong_states = {
        p.session_id: (o.state, states[p.session_id])
        for p, o in zip(plans, outcomes, strict=True)
        if o.state != states[p.session_id]
    }
    assert not wrong_states, f"session states (expected, stored) differ: {wrong_states}"

    # Recompute every counter from the effects in force of the sessions that count.
    usage: Counter[str] = Counter()
    given_by_coupon: dict[str, Decimal] = {code: Decimal(0) for code in by_code}
    money_in_force = {campaign_a: Decimal(0), campaign_b: Decimal(0)}
    effects_taken = {campaign_a: 0, campaign_b: 0}
    accepted_per_profile: Counter[str] = Counter()
    mismatched_closes = []
    unbacked: list[tuple[str, dict[str, Any]]] = []
    coupon_code = {c["id"]: c["value"] for c in coupons}
    for plan, outcome, stored_session in zip(plans, outcomes, sessions, strict=True):
        if states[plan.session_id] not in IN_FORCE_STATES:
            continue
        in_force = stored_session["effects"]
        for code in plan.codes:
            if verdict(in_force, code) == "acceptCoupon":
                usage[code] += 1
                accepted_per_profile[plan.profile] += 1
        for e in in_force:
            if e.get("triggeredByCoupon") in coupon_code and discounts([e]):
                given_by_coupon[coupon_code[e["triggeredByCoupon"]]] += discounts([e])[0]
            accepted = {c for c in plan.codes if verdict(in_force, c) == "acceptCoupon"}
            if (
                e["campaignId"] == campaign_a
                and discounts([e])
                and coupon_code.get(e.get("triggeredByCoupon")) not in accepted
            ):
                # Campaign A's only rule needs couponValid: no accepted coupon, no discount.
                unbacked.append((plan.session_id, e))
        for campaign in money_in_force:
            money_in_force[campaign] += sum(discounts(in_force, campaign), Decimal(0))
        assert outcome.last_close is not None
        for campaign in effects_taken:
            # Counts are not given back by partial returns: count what the close gave.
            effects_taken[campaign] += len(discounts(outcome.last_close, campaign))
        if states[plan.session_id] == "closed":
            answered = (
                sorted(discounts(outcome.last_close)),
                [verdict(outcome.last_close, c) for c in plan.codes],
            )
            kept = (sorted(discounts(in_force)), [verdict(in_force, c) for c in plan.codes])
            if answered != kept:
                mismatched_closes.append((plan.session_id, answered, kept))

    problems = [
        "a discount of the coupon campaign not triggered by a coupon the session accepted "
        f"(campaign A's only rule needs couponValid): {session_id}: {effect}"
        for session_id, effect in unbacked
    ] + [
        "a closed session's stored effects differ from what its close answered: "
        f"{session_id}: answered {answered}, stored {kept}"
        for session_id, answered, kept in mismatched_closes
    ]
    done = check_ledgers(database_url)
    if done.returncode != 0 or last_line(done.stdout) != "0 differences":
        problems.append(
            "carrot check-ledgers: expected exit 0 ending with '0 differences', got exit "
            f"{done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    for code, coupon in by_code.items():
        now = promotions.coupon(campaign_a, code)
        if now["usageCounter"] != usage[code]:
            problems.append(
                f"{code} usageCounter: expected {usage[code]}, got {now['usageCounter']}"
            )
        if money(now["discountCounter"]) != given_by_coupon[code]:
            problems.append(
                f"{code} discountCounter: expected {given_by_coupon[code]}, "
                f"got {now['discountCounter']}"
            )
        if coupon["usageLimit"] and usage[code] > coupon["usageLimit"]:
            problems.append(f"{code} redeemed {usage[code]} times, limit {coupon['usageLimit']}")
    if given_by_coupon[gift_card] > GIFT_CARD:
        problems.append(f"gift card {gift_card} gave {given_by_coupon[gift_card]} > {GIFT_CARD}")
    expected_budgets: dict[tuple[int, str], tuple[Decimal | int, int | None]] = {
        (campaign_a, "setDiscount"): (money_in_force[campaign_a], A_MONEY),
        (campaign_a, "setDiscountEffect"): (effects_taken[campaign_a], A_EFFECTS),
        (campaign_a, "redeemCoupon"): (sum(usage.values()), None),
        (campaign_b, "setDiscount"): (money_in_force[campaign_b], B_MONEY),
        (campaign_b, "setDiscountEffect"): (effects_taken[campaign_b], B_EFFECTS),
    }
    for (campaign, action), (expected, cap) in expected_budgets.items():
        shown = promotions.budgets(campaign)
        if action not in shown:
            problems.append(f"campaign {campaign}: expected a {action} budget, got {shown}")
            continue
        counter = money(shown[action]["counter"])
        if counter != expected:
            problems.append(f"campaign {campaign} {action}: expected {expected}, got {counter}")
        if cap is not None and expected > cap:
            problems.append(f"campaign {campaign} {action}: {expected} in force, limit {cap}")
    over = {p: n for p, n in accepted_per_profile.items() if n > A_PER_PROFILE}
    if over:
        problems.append(f"profiles over their limit of {A_PER_PROFILE}: {over}")
    if accepted_per_profile[""]:
        problems.append(f"anonymous sessions redeemed {accepted_per_profile['']} coupons")
    print(
        f"workload seed {SEED}: {len(plans)} sessions, {conflicts} 409s sent again, "
        f"usage {dict(usage)}, in force A {money_in_force[campaign_a]} B {money_in_force[campaign_b]}"
    )
    assert not problems, f"seed {SEED}: counters against the sessions:\n" + "\n".join(problems)


# check-ledgers can fail ----------------------------------------------------------------------------


def test_check_ledgers_reports_a_counter_that_disagrees_with_its_ledger(
    live_server: LiveServer, database_url: str, db: Database
) -> None:
    promotions = Promotions(live_server)
    campaign = promotions.campaign(
        "tampered",
        [rule("coupon", COUPON_VALID, set_discount("coupon", 10))],
        features=["coupons"],
    )
    coupon = promotions.coupons(campaign, 1, usageLimit=5)[0]
    with round_robin(live_server) as clients:
        closed = put_session(
            clients[0],
            "tamper-0",
            couponCodes=[coupon["value"]],
            cartItems=cart(("mug", 30, 1)),
            state="closed",
        )
    assert verdict(effects_of(closed, "close tamper-0"), coupon["value"]) == "acceptCoupon"
    ledgers_agree(database_url)

    with db.write() as conn:
        conn.execute(
            sa.update(tables.coupons)
            .where(tables.coupons.c.id == coupon["id"])
            .values(usage_counter=tables.coupons.c.usage_counter + 2)
        )
    done = check_ledgers(database_url)
    assert done.returncode == 1 and re.fullmatch(r"1 differences?", last_line(done.stdout)), (
        "carrot check-ledgers on a coupon counted 3 with 1 redemption in its ledger: expected "
        f"exit 1 ending with '1 difference(s)', got exit {done.returncode}, stdout:\n"
        f"{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    )
    assert coupon["value"] in done.stdout or str(coupon["id"]) in done.stdout, (
        f"expected the difference to name coupon {coupon['id']} ({coupon['value']}), got:\n"
        f"{done.stdout[-4000:]}"
    )
