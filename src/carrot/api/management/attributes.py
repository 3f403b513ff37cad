"""Custom attributes and event types: /v1/attributes[/{attributeId}], /v1/event_types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    INT64_MAX,
    Attribute,
    AttributeEntity,
    AttributePage,
    EventType,
    EventTypePage,
    NewAttribute,
    PageSize,
    QueryText,
    Skip,
)
from carrot.api.wire import timestamp
from carrot.service import attributes
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

AttributeId = Annotated[int, Path(alias="attributeId", ge=1, le=INT64_MAX)]


@router.post(
    "/attributes", status_code=201, response_model=Attribute, response_model_exclude_none=True
)
def create_attribute(
    body: NewAttribute,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Attribute:
    return attribute_wire(attributes.create_attribute(db, caller, definition(body)))


@router.get("/attributes", response_model=AttributePage, response_model_exclude_none=True)
def list_attributes(
    page_size: PageSize = 1000,
    skip: Skip = 0,
    entity: AttributeEntity | None = None,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> AttributePage:
    total, rows = attributes.list_attributes(
        db, caller, page_size=page_size, skip=skip, entity=entity
    )
    return AttributePage(total_result_size=total, data=[attribute_wire(row) for row in rows])


@router.get("/attributes/{attributeId}", response_model=Attribute, response_model_exclude_none=True)
def get_attribute(
    attribute_id: AttributeId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Attribute:
    return attribute_wire(attributes.get_attribute(db, caller, attribute_id))


@router.put("/attributes/{attributeId}", response_model=Attribute, response_model_exclude_none=True)
def update_attribute(
    attribute_id: AttributeId,
    body: NewAttribute,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Attribute:
    row = attributes.update_attribute(db, caller, attribute_id, definition(body))
    return attribute_wire(row)


@router.get("/event_types", response_model=EventTypePage)
def list_event_types(
    name: QueryText = None,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> EventTypePage:
    total, rows = attributes.list_event_types(db, caller, page_size=page_size, skip=skip, name=name)
    return EventTypePage(total_result_size=total, data=[event_type_wire(row) for row in rows])


def definition(body: NewAttribute) -> attributes.NewAttribute:
    return attributes.NewAttribute(
        entity=body.entity,
        event_type=body.event_type,
        name=body.name,
        title=body.title,
        type=body.type,
        description=body.description,
        suggestions=body.suggestions,
        has_allowed_list=body.has_allowed_list,
        restricted_by_suggestions=body.restricted_by_suggestions,
        editable=body.editable,
        subscribed_applications_ids=body.subscribed_applications_ids,
    )


def attribute_wire(row: Any) -> Attribute:
    return Attribute(
        id=row.id,
        created=timestamp(row.created) or "",
        account_id=row.account_id,
        entity=row.entity,
        event_type=row.event_type or None,
        event_type_id=row.event_type_id,
        name=row.name,
        title=row.title,
        type=row.type,
        description=row.description,
        suggestions=row.suggestions,
        has_allowed_list=row.has_allowed_list,
        restricted_by_suggestions=row.restricted_by_suggestions,
        editable=row.editable,
        subscribed_applications_ids=row.subscribed_applications_ids,
    )


def event_type_wire(row: Any) -> EventType:
    return EventType(
        id=row.id,
        created=timestamp(row.created) or "",
        title=row.title,
        name=row.name,
        description=row.description,
    )
