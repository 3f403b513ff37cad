"""PUT/GET /v2/customer_sessions/{customerSessionId}, /reopen and /returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from pydantic import AfterValidator

from carrot.api import present
from carrot.api.auth import database, integration_call, integration_caller, integration_key
from carrot.api.integration.models import (
    CartItem,
    IntegrationRequest,
    NewCustomerSessionV2,
    ResponseContent,
    ReturnIntegrationRequest,
    storable,
)
from carrot.api.wire import json_response
from carrot.domain import session as domain
from carrot.service import sessions
from carrot.service.keys import IntegrationCaller
from carrot.store.db import Database

router = APIRouter()

SessionId = Annotated[
    str,
    Path(alias="customerSessionId", min_length=1, max_length=1000),
    AfterValidator(storable),
]


@router.put("/v2/customer_sessions/{customerSessionId}", response_model=dict[str, Any])
async def update_customer_session_v2(
    customer_session_id: SessionId,
    body: Annotated[IntegrationRequest, Body()],
    dry: Annotated[bool, Query()] = False,
    now: Annotated[datetime | None, Query()] = None,
    key: str = Depends(integration_key),
    db: Database = Depends(database),
) -> Response:
    """Create or update a customer session; answers IntegrationStateV2."""

    def call(caller: IntegrationCaller) -> Response:
        state = sessions.update_customer_session(
            db,
            caller,
            customer_session_id,
            _changes(body.customer_session),
            dry=dry,
            now=now,
            explain=ResponseContent.RULE_FAILURE_REASONS in body.response_content,
        )
        return json_response(present.integration_state(state, body.response_content))

    return await integration_call(db, key, call)


@router.get("/v2/customer_sessions/{customerSessionId}")
def get_customer_session(
    customer_session_id: SessionId,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    session, effects = sessions.get_customer_session(db, caller, customer_session_id)
    return {"customerSession": present.customer_session(session), "effects": effects}


@router.put("/v2/customer_sessions/{customerSessionId}/reopen")
def reopen_customer_session(
    customer_session_id: SessionId,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    state = sessions.reopen_customer_session(db, caller, customer_session_id)
    return {"effects": state.evaluation.effects}


@router.post("/v2/customer_sessions/{customerSessionId}/returns")
def return_cart_items(
    customer_session_id: SessionId,
    body: Annotated[ReturnIntegrationRequest, Body()],
    dry: Annotated[bool, Query()] = False,
    run_rule_engine: Annotated[bool, Query(alias="runRuleEngine")] = False,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    items = [
        sessions.ReturnedItem(position=item.position, quantity=item.quantity)
        for item in body.return_.returned_cart_items
    ]
    state = sessions.return_cart_items(
        db,
        caller,
        customer_session_id,
        items,
        dry=dry,
        idempotency_key=idempotency_key,
        run_rule_engine=run_rule_engine,
        explain=ResponseContent.RULE_FAILURE_REASONS in body.response_content,
    )
    return present.integration_state(state, body.response_content)


def _changes(wire: NewCustomerSessionV2) -> sessions.SessionChanges:
    return sessions.SessionChanges(
        profile_id=wire.profile_id,
        store_integration_id=wire.store_integration_id,
        coupon_codes=wire.coupon_codes,
        referral_code=wire.referral_code,
        loyalty_cards=wire.loyalty_cards,
        state=wire.state,
        cart_items=None if wire.cart_items is None else [_item(i) for i in wire.cart_items],
        additional_costs=None
        if wire.additional_costs is None
        else {name: cost.price for name, cost in wire.additional_costs.items()},
        identifiers=wire.identifiers,
        attributes=wire.attributes,
        evaluable_campaign_ids=wire.evaluable_campaign_ids,
    )


def _item(wire: CartItem) -> domain.CartItem:
    return domain.CartItem(
        sku=wire.sku,
        quantity=wire.quantity,
        price=wire.price,
        name=wire.name,
        category=wire.category,
        product=None if wire.product is None else {"name": wire.product.name},
        weight=wire.weight,
        height=wire.height,
        width=wire.width,
        length=wire.length,
        attributes=wire.attributes,
        additional_costs={name: cost.price for name, cost in wire.additional_costs.items()},
    )
