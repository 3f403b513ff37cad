"""Custom effects of the account: /v1/custom_effects[/{customEffectId}]. Wire models are
Talon.One's NewCustomEffect, CustomEffect and TemplateArgDef."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    INT64_MAX,
    Flag,
    Id,
    Name,
    PageSize,
    RequestModel,
    ShortText,
    Skip,
    Text,
)
from carrot.api.wire import WireModel, timestamp
from carrot.domain import campaign as domain
from carrot.service import custom_effects
from carrot.service.attributes import IDENTIFIER_RULE, is_identifier, unstorable_text
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

CustomEffectId = Annotated[int, Path(alias="customEffectId", ge=1, le=INT64_MAX)]


def _identifier(text: str) -> str:
    if not is_identifier(text):
        raise PydanticCustomError("identifier", IDENTIFIER_RULE.format(what="A param key"))
    return text


def _storable_json(document: Any) -> Any:
    """Refuses JSON whose text (keys or values) neither database could keep."""
    texts: list[Any] = [document]
    while texts:
        value = texts.pop()
        if isinstance(value, dict):
            texts.extend(value.keys())
            texts.extend(value.values())
        elif isinstance(value, list):
            texts.extend(value)
        elif isinstance(value, str) and (reason := unstorable_text(value)) is not None:
            raise PydanticCustomError("unstorable_text", "The text " + reason)
    return document


class TemplateArgDef(RequestModel):
    """One param of a custom effect. `${$name}` in the payload names it by its key, or by
    its title when it has none."""

    type: Literal["string", "number", "boolean", "time", "(list string)"]
    description: Text = ""
    title: Name
    ui: Annotated[dict[str, Any], AfterValidator(_storable_json)] = Field(default_factory=dict)
    key: Annotated[ShortText, AfterValidator(_identifier)] | None = None
    picklist_id: Id | None = None
    restricted_by_picklist: Flag | None = None

    def document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


class NewCustomEffect(RequestModel):
    """The body of POST /v1/custom_effects and PUT …/{customEffectId}."""

    application_ids: list[Id]
    is_per_item: Flag = False
    # Talon.One's patterns: a letter first, then word characters and spaces; a title that
    # starts with neither a space nor a control character and holds no control character.
    name: Annotated[Name, Field(pattern=r"^[A-Za-z][A-Za-z0-9_ ]*$")]
    title: Annotated[Name, Field(pattern=r"^[^\x00-\x1f\x7f\s][^\x00-\x1f\x7f]*$")]
    payload: Annotated[Text, Field(min_length=1)]
    description: Text = ""
    enabled: Flag = True
    params: list[TemplateArgDef] = Field(default_factory=list)


class CustomEffect(WireModel):
    id: int
    created: str
    account_id: int
    modified: str
    application_ids: list[int]
    is_per_item: bool
    name: str
    title: str
    payload: str
    description: str
    enabled: bool
    params: list[dict[str, Any]]
    modified_by: int | None = None
    created_by: int


class CustomEffectPage(WireModel):
    total_result_size: int
    data: list[CustomEffect]


@router.post(
    "/custom_effects",
    status_code=201,
    response_model=CustomEffect,
    response_model_exclude_none=True,
)
def create_custom_effect(
    body: NewCustomEffect,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CustomEffect:
    return custom_effect_wire(custom_effects.create_custom_effect(db, caller, settings(body)))


@router.get("/custom_effects", response_model=CustomEffectPage, response_model_exclude_none=True)
def list_custom_effects(
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CustomEffectPage:
    total, found = custom_effects.list_custom_effects(db, caller, page_size=page_size, skip=skip)
    return CustomEffectPage(
        total_result_size=total, data=[custom_effect_wire(effect) for effect in found]
    )


@router.get(
    "/custom_effects/{customEffectId}",
    response_model=CustomEffect,
    response_model_exclude_none=True,
)
def get_custom_effect(
    custom_effect_id: CustomEffectId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CustomEffect:
    return custom_effect_wire(custom_effects.get_custom_effect(db, caller, custom_effect_id))


@router.put(
    "/custom_effects/{customEffectId}",
    response_model=CustomEffect,
    response_model_exclude_none=True,
)
def update_custom_effect(
    custom_effect_id: CustomEffectId,
    body: NewCustomEffect,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CustomEffect:
    updated = custom_effects.update_custom_effect(db, caller, custom_effect_id, settings(body))
    return custom_effect_wire(updated)


@router.delete("/custom_effects/{customEffectId}", status_code=204)
def delete_custom_effect(
    custom_effect_id: CustomEffectId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    custom_effects.delete_custom_effect(db, caller, custom_effect_id)
    return Response(status_code=204)


def settings(body: NewCustomEffect) -> custom_effects.CustomEffectSettings:
    return custom_effects.CustomEffectSettings(
        application_ids=body.application_ids,
        name=body.name,
        title=body.title,
        payload=body.payload,
        is_per_item=body.is_per_item,
        description=body.description,
        enabled=body.enabled,
        params=[param.document() for param in body.params],
    )


def custom_effect_wire(effect: domain.CustomEffect) -> CustomEffect:
    return CustomEffect(
        id=effect.id,
        created=timestamp(effect.created) or "",
        account_id=effect.account_id,
        modified=timestamp(effect.modified) or "",
        application_ids=list(effect.application_ids),
        is_per_item=effect.is_per_item,
        name=effect.name,
        title=effect.title,
        payload=effect.payload,
        description=effect.description,
        enabled=effect.enabled,
        params=[param_wire(param) for param in effect.params],
        modified_by=effect.modified_by,
        created_by=effect.created_by,
    )


def param_wire(param: domain.CustomEffectParam) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "type": param.type,
        "description": param.description,
        "title": param.title,
        "ui": param.ui,
    }
    optional = {
        "key": param.key,
        "picklistId": param.picklist_id,
        "restrictedByPicklist": param.restricted_by_picklist,
    }
    wire.update({name: value for name, value in optional.items() if value is not None})
    return wire
