"""Customer session use cases: update (create, change, close, cancel), read, reopen, return."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from carrot.domain.errors import BadRequest, NotFound, Problem, bad_request
from carrot.domain.profile import CustomerProfile, Event
from carrot.domain.session import (
    INITIAL_STATES,
    UPDATE_TRANSITIONS,
    CartItem,
    CustomerSession,
    SessionState,
    counts_as_sale,
    transition_event,
)
from carrot.engine.rollback import rollback_all, rollback_returned
from carrot.engine.scope import EventView
from carrot.service.attributes import check_attributes
from carrot.service.customers import (
    DryRun,
    Evaluation,
    IntegrationState,
    evaluation_time,
    finish,
    require_dry_for_staging,
)
from carrot.service.evaluation import (
    Applied,
    RulesRun,
    application_places,
    apply_attribute_updates,
    current_rules,
    run_rules,
)
from carrot.service.keys import IntegrationCaller
from carrot.service.redemption import (
    codes_now,
    evaluate_and_take,
    give_back_returned,
    give_back_session,
    set_referral_friends,
    store_created_coupons,
    store_created_referrals,
    store_reservations,
)
from carrot.store import customers as store
from carrot.store import ledger
from carrot.store.db import Database, retried

IDEMPOTENCY_WINDOW = timedelta(hours=24)
SESSION_POINTER = "/customerSession"


@dataclass(frozen=True)
class SessionChanges:
    """What an update asks for. None means "keep what the session has"."""

    profile_id: str | None = None
    store_integration_id: str | None = None
    coupon_codes: list[str] | None = None
    referral_code: str | None = None
    loyalty_cards: list[str] | None = None
    state: SessionState | None = None
    cart_items: list[CartItem] | None = None
    additional_costs: dict[str, Decimal] | None = None
    identifiers: list[str] | None = None
    attributes: dict[str, Any] | None = None
    evaluable_campaign_ids: list[int] | None = None


@retried
def update_customer_session(
    db: Database,
    caller: IntegrationCaller,
    integration_id: str,
    changes: SessionChanges,
    *,
    dry: bool = False,
    now: datetime | None = None,
    explain: bool = False,
) -> IntegrationState:
    """Create or change the session, run the rules on it, and answer with their effects.
    `explain` fills in why rules did not fire (ruleFailureReasons)."""
    require_dry_for_staging(caller, dry)
    when = evaluation_time(caller, dry, now)
    if changes.evaluable_campaign_ids is not None and not dry:
        raise bad_request(
            "evaluableCampaignIds may only be given with dry=true.",
            f"{SESSION_POINTER}/evaluableCampaignIds",
        )
    try:
        with db.write() as conn:
            changes = _checked(conn, caller, changes)
            rules = RuleOptions(changes.evaluable_campaign_ids, explain)
            result = _apply_update(conn, caller, integration_id, changes, when, rules)
            return finish(conn, dry, result)  # type: ignore[no-any-return]
    except DryRun as dry_run:
        return dry_run.result  # type: ignore[no-any-return]


def _checked(
    conn: sa.Connection, caller: IntegrationCaller, changes: SessionChanges
) -> SessionChanges:
    """Attributes and additional costs against their definitions; every problem at once."""
    problems: list[Problem] = []
    attributes = changes.attributes
    if attributes is not None:
        attributes = _collect(
            problems,
            lambda: check_attributes(
                conn,
                caller.account_id,
                caller.application_id,
                "CustomerSession",
                attributes or {},
                f"{SESSION_POINTER}/attributes",
            ),
        )
    items = changes.cart_items
    if items is not None:
        items = [
            _collect(problems, lambda i=i, item=item: _checked_item(conn, caller, i, item)) or item
            for i, item in enumerate(items)
        ]
    if changes.additional_costs or items:
        defined = current_rules(conn, caller).additional_costs
        problems += _cost_problems(defined, changes.additional_costs or {}, items or [])
    if problems:
        raise BadRequest(problems[0].details, problems)
    return SessionChanges(**{**changes.__dict__, "attributes": attributes, "cart_items": items})


def _checked_item(
    conn: sa.Connection, caller: IntegrationCaller, index: int, item: CartItem
) -> CartItem:
    if not item.attributes:
        return item
    attributes = check_attributes(
        conn,
        caller.account_id,
        caller.application_id,
        "CartItem",
        item.attributes,
        f"{SESSION_POINTER}/cartItems/{index}/attributes",
    )
    return CartItem(**{**item.__dict__, "attributes": attributes})


def _collect(problems: list[Problem], check: Any) -> Any:
    try:
        return check()
    except BadRequest as error:
        problems.extend(error.problems or [Problem(title="Bad request", details=error.message)])
        return None


def _cost_problems(
    defined: dict[str, str], session_costs: dict[str, Decimal], items: list[CartItem]
) -> list[Problem]:
    problems = []
    for name in session_costs:
        kind = defined.get(name)
        pointer = f"{SESSION_POINTER}/additionalCosts/{name}"
        if kind is None:
            problems.append(_undefined_cost(name, pointer))
        elif kind == "item":
            problems.append(
                Problem(
                    "Invalid value", f"Additional cost '{name}' is for cart items only.", pointer
                )
            )
    for index, item in enumerate(items):
        for name in item.additional_costs:
            kind = defined.get(name)
            pointer = f"{SESSION_POINTER}/cartItems/{index}/additionalCosts/{name}"
            if kind is None:
                problems.append(_undefined_cost(name, pointer))
            elif kind == "session":
                problems.append(
                    Problem(
                        "Invalid value", f"Additional cost '{name}' is for sessions only.", pointer
                    )
                )
    return problems


def _undefined_cost(name: str, pointer: str) -> Problem:
    return Problem(
        "Unknown additional cost",
        f"Additional cost '{name}' is not defined; create it with POST /v1/additional_costs.",
        pointer,
    )


def _apply_update(
    conn: sa.Connection,
    caller: IntegrationCaller,
    integration_id: str,
    changes: SessionChanges,
    when: datetime,
    rules: RuleOptions,
) -> IntegrationState:
    store.lock_session_key(conn, caller.application_id, integration_id)
    old = store.find_session(conn, caller.application_id, integration_id, lock=True)
    if old is None:
        created = _create(conn, caller, integration_id, changes, when, rules)
        if created is not None:
            return created
        # A parallel call created the session between our look and our insert.
        old = store.find_session(conn, caller.application_id, integration_id, lock=True)
        assert old is not None
    return _update(conn, caller, old, changes, when, rules)


@dataclass(frozen=True)
class RuleOptions:
    """How to run the rules: only some campaigns (dry calls), and whether to explain."""

    only: list[int] | None = None
    explain: bool = False


@dataclass(frozen=True)
class Evaluated:
    """A session and profile after the rules ran on them, the answer, and what the rules
    consumed and ask to create (stored with `_store_consequences` once the session is)."""

    session: CustomerSession
    profile: CustomerProfile | None
    evaluation: Evaluation
    run: RulesRun | None = None
    entries: list[ledger.Entry] = field(default_factory=list)


def _evaluated(
    conn: sa.Connection,
    caller: IntegrationCaller,
    session: CustomerSession,
    profile: CustomerProfile | None,
    event_type: str,
    when: datetime,
    rules: RuleOptions,
    *,
    consuming: bool = False,
) -> Evaluated:
    """Run the rules on the session as it is about to be stored, with the profile as it was
    before this change counts; apply their attribute updates. A closing session consumes what
    the rules take (budgets, coupon and referral counters), through guarded updates that make
    the rules run again when another call took first. A cancelled session runs none."""
    if session.state is SessionState.CANCELLED:
        return Evaluated(session.with_changes(effects=[]), profile, Evaluation())

    def run_once() -> tuple[RulesRun, Applied]:
        run = run_rules(
            conn,
            caller,
            when,
            session=session,
            profile=profile,
            event=EventView(event_type),
            only=rules.only,
            explain=rules.explain,
        )
        return run, apply_attribute_updates(conn, caller, run, session, profile)

    taken = evaluate_and_take(
        conn,
        caller.application_id,
        run_once,
        lambda result: result[0].outcome.takes,
        consuming=consuming,
    )
    run, applied = taken.result
    assert applied.session is not None
    evaluation = Evaluation(
        effects=applied.effects,
        triggered_campaigns=run.triggered,
        rule_failure_reasons=applied.failures,
        coupons=run.coupons,
        referral=run.referral,
    )
    return Evaluated(
        applied.session.with_changes(effects=applied.effects),
        applied.profile,
        evaluation,
        run,
        taken.entries,
    )


def _store_consequences(
    conn: sa.Connection,
    caller: IntegrationCaller,
    evaluated: Evaluated,
    origin: ledger.Origin,
    *,
    consuming: bool,
) -> Evaluation:
    """Record the ledger rows of what the evaluation took; store the reservations its rules
    made and, when it consumes, the coupons and referrals they created; answer the evaluation
    with those created."""
    evaluation, run = evaluated.evaluation, evaluated.run
    ledger.record(conn, caller.application_id, evaluated.entries, origin)
    if run is None:
        return evaluation
    outcome = run.outcome
    store_reservations(conn, caller.application_id, outcome.reservations, origin.when)
    if not consuming:
        return evaluation
    set_referral_friends(conn, outcome.takes, evaluated.session.profile_integration_id)
    coupons, referral = codes_now(conn, run.coupons, run.referral, evaluated.entries)
    return replace(
        evaluation,
        coupons=coupons,
        referral=referral,
        created_coupons=store_created_coupons(
            conn, caller.application_id, outcome.created_coupons, origin.when
        ),
        created_referrals=store_created_referrals(
            conn, caller.application_id, outcome.created_referrals, origin.when
        ),
    )


def _create(
    conn: sa.Connection,
    caller: IntegrationCaller,
    integration_id: str,
    changes: SessionChanges,
    when: datetime,
    rules: RuleOptions,
) -> IntegrationState | None:
    state = changes.state or SessionState.OPEN
    if state not in INITIAL_STATES:
        raise bad_request(
            f"A new session can only be created as open or closed, not {state.value}.",
            f"{SESSION_POINTER}/state",
        )
    draft = CustomerSession(
        id=0,
        application_id=caller.application_id,
        integration_id=integration_id,
        profile_integration_id=changes.profile_id or "",
        state=state,
        created=when,
        updated=when,
        store_integration_id=changes.store_integration_id,
        coupon_codes=changes.coupon_codes or [],
        referral_code=changes.referral_code or "",
        loyalty_cards=changes.loyalty_cards or [],
        cart_items=changes.cart_items or [],
        additional_costs=changes.additional_costs or {},
        identifiers=changes.identifiers or [],
        attributes=changes.attributes or {},
        closed_at=when if state is SessionState.CLOSED else None,
    )
    profile, first = _profile_and_first(conn, caller, draft.profile_integration_id, when, None)
    draft = draft.with_changes(profile_id=profile and profile.id, first_session=first)
    event_type = transition_event(None, state)
    closing = state is SessionState.CLOSED
    # Closing consumes before the insert; a parallel creation found there must undo that.
    before = conn.begin_nested() if closing else None
    evaluated = _evaluated(conn, caller, draft, profile, event_type, when, rules, consuming=closing)
    session_id = store.insert_session(conn, evaluated.session)
    if session_id is None:
        if before is not None:
            before.rollback()
        return None
    if before is not None:
        before.commit()
    session = evaluated.session.with_changes(id=session_id)
    profile = _account_for_sale(conn, evaluated.profile, None, session, when)
    event = _record_event(conn, session, event_type, when, evaluated.evaluation.effects)
    origin = ledger.Origin(ledger.CLOSE, when, session.id, event.id)
    evaluation = _store_consequences(conn, caller, evaluated, origin, consuming=closing)
    return IntegrationState(evaluation, session=session, profile=profile, event=event)


def _update(
    conn: sa.Connection,
    caller: IntegrationCaller,
    old: CustomerSession,
    changes: SessionChanges,
    when: datetime,
    rules: RuleOptions,
) -> IntegrationState:
    state = changes.state or old.state
    if old.state is not SessionState.OPEN:
        return _change_finished_session(conn, caller, old, changes, state, when)
    if state not in UPDATE_TRANSITIONS[old.state]:
        raise _refused_transition(old.state, state)
    session = _merged(old, changes, state, when)
    if session.profile_integration_id != old.profile_integration_id:
        profile, first = _profile_and_first(
            conn, caller, session.profile_integration_id, when, old.id
        )
        session = session.with_changes(profile_id=profile and profile.id, first_session=first)
    else:
        profile = _session_profile(conn, caller, session.profile_integration_id, when)
    event_type = transition_event(old.state, state)
    closing = state is SessionState.CLOSED
    evaluated = _evaluated(
        conn, caller, session, profile, event_type, when, rules, consuming=closing
    )
    session = evaluated.session
    store.save_session(conn, session)
    profile = _account_for_sale(conn, evaluated.profile, old, session, when)
    event = _record_event(conn, session, event_type, when, evaluated.evaluation.effects)
    origin = ledger.Origin(ledger.CLOSE, when, session.id, event.id)
    evaluation = _store_consequences(conn, caller, evaluated, origin, consuming=closing)
    return IntegrationState(evaluation, session=session, profile=profile, event=event)


def _change_finished_session(
    conn: sa.Connection,
    caller: IntegrationCaller,
    old: CustomerSession,
    changes: SessionChanges,
    state: SessionState,
    when: datetime,
) -> IntegrationState:
    """A closed, partially returned or cancelled session only changes state; repeating its
    current state with nothing else changed is answered as it stands (a retried close)."""
    changed = _changed_fields(old, changes)
    if changed:
        raise bad_request(
            f"Session '{old.integration_id}' is {old.state.value} and can no longer be modified; "
            f"'{changed[0]}' cannot change.",
            f"{SESSION_POINTER}/{changed[0]}",
        )
    profile = _session_profile(conn, caller, old.profile_integration_id, when)
    if state is old.state:
        event = store.latest_session_event(conn, old.id)
        return IntegrationState(Evaluation(), session=old, profile=profile, event=event)
    if state not in UPDATE_TRANSITIONS[old.state]:
        raise _refused_transition(old.state, state)
    rollbacks = rollback_all(old.effects)
    session = old.with_changes(
        state=state,
        updated=when,
        update_count=old.update_count + 1,
        cancelled_at=when,
        effects=[],
    )
    store.save_session(conn, session)
    given = give_back_session(conn, caller.application_id, old.id)
    profile = _account_for_sale(conn, profile, old, session, when)
    event = _record_event(conn, session, transition_event(old.state, state), when, rollbacks)
    origin = ledger.Origin(ledger.CANCEL, when, session.id, event.id)
    ledger.record(conn, caller.application_id, given, origin)
    return IntegrationState(
        Evaluation(effects=rollbacks), session=session, profile=profile, event=event
    )


def _changed_fields(old: CustomerSession, changes: SessionChanges) -> list[str]:
    """The wire names of the fields `changes` would alter on `old`."""
    compared = {
        "profileId": (changes.profile_id, old.profile_integration_id),
        "storeIntegrationId": (changes.store_integration_id, old.store_integration_id),
        "couponCodes": (changes.coupon_codes, old.coupon_codes),
        "referralCode": (changes.referral_code, old.referral_code),
        "loyaltyCards": (changes.loyalty_cards, old.loyalty_cards),
        "cartItems": (
            None if changes.cart_items is None else [_comparable(i) for i in changes.cart_items],
            [_comparable(i) for i in old.cart_items],
        ),
        "additionalCosts": (changes.additional_costs, old.additional_costs),
        "identifiers": (changes.identifiers, old.identifiers),
        "attributes": (changes.attributes, old.attributes),
    }
    return [name for name, (new, current) in compared.items() if new is not None and new != current]


def _comparable(item: CartItem) -> CartItem:
    return CartItem(**{**item.__dict__, "returned_quantity": 0})


def _refused_transition(old: SessionState, new: SessionState) -> BadRequest:
    allowed = sorted(s.value for s in UPDATE_TRANSITIONS[old] if s is not old)
    hint = f" Allowed from {old.value}: {', '.join(allowed)}." if allowed else ""
    if old is SessionState.CLOSED and new is SessionState.OPEN:
        hint = " Use PUT /v2/customer_sessions/{customerSessionId}/reopen."
    if new is SessionState.PARTIALLY_RETURNED:
        hint = " Use POST /v2/customer_sessions/{customerSessionId}/returns."
    return bad_request(
        f"A session cannot go from {old.value} to {new.value} through an update.{hint}",
        f"{SESSION_POINTER}/state",
        title="Invalid state transition",
    )


def _merged(
    old: CustomerSession, changes: SessionChanges, state: SessionState, when: datetime
) -> CustomerSession:
    def pick(new: Any, current: Any) -> Any:
        return current if new is None else new

    return old.with_changes(
        profile_integration_id=pick(changes.profile_id, old.profile_integration_id),
        store_integration_id=pick(changes.store_integration_id, old.store_integration_id),
        coupon_codes=pick(changes.coupon_codes, old.coupon_codes),
        referral_code=pick(changes.referral_code, old.referral_code),
        loyalty_cards=pick(changes.loyalty_cards, old.loyalty_cards),
        cart_items=pick(changes.cart_items, old.cart_items),
        additional_costs=pick(changes.additional_costs, old.additional_costs),
        identifiers=pick(changes.identifiers, old.identifiers),
        attributes=pick(changes.attributes, old.attributes),
        state=state,
        updated=when,
        update_count=old.update_count + 1,
        closed_at=when if state is SessionState.CLOSED else old.closed_at,
        cancelled_at=when if state is SessionState.CANCELLED else old.cancelled_at,
    )


def _session_profile(
    conn: sa.Connection, caller: IntegrationCaller, integration_id: str, when: datetime
) -> CustomerProfile | None:
    """The session's profile, locked and created on first mention; None for anonymous sessions."""
    if not integration_id:
        return None
    profile, _ = store.lock_or_create_profile(
        conn, caller.account_id, caller.sandbox, integration_id, when
    )
    return profile


def _profile_and_first(
    conn: sa.Connection,
    caller: IntegrationCaller,
    integration_id: str,
    when: datetime,
    session_id: int | None,
) -> tuple[CustomerProfile | None, bool]:
    """The session's profile (as `_session_profile`) and whether the session is the profile's
    first in the application, i.e. none before `session_id` (any, when None). A profile this
    call created has none, so only a profile that existed is asked."""
    if not integration_id:
        return None, True
    profile, created = store.lock_or_create_profile(
        conn, caller.account_id, caller.sandbox, integration_id, when
    )
    first = created or not store.has_earlier_session(
        conn, caller.application_id, profile.id, session_id
    )
    return profile, first


def _account_for_sale(
    conn: sa.Connection,
    profile: CustomerProfile | None,
    old: CustomerSession | None,
    new: CustomerSession,
    when: datetime,
) -> CustomerProfile | None:
    """Keep closedSessions and totalSales equal to the sum over the profile's sessions that
    count as sales, and mark the profile's last activity."""
    if profile is None:
        return None
    closed, sales = profile.closed_sessions, profile.total_sales
    if old is not None and counts_as_sale(old.state) and old.profile_id == profile.id:
        closed, sales = closed - 1, sales - old.sales_value
    if counts_as_sale(new.state):
        closed, sales = closed + 1, sales + new.sales_value
    updated = CustomerProfile(
        **{
            **profile.__dict__,
            "closed_sessions": closed,
            "total_sales": sales,
            "last_activity": when,
            "updated": when,
        }
    )
    store.save_profile(conn, updated)
    return updated


def _record_event(
    conn: sa.Connection,
    session: CustomerSession,
    event_type: str,
    when: datetime,
    effects: list[dict[str, Any]] | None = None,
) -> Event:
    return store.insert_event(
        conn,
        Event(
            id=0,
            application_id=session.application_id,
            type=event_type,
            created=when,
            profile_id=session.profile_id,
            session_id=session.id,
            profile_integration_id=session.profile_integration_id,
            session_integration_id=session.integration_id,
            store_integration_id=session.store_integration_id,
            effects=effects or [],
        ),
    )


# Reading -----------------------------------------------------------------------------------


def get_customer_session(
    db: Database, caller: IntegrationCaller, integration_id: str
) -> tuple[CustomerSession, list[dict[str, Any]]]:
    with db.read() as conn:
        session = store.find_session(conn, caller.application_id, integration_id)
    if session is None:
        raise NotFound(f"Customer session '{integration_id}' not found.")
    return session, session.effects


# Reopen ------------------------------------------------------------------------------------


@retried
def reopen_customer_session(
    db: Database, caller: IntegrationCaller, integration_id: str
) -> IntegrationState:
    when = evaluation_time(caller, False, None)
    require_dry_for_staging(caller, False)
    with db.write() as conn:
        old = _existing_session(conn, caller, integration_id)
        if old.state is not SessionState.CLOSED:
            raise bad_request(
                f"Only closed sessions can be reopened; session '{integration_id}' is "
                f"{old.state.value}.",
                title="Invalid state transition",
            )
        rollbacks = rollback_all(old.effects)
        session = old.with_changes(
            state=SessionState.OPEN, updated=when, update_count=old.update_count + 1, effects=[]
        )
        store.save_session(conn, session)
        # The profile is locked before any counter, in the order every writer takes them.
        profile = _session_profile(conn, caller, session.profile_integration_id, when)
        given = give_back_session(conn, caller.application_id, old.id)
        profile = _account_for_sale(conn, profile, old, session, when)
        event_type = transition_event(old.state, session.state)
        event = _record_event(conn, session, event_type, when, rollbacks)
        origin = ledger.Origin(ledger.REOPEN, when, session.id, event.id)
        ledger.record(conn, caller.application_id, given, origin)
    return IntegrationState(
        Evaluation(effects=rollbacks), session=session, profile=profile, event=event
    )


def _existing_session(
    conn: sa.Connection, caller: IntegrationCaller, integration_id: str
) -> CustomerSession:
    store.lock_session_key(conn, caller.application_id, integration_id)
    session = store.find_session(conn, caller.application_id, integration_id, lock=True)
    if session is None:
        raise NotFound(f"Customer session '{integration_id}' not found.")
    return session


# Returns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnedItem:
    position: int
    quantity: int | None = None


@retried
def return_cart_items(
    db: Database,
    caller: IntegrationCaller,
    integration_id: str,
    items: list[ReturnedItem],
    *,
    dry: bool = False,
    idempotency_key: str | None = None,
    run_rule_engine: bool = False,
    explain: bool = False,
) -> IntegrationState:
    """Return cart items: the session becomes partially_returned, the per-item discounts of
    the returned units are rolled back. With `run_rule_engine` the rules run again on what is
    left and their effects join the answer (they are not stored as in force)."""
    require_dry_for_staging(caller, dry)
    when = evaluation_time(caller, dry, None)
    rules = RuleOptions(None, explain) if run_rule_engine else None
    try:
        with db.write() as conn:
            result = _apply_return(
                conn, caller, integration_id, items, when, idempotency_key, rules
            )
            return finish(conn, dry, result)  # type: ignore[no-any-return]
    except DryRun as dry_run:
        return dry_run.result  # type: ignore[no-any-return]


def _apply_return(
    conn: sa.Connection,
    caller: IntegrationCaller,
    integration_id: str,
    items: list[ReturnedItem],
    when: datetime,
    idempotency_key: str | None,
    rules: RuleOptions | None,
) -> IntegrationState:
    old = _existing_session(conn, caller, integration_id)
    previous = store.session_returns(conn, old.id)
    if idempotency_key:
        done = store.find_return_by_key(conn, old.id, idempotency_key)
        if done is not None and done.created > when - IDEMPOTENCY_WINDOW:
            profile = _session_profile(conn, caller, old.profile_integration_id, when)
            return IntegrationState(
                Evaluation(),
                session=old,
                profile=profile,
                event=store.latest_session_event(conn, old.id),
                returned=done,
                previous_returns=[r for r in previous if r.id != done.id],
            )
    if old.state not in (SessionState.CLOSED, SessionState.PARTIALLY_RETURNED):
        raise bad_request(
            f"Only closed sessions accept returns; session '{integration_id}' is {old.state.value}.",
            title="Invalid state transition",
        )
    quantities = _quantities(old.cart_items, items)
    lines = {
        item.position: (
            old.cart_items[item.position].quantity,
            old.cart_items[item.position].returned_quantity,
            quantity,
        )
        for item, quantity in _merged_quantities(quantities)
    }
    rollbacks, in_force = rollback_returned(old.effects, lines, application_places(conn, caller))
    session = old.with_changes(
        state=SessionState.PARTIALLY_RETURNED,
        cart_items=_after_return(old.cart_items, quantities),
        updated=when,
        update_count=old.update_count + 1,
        effects=in_force,
    )
    store.save_session(conn, session)
    profile = _session_profile(conn, caller, session.profile_integration_id, when)
    given = give_back_returned(conn, caller.application_id, old.id, rollbacks)
    event_type = transition_event(old.state, session.state)
    evaluation = Evaluation(effects=rollbacks)
    if rules is not None:
        again = _evaluated(conn, caller, session, profile, event_type, when, rules)
        profile = again.profile
        evaluation = Evaluation(
            effects=rollbacks + again.evaluation.effects,
            triggered_campaigns=again.evaluation.triggered_campaigns,
            rule_failure_reasons=again.evaluation.rule_failure_reasons,
        )
    profile = _account_for_sale(conn, profile, old, session, when)
    event = _record_event(conn, session, event_type, when, evaluation.effects)
    ledger.record(
        conn, caller.application_id, given, ledger.Origin(ledger.RETURN, when, old.id, event.id)
    )
    returned = store.insert_return(
        conn,
        {
            "application_id": caller.application_id,
            "account_id": caller.account_id,
            "session_id": session.id,
            "event_id": event.id,
            "profile_id": session.profile_id,
            "created": when,
            "returned_cart_items": [
                {"position": item.position, "quantity": quantity} for item, quantity in quantities
            ],
            "idempotency_key": idempotency_key or None,
        },
    )
    return IntegrationState(
        evaluation,
        session=session,
        profile=profile,
        event=event,
        returned=returned,
        previous_returns=previous,
    )


def _quantities(cart: list[CartItem], items: list[ReturnedItem]) -> list[tuple[ReturnedItem, int]]:
    """Each returned position with the quantity it returns; all of what remains when omitted."""
    problems = []
    result = []
    seen: dict[int, int] = {}
    for index, item in enumerate(items):
        pointer = f"/return/returnedCartItems/{index}"
        if not 0 <= item.position < len(cart):
            problems.append(
                Problem(
                    "Invalid value",
                    f"The session has no cart item at position {item.position}.",
                    f"{pointer}/position",
                )
            )
            continue
        remaining = cart[item.position].remaining_quantity - seen.get(item.position, 0)
        quantity = remaining if item.quantity is None else item.quantity
        if quantity < 1 or quantity > remaining:
            problems.append(
                Problem(
                    "Invalid value",
                    f"Cart item {item.position} has {remaining} unit(s) left to return; "
                    f"cannot return {quantity}.",
                    f"{pointer}/quantity",
                )
            )
            continue
        seen[item.position] = seen.get(item.position, 0) + quantity
        result.append((item, quantity))
    if problems:
        raise BadRequest(problems[0].details, problems)
    return result


def _merged_quantities(
    quantities: list[tuple[ReturnedItem, int]],
) -> list[tuple[ReturnedItem, int]]:
    """One entry per position, adding up a position named twice in one return."""
    merged: dict[int, tuple[ReturnedItem, int]] = {}
    for item, quantity in quantities:
        previous = merged.get(item.position)
        merged[item.position] = (item, quantity + (previous[1] if previous else 0))
    return list(merged.values())


def _after_return(
    cart: list[CartItem], quantities: list[tuple[ReturnedItem, int]]
) -> list[CartItem]:
    returned = dict.fromkeys(range(len(cart)), 0)
    for item, quantity in quantities:
        returned[item.position] += quantity
    return [
        CartItem(**{**item.__dict__, "returned_quantity": item.returned_quantity + returned[i]})
        for i, item in enumerate(cart)
    ]
