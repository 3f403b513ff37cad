"""Custom attributes: their definitions (account-wide), the event types Event attributes
create, and the check every attribute value sent to carrot passes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from carrot.domain.errors import BadRequest, Problem
from carrot.store import tables

ENTITIES = (
    "Application",
    "Campaign",
    "CustomerProfile",
    "CustomerSession",
    "CartItem",
    "Coupon",
    "Event",
    "Giveaway",
    "LoyaltyCard",
    "Referral",
    "Store",
)
TYPES = (
    "string",
    "number",
    "boolean",
    "time",
    "location",
    "(list string)",
    "(list number)",
    "(list time)",
    "(list location)",
)

# Attribute names are written into rules as paths ([".", "Profile", "Attributes", name]),
# so they are identifiers: a letter or underscore, then letters, digits and underscores.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def is_attribute_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 timestamp (with its offset: `Z` or `±hh:mm`) as an aware UTC datetime.
    Raises ValueError for anything else, including instants outside years 1–9999 in UTC."""
    if _RFC3339.fullmatch(text) is None:
        raise ValueError("must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z")
    # Python keeps microseconds; RFC 3339 allows nanoseconds, which are dropped.
    seconds, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{seconds}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    try:
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("is not a valid date and time") from None


def json_pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from its unescaped parts."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


# --- checking values -------------------------------------------------------------------


@dataclass(frozen=True)
class AttributeDefinition:
    name: str
    type: str
    suggestions: frozenset[str]
    restricted_by_suggestions: bool
    subscribed_applications_ids: frozenset[int]

    def applies_to(self, application_id: int | None) -> bool:
        if not self.subscribed_applications_ids:
            return True
        return application_id in self.subscribed_applications_ids


def attribute_definitions(
    conn: Connection, account_id: int, entity: str, event_type: str = ""
) -> dict[str, AttributeDefinition]:
    """Every attribute the account defines for the entity (and event type), by name."""
    attributes = tables.attributes
    rows = conn.execute(
        sa.select(
            attributes.c.name,
            attributes.c.type,
            attributes.c.suggestions,
            attributes.c.restricted_by_suggestions,
            attributes.c.subscribed_applications_ids,
        ).where(
            attributes.c.account_id == account_id,
            attributes.c.entity == entity,
            attributes.c.event_type == (event_type if entity == "Event" else ""),
        )
    )
    return {
        row.name: AttributeDefinition(
            name=row.name,
            type=row.type,
            suggestions=frozenset(row.suggestions),
            restricted_by_suggestions=row.restricted_by_suggestions,
            subscribed_applications_ids=frozenset(row.subscribed_applications_ids),
        )
        for row in rows
    }


def attribute_problems(
    conn: Connection,
    account_id: int,
    application_id: int | None,
    entity: str,
    values: dict[str, Any],
    pointer_prefix: str,
    event_type: str = "",
) -> tuple[dict[str, Any], list[Problem]]:
    """The values normalised, and everything wrong with them. `application_id` None stands
    for an application not created yet: only attributes open to every application apply."""
    definitions = attribute_definitions(conn, account_id, entity, event_type) if values else {}
    normalised: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        pointer = pointer_prefix + json_pointer(name)
        definition = definitions.get(name)
        if definition is None or not definition.applies_to(application_id):
            problems.append(_unknown(name, entity, event_type, application_id, pointer))
            continue
        value_problems = _value_problems(definition, value, pointer)
        if value_problems:
            problems.extend(value_problems)
        else:
            normalised[name] = _normalise(definition.type, value)
    return normalised, problems


def check_attributes(
    conn: Connection,
    account_id: int,
    application_id: int | None,
    entity: str,
    values: dict[str, Any],
    pointer_prefix: str,
    event_type: str = "",
) -> dict[str, Any]:
    """The values normalised (numbers as Decimal, times as the RFC 3339 string sent), or a
    BadRequest that lists every unknown attribute and every wrong value."""
    normalised, problems = attribute_problems(
        conn, account_id, application_id, entity, values, pointer_prefix, event_type
    )
    if problems:
        raise invalid(problems)
    return normalised


def invalid(problems: list[Problem]) -> BadRequest:
    """One BadRequest carrying all the problems found."""
    message = problems[0].details
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problems)"
    return BadRequest(message, problems)


def _unknown(
    name: str, entity: str, event_type: str, application_id: int | None, pointer: str
) -> Problem:
    owner = f"event type '{event_type}'" if entity == "Event" else f"entity {entity}"
    details = f"Unknown attribute '{name}': it is not defined for {owner}"
    if application_id is not None:
        details += f" in application {application_id}"
    return Problem(title="Unknown attribute", details=details + ".", pointer=pointer)


def _value_problems(definition: AttributeDefinition, value: Any, pointer: str) -> list[Problem]:
    kind = definition.type
    if not kind.startswith("(list "):
        problem = _scalar_problem(definition, kind, value, pointer)
        return [] if problem is None else [problem]
    if not isinstance(value, list):
        return [_wrong_type(f"a list of {kind[6:-1]}s", value, pointer)]
    element_kind = kind[6:-1]
    found = (
        _scalar_problem(definition, element_kind, element, f"{pointer}/{index}")
        for index, element in enumerate(value)
    )
    return [problem for problem in found if problem is not None]


def _scalar_problem(
    definition: AttributeDefinition, kind: str, value: Any, pointer: str
) -> Problem | None:
    if kind == "string":
        if not isinstance(value, str):
            return _wrong_type("a string", value, pointer)
        if definition.restricted_by_suggestions and value not in definition.suggestions:
            return Problem(
                title="Invalid attribute value",
                details=f"'{_shorten(value)}' is not one of the allowed values of "
                f"attribute '{definition.name}'.",
                pointer=pointer,
            )
        return None
    if kind == "number":
        if not _is_number(value):
            return _wrong_type("a number", value, pointer)
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else _wrong_type("a boolean", value, pointer)
    if kind == "time":
        if not isinstance(value, str):
            return _wrong_type("an RFC 3339 time string", value, pointer)
        try:
            parse_rfc3339(value)
        except ValueError as error:
            return Problem(
                title="Invalid attribute value",
                details=f"The time '{_shorten(value)}' {error}.",
                pointer=pointer,
            )
        return None
    return _location_problem(value, pointer)


def _location_problem(value: Any, pointer: str) -> Problem | None:
    """A location is `{"latitude": -90..90, "longitude": -180..180}`."""
    expected = 'a location {"latitude": number, "longitude": number}'
    if not isinstance(value, dict) or set(value) != {"latitude", "longitude"}:
        return _wrong_type(expected, value, pointer)
    latitude, longitude = value["latitude"], value["longitude"]
    if not (_is_number(latitude) and _is_number(longitude)):
        return _wrong_type(expected, value, pointer)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return Problem(
            title="Invalid attribute value",
            details="A location's latitude must lie in [-90, 90] and its longitude in [-180, 180].",
            pointer=pointer,
        )
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value == value and abs(value) != float("inf")


def _wrong_type(expected: str, value: Any, pointer: str) -> Problem:
    return Problem(
        title="Invalid attribute value",
        details=f"Expected {expected}, got {_json_kind(value)}.",
        pointer=pointer,
    )


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _normalise(kind: str, value: Any) -> Any:
    if kind == "number":
        return _decimal(value)
    if kind == "(list number)":
        return [_decimal(element) for element in value]
    return value


def _decimal(value: int | float) -> Decimal:
    # repr() is the shortest text that reads back as the same float: 0.1, not 0.1000000000000000055…
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))
