"""Custom attributes: their definitions (account-wide), the event types Event attributes
create, and the check every attribute value sent to carrot passes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from carrot.domain.errors import BadRequest, Conflict, NotFound, Problem
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller
from carrot.store import tables
from carrot.store.db import Database

# Attribute and additional cost names are written into rules as paths
# ([".", "Profile", "Attributes", name]), so they are identifiers: a letter or underscore,
# then letters, digits and underscores.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"  # date and time
    r"(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"  # fraction and offset
)
IDENTIFIER_RULE = (
    "{what} name starts with a letter or underscore and holds only letters, digits and underscores."
)


def is_identifier(name: str) -> bool:
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


def unstorable_text(text: str) -> str | None:
    """Why neither database could keep the text (NUL characters, lone UTF-16 surrogates that
    JSON escapes can smuggle in), or None when it is fine."""
    if "\x00" in text:
        return "must not contain the NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate)"
    return None


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
        more = len(problems) - 1
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
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
        reason = unstorable_text(value)
        if reason is not None:
            return Problem(
                title="Invalid attribute value", details=f"The text {reason}.", pointer=pointer
            )
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
    if isinstance(value, int) or (isinstance(value, float) and _is_number(value)):
        return "a number"
    if isinstance(value, float):
        return "a non-finite number"
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


# --- definitions -----------------------------------------------------------------------


def check_subscriptions(conn: Connection, caller: ManagementCaller, ids: list[int]) -> None:
    """Every subscribed application must exist in the account and be one the key may touch."""
    for application_id in ids:
        caller.check_application(application_id)
    applications = tables.applications
    existing = set(
        conn.execute(
            sa.select(applications.c.id).where(
                applications.c.account_id == caller.account_id, applications.c.id.in_(set(ids))
            )
        ).scalars()
    )
    problems = [
        Problem(
            title="Unknown application",
            details=f"Application {application_id} not found.",
            pointer=json_pointer("subscribedApplicationsIds", index),
        )
        for index, application_id in enumerate(ids)
        if application_id not in existing
    ]
    if problems:
        raise invalid(problems)


@dataclass(frozen=True)
class NewAttribute:
    """NewAttribute as carrot keeps it. `event_type` is "" for every entity but Event."""

    entity: str
    name: str
    title: str
    type: str
    event_type: str = ""
    description: str = ""
    suggestions: list[str] = field(default_factory=list)
    has_allowed_list: bool = False
    restricted_by_suggestions: bool = False
    editable: bool = True
    subscribed_applications_ids: list[int] = field(default_factory=list)


def create_attribute(db: Database, caller: ManagementCaller, new: NewAttribute) -> Row[Any]:
    """Defines the attribute; an Event attribute of an event type not seen before also
    creates that event type."""
    problems = _definition_problems(new)
    if problems:
        raise invalid(problems)
    attributes = tables.attributes
    with db.write() as conn:
        check_subscriptions(conn, caller, new.subscribed_applications_ids)
        _refuse_taken(conn, caller.account_id, new, attribute_id=None)
        if new.entity == "Event":
            _ensure_event_type(conn, caller.account_id, new.event_type)
        try:
            attribute_id = conn.execute(
                attributes.insert()
                .values(account_id=caller.account_id, created=utcnow(), **_columns(new))
                .returning(attributes.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError:
            # Another request defined the same attribute in the meantime.
            raise _taken(new) from None
        return _load(conn, caller.account_id, attribute_id)


def list_attributes(
    db: Database, caller: ManagementCaller, *, page_size: int, skip: int, entity: str | None
) -> tuple[int, list[Row[Any]]]:
    attributes = tables.attributes
    where = [attributes.c.account_id == caller.account_id]
    if entity is not None:
        where.append(attributes.c.entity == entity)
    with db.read() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(attributes).where(*where)
        ).scalar_one()
        rows = conn.execute(
            _with_event_type_id(sa.select(attributes))
            .where(*where)
            .order_by(attributes.c.id)
            .limit(page_size)
            .offset(skip)
        ).all()
    return total, list(rows)


def get_attribute(db: Database, caller: ManagementCaller, attribute_id: int) -> Row[Any]:
    with db.read() as conn:
        return _load(conn, caller.account_id, attribute_id)


def update_attribute(
    db: Database, caller: ManagementCaller, attribute_id: int, new: NewAttribute
) -> Row[Any]:
    """A full update of everything but what identifies the attribute: entity, event type,
    name and type are fixed once created (values already stored depend on them)."""
    attributes = tables.attributes
    with db.write() as conn:
        current = _load(conn, caller.account_id, attribute_id)
        problems = _definition_problems(new) + _identity_changes(current, new)
        if problems:
            raise invalid(problems)
        check_subscriptions(conn, caller, new.subscribed_applications_ids)
        _refuse_taken(conn, caller.account_id, new, attribute_id=attribute_id)
        conn.execute(
            attributes.update().where(attributes.c.id == attribute_id).values(**_columns(new))
        )
        return _load(conn, caller.account_id, attribute_id)


def list_event_types(
    db: Database, caller: ManagementCaller, *, page_size: int, skip: int, name: str | None
) -> tuple[int, list[Row[Any]]]:
    event_types = tables.event_types
    where = [event_types.c.account_id == caller.account_id]
    if name is not None:
        where.append(event_types.c.name == name)
    with db.read() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(event_types).where(*where)
        ).scalar_one()
        rows = conn.execute(
            sa.select(event_types)
            .where(*where)
            .order_by(event_types.c.id)
            .limit(page_size)
            .offset(skip)
        ).all()
    return total, list(rows)


def _definition_problems(new: NewAttribute) -> list[Problem]:
    problems = []
    if not is_identifier(new.name):
        problems.append(_bad(IDENTIFIER_RULE.format(what="An attribute"), "/name"))
    if new.entity == "Event" and not new.event_type:
        problems.append(
            _bad("An Event attribute needs the event type it belongs to.", "/eventType")
        )
    if new.entity != "Event" and new.event_type:
        problems.append(_bad("Only Event attributes have an event type.", "/eventType"))
    if new.restricted_by_suggestions and new.type not in ("string", "(list string)"):
        problems.append(
            _bad(
                "Only string attributes can be restricted to their suggestions.",
                "/restrictedBySuggestions",
            )
        )
    elif new.restricted_by_suggestions and not new.suggestions:
        problems.append(
            _bad(
                "An attribute restricted to its suggestions needs at least one suggestion.",
                "/suggestions",
            )
        )
    return problems


def _identity_changes(current: Row[Any], new: NewAttribute) -> list[Problem]:
    fixed = [
        ("entity", "/entity", current.entity, new.entity),
        ("event type", "/eventType", current.event_type, new.event_type),
        ("name", "/name", current.name, new.name),
        ("type", "/type", current.type, new.type),
    ]
    return [
        _bad(f"An attribute's {what} cannot change (it is '{old}').", pointer)
        for what, pointer, old, given in fixed
        if old != given
    ]


def _bad(details: str, pointer: str) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)


def _refuse_taken(
    conn: Connection, account_id: int, new: NewAttribute, *, attribute_id: int | None
) -> None:
    """Name and title are each unique among the attributes of one entity (and event type)."""
    attributes = tables.attributes
    same_owner = [
        attributes.c.account_id == account_id,
        attributes.c.entity == new.entity,
        attributes.c.event_type == new.event_type,
    ]
    if attribute_id is not None:
        same_owner.append(attributes.c.id != attribute_id)
    clash = conn.execute(
        sa.select(attributes.c.name, attributes.c.title)
        .where(*same_owner, sa.or_(attributes.c.name == new.name, attributes.c.title == new.title))
        .limit(1)
    ).first()
    if clash is None:
        return
    if clash.name == new.name:
        raise _taken(new)
    raise Conflict(
        f"Another {new.entity} attribute already has the title '{new.title}'.",
        [Problem(title="Conflict", pointer="/title")],
    )


def _taken(new: NewAttribute) -> Conflict:
    owner = f"event type '{new.event_type}'" if new.entity == "Event" else new.entity
    return Conflict(
        f"An attribute named '{new.name}' already exists for {owner}.",
        [Problem(title="Conflict", pointer="/name")],
    )


def _ensure_event_type(conn: Connection, account_id: int, name: str) -> None:
    values = {
        "account_id": account_id,
        "created": utcnow(),
        "name": name,
        "title": name,
        "description": "",
    }
    insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert(tables.event_types)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["account_id", "name"])
    )


def _with_event_type_id(select: sa.Select[Any]) -> sa.Select[Any]:
    """Adds the id of an Event attribute's event type (None for other entities)."""
    attributes, event_types = tables.attributes, tables.event_types
    return select.add_columns(event_types.c.id.label("event_type_id")).outerjoin(
        event_types,
        sa.and_(
            attributes.c.entity == "Event",
            event_types.c.account_id == attributes.c.account_id,
            event_types.c.name == attributes.c.event_type,
        ),
    )


def _load(conn: Connection, account_id: int, attribute_id: int) -> Row[Any]:
    attributes = tables.attributes
    row = conn.execute(
        _with_event_type_id(sa.select(attributes)).where(
            attributes.c.id == attribute_id, attributes.c.account_id == account_id
        )
    ).first()
    if row is None:
        raise NotFound(f"Attribute {attribute_id} not found.")
    return row


def _columns(new: NewAttribute) -> dict[str, Any]:
    return {
        "entity": new.entity,
        "event_type": new.event_type,
        "name": new.name,
        "title": new.title,
        "type": new.type,
        "description": new.description,
        "suggestions": new.suggestions,
        "has_allowed_list": new.has_allowed_list,
        "restricted_by_suggestions": new.restricted_by_suggestions,
        "editable": new.editable,
        "subscribed_applications_ids": new.subscribed_applications_ids,
    }
