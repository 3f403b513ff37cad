"""Conventions shared by every wire model: camelCase names exactly as Talon.One spells them,
snake_case in Python, timestamps as RFC 3339, money as JSON numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi import Response
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import to_json


class WireModel(BaseModel):
    """A request or response body. Unknown fields are ignored, as Talon.One's SDKs of other
    versions may send fields this version does not know."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
    )


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a `Z`, the way Talon.One writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an integer when it is whole, else the nearest float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def json_values(value: Any) -> Any:
    """A JSON document (attribute values, effect props) with its Decimals as JSON numbers."""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, dict):
        return {key: json_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_values(item) for item in value]
    return value


def json_response(body: dict[str, Any]) -> Response:
    """`body` rendered exactly as FastAPI renders a route's dict, but by the route itself, as
    part of its call: FastAPI would check the returned dict against the declared type
    afterwards (for a plain def route, in another trip through the thread pool). For the
    busiest routes."""
    return Response(to_json(body), media_type="application/json")


def page(rows: list[Any], *, page_size: int, with_total: int | None = None) -> dict[str, Any]:
    """Talon.One's list envelopes: `{totalResultSize, data}` or, for `no_total` endpoints,
    `{hasMore, data}`. `rows` holds up to page_size + 1 rows to tell whether more exist."""
    data = rows[:page_size]
    if with_total is not None:
        return {"totalResultSize": with_total, "data": data}
    return {"hasMore": len(rows) > page_size, "data": data}
