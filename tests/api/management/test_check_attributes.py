"""service.attributes.check_attributes: what the Integration API runs on every attribute
value a shop sends, against the definitions made through the Management API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from carrot.domain.errors import BadRequest
from carrot.service.attributes import check_attributes, parse_rfc3339
from carrot.store.db import Database
from tests.conftest import Api, create_application

ACCOUNT = 1

TYPES = {
    "label": "string",
    "score": "number",
    "member": "boolean",
    "since": "time",
    "home": "location",
    "tags": "(list string)",
    "scores": "(list number)",
    "visits": "(list time)",
    "stores": "(list location)",
}


@pytest.fixture
def profile_attributes(mgmt: Api) -> None:
    for name, kind in TYPES.items():
        response = mgmt.post(
            "/v1/attributes",
            json={"entity": "CustomerProfile", "name": name, "title": name, "type": kind},
        )
        assert response.status_code == 201, response.text


def check(db: Database, values: dict[str, Any], application_id: int = 1, **kwargs: Any) -> Any:
    entity = kwargs.pop("entity", "CustomerProfile")
    with db.read() as conn:
        return check_attributes(
            conn, ACCOUNT, application_id, entity, values, "/customerProfile/attributes", **kwargs
        )


def problems(db: Database, values: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    with pytest.raises(BadRequest) as raised:
        check(db, values, **kwargs)
    return [(problem.pointer or "", problem.details) for problem in raised.value.problems]


@pytest.mark.usefixtures("profile_attributes")
def test_valid_values_come_back_normalised(db: Database) -> None:
    values = {
        "label": "vip",
        "score": 0.1,
        "member": False,
        "since": "2024-02-29T23:59:59.123456789+01:00",
        "home": {"latitude": 52.52, "longitude": 13.405},
        "tags": ["a", "b"],
        "scores": [1, 2.5],
        "visits": [],
        "stores": [{"latitude": -90, "longitude": 180}],
    }

    checked = check(db, values)

    assert checked == {
        **values,
        "score": Decimal("0.1"),
        "scores": [Decimal(1), Decimal("2.5")],
    }
    assert isinstance(checked["score"], Decimal)


@pytest.mark.usefixtures("profile_attributes")
@pytest.mark.parametrize(
    ("name", "value", "details"),
    [
        ("label", 1, "Expected a string, got a number."),
        ("label", None, "Expected a string, got null."),
        ("score", "12", "Expected a number, got a string."),
        ("score", True, "Expected a number, got a boolean."),
        ("score", float("nan"), "Expected a number, got a non-finite number."),
        ("score", float("inf"), "Expected a number, got a non-finite number."),
        ("member", "true", "Expected a boolean, got a string."),
        ("member", 0, "Expected a boolean, got a number."),
        ("since", 1700000000, "Expected an RFC 3339 time string, got a number."),
        ("tags", "a", "Expected a list of strings, got a string."),
        ("scores", {"0": 1}, "Expected a list of numbers, got an object."),
        (
            "home",
            [52.5, 13.4],
            'Expected a location {"latitude": number, "longitude": number}, got a list.',
        ),
    ],
)
def test_wrong_type_names_expected_and_given(
    db: Database, name: str, value: Any, details: str
) -> None:
    assert problems(db, {name: value}) == [(f"/customerProfile/attributes/{name}", details)]


@pytest.mark.usefixtures("profile_attributes")
@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01",
        "2024-01-01T10:00:00",
        "2024-01-01 10:00:00Z",
        "2024-02-30T10:00:00Z",
        "2024-01-01T25:00:00Z",
        "yesterday",
        "0001-01-01T00:00:00+01:00",
        "２０２４-01-01T00:00:00Z",
    ],
)
def test_time_must_be_rfc_3339(db: Database, value: str) -> None:
    [(pointer, details)] = problems(db, {"since": value})

    assert pointer == "/customerProfile/attributes/since"
    assert details.startswith(f"The time '{value}'")


@pytest.mark.usefixtures("profile_attributes")
def test_list_elements_are_checked_one_by_one(db: Database) -> None:
    found = problems(db, {"scores": [1, "2", 3, None], "visits": ["2024-01-01T00:00:00Z", 5]})

    assert [pointer for pointer, _ in found] == [
        "/customerProfile/attributes/scores/1",
        "/customerProfile/attributes/scores/3",
        "/customerProfile/attributes/visits/1",
    ]


@pytest.mark.usefixtures("profile_attributes")
def test_location_coordinates_must_lie_on_earth(db: Database) -> None:
    found = problems(db, {"home": {"latitude": 91, "longitude": 0}})

    assert found[0][0] == "/customerProfile/attributes/home"
    assert "latitude" in found[0][1]


@pytest.mark.usefixtures("profile_attributes")
def test_every_problem_is_reported_at_once(db: Database) -> None:
    found = problems(db, {"label": 1, "nope": 1, "member": True, "a/b~c": 2})

    assert [pointer for pointer, _ in found] == [
        "/customerProfile/attributes/label",
        "/customerProfile/attributes/nope",
        "/customerProfile/attributes/a~1b~0c",
    ]
    assert found[1][1] == (
        "Unknown attribute 'nope': it is not defined for entity CustomerProfile in application 1."
    )


@pytest.mark.usefixtures("profile_attributes")
def test_attributes_of_another_entity_are_unknown(db: Database) -> None:
    found = problems(db, {"label": "x"}, entity="CustomerSession")

    assert found[0][0] == "/customerProfile/attributes/label"


def test_restricted_attribute_accepts_only_its_suggestions(db: Database, mgmt: Api) -> None:
    for name, kind in (("tier", "string"), ("badges", "(list string)")):
        mgmt.post(
            "/v1/attributes",
            json={
                "entity": "CustomerProfile",
                "name": name,
                "title": name,
                "type": kind,
                "suggestions": ["gold", "silver"],
                "restrictedBySuggestions": True,
            },
        )

    assert check(db, {"tier": "gold", "badges": ["silver", "gold"]}) == {
        "tier": "gold",
        "badges": ["silver", "gold"],
    }
    assert [
        pointer for pointer, _ in problems(db, {"tier": "GOLD", "badges": ["gold", "tin"]})
    ] == [
        "/customerProfile/attributes/tier",
        "/customerProfile/attributes/badges/1",
    ]


def test_subscribed_attribute_applies_only_to_its_applications(db: Database, mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    mgmt.post(
        "/v1/attributes",
        json={
            "entity": "CustomerSession",
            "name": "channel",
            "title": "Channel",
            "type": "string",
            "subscribedApplicationsIds": [one["id"]],
        },
    )

    assert check(db, {"channel": "web"}, one["id"], entity="CustomerSession") == {"channel": "web"}
    found = problems(db, {"channel": "web"}, application_id=other["id"], entity="CustomerSession")
    assert found[0][0] == "/customerProfile/attributes/channel"


def test_event_attributes_belong_to_their_event_type(db: Database, mgmt: Api) -> None:
    mgmt.post(
        "/v1/attributes",
        json={
            "entity": "Event",
            "eventType": "review",
            "name": "stars",
            "title": "Stars",
            "type": "number",
        },
    )

    assert check(db, {"stars": 5}, entity="Event", event_type="review") == {"stars": Decimal(5)}
    assert problems(db, {"stars": 5}, entity="Event", event_type="return")[0][1] == (
        "Unknown attribute 'stars': it is not defined for event type 'return' in application 1."
    )


@pytest.mark.usefixtures("profile_attributes")
def test_definitions_are_loaded_with_one_query(db: Database) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with db.read() as conn:
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            with pytest.raises(BadRequest):
                check_attributes(
                    conn, ACCOUNT, 1, "CustomerProfile", {name: None for name in TYPES}, ""
                )
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)

    assert len(statements) == 1


def test_no_values_need_no_query(db: Database) -> None:
    assert check(db, {}) == {}


def test_rfc_3339_keeps_the_instant() -> None:
    assert parse_rfc3339("2024-05-01T12:00:00.5-02:30").isoformat() == (
        "2024-05-01T14:30:00.500000+00:00"
    )
