"""POST /v2/events: custom events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from carrot.api import present
from carrot.api.auth import database, integration_call, integration_key
from carrot.api.integration.models import IntegrationEventV2Request, ResponseContent
from carrot.api.integration.profiles import Silent
from carrot.api.wire import json_response
from carrot.service import events
from carrot.service.keys import IntegrationCaller
from carrot.store.db import Database

router = APIRouter()


@router.post("/v2/events", response_model=None)
async def track_event_v2(
    body: Annotated[IntegrationEventV2Request, Body()],
    silent: Annotated[Silent, Query()] = Silent.YES,
    dry: Annotated[bool, Query()] = False,
    key: str = Depends(integration_key),
    db: Database = Depends(database),
) -> Response:
    def call(caller: IntegrationCaller) -> Response:
        state = events.track_event(
            db,
            caller,
            profile_id=body.profile_id,
            event_type=body.type,
            attributes=body.attributes,
            store_integration_id=body.store_integration_id,
            dry=dry,
            only=body.evaluable_campaign_ids if dry else None,
            explain=ResponseContent.RULE_FAILURE_REASONS in body.response_content,
        )
        if silent is Silent.YES:
            return Response(status_code=204)
        return json_response(present.integration_state(state, body.response_content))

    return await integration_call(db, key, call)
