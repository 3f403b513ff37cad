"""Junk thrown at every POST and PUT of this part of the Management API: wrong types, nulls,
huge and unstorable strings, huge and non-finite numbers, nested garbage, broken JSON.
Whatever comes in, the answer is never a 5xx, and a refused request changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carrot.store import tables
from carrot.store.db import Database
from tests.conftest import Api, create_application

# A valid body per endpoint, naming every field the endpoint reads, so junking a field
# reaches every validator.
VALID = {
    "application": {
        "name": "shop",
        "description": "",
        "currency": "EUR",
        "timezone": "UTC",
        "caseSensitivity": "sensitive",
        "attributes": {"region": "north"},
        "limits": [
            {"action": "setDiscount", "limit": 1, "period": "daily", "entities": ["Profile"]}
        ],
        "defaultDiscountScope": "cartItems",
        "defaultDiscountAdditionalCostPerItemScope": "price",
        "enableCascadingDiscounts": True,
        "enableFlattenedCartItems": False,
        "enablePartialDiscounts": True,
        "sandbox": False,
    },
    "api_key": {
        "title": "k",
        "expires": "2099-01-01T00:00:00Z",
        "platform": "none",
        "type": "staging",
        "timeOffset": 5,
    },
    "attribute": {
        "entity": "Event",
        "eventType": "signup",
        "name": "source",
        "title": "Source",
        "type": "(list string)",
        "description": "",
        "suggestions": ["a"],
        "hasAllowedList": False,
        "restrictedBySuggestions": True,
        "editable": True,
        "subscribedApplicationsIds": [1],
    },
    "additional_cost": {
        "name": "shipping",
        "title": "Shipping",
        "description": "",
        "type": "item",
        "subscribedApplicationsIds": [1],
    },
}

# Values every field is tried with, one field at a time.
NASTY = [
    None,
    True,
    -1,
    2**64,
    1e308,
    float("nan"),
    "",
    "x" * 100_000,
    "a\x00b",
    "\ud800",
    [],
    [None],
    {"a": {"b": [1, {"c": None}]}},
]

SPECIAL_STRINGS = [
    "",
    " ",
    "x" * 100_000,
    "\x00",
    "a\x00b",
    "\ud800",
    "💥" * 1000,
    "null",
    "true",
    "1e400",
    "2099-01-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00Z",
    "EUR",
    "UTC",
    "staging",
    "Event",
    "(list string)",
    "setDiscount",
    "../../etc/passwd",
    "Europe/../UTC",
    "'; DROP TABLE applications; --",
]
SPECIAL_NUMBERS = [
    0,
    -1,
    1,
    2**31,
    2**63 - 1,
    2**63,
    -(2**63),
    2**64,
    10**30,
    -(10**30),
    0.5,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(SPECIAL_STRINGS),
)
junk = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(["name", "x"])), inner, max_size=4
        ),
    ),
    max_leaves=12,
)


@st.composite
def bodies(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """A body: junk as a whole, or the valid body with some fields junked, dropped or added."""
    if draw(st.integers(0, 4)) == 0:
        return draw(junk)
    body = dict(valid)
    for field in draw(st.lists(st.sampled_from(sorted(valid)), min_size=1, max_size=3)):
        if draw(st.booleans()):
            body[field] = draw(junk)
        else:
            body.pop(field, None)
    body.update(draw(st.dictionaries(st.text(max_size=8), junk, max_size=2)))
    return body


def _encode(body: Any) -> bytes:
    # json.dumps writes NaN and Infinity as Python's json.loads (and so carrot) reads them,
    # and lone surrogates as \ud800 escapes.
    return json.dumps(body).encode()


def _state(db: Database) -> list[Any]:
    """Every row this part of the API writes."""
    stored = (
        tables.applications,
        tables.api_keys,
        tables.attributes,
        tables.event_types,
        tables.additional_costs,
    )
    with db.read() as conn:
        return [conn.execute(sa.select(table).order_by(table.c.id)).all() for table in stored]


@pytest.fixture
def targets(mgmt: Api) -> dict[str, tuple[str, str, dict[str, Any]]]:
    application = create_application(mgmt)
    app = application["id"]
    attribute = mgmt.post(
        "/v1/attributes",
        json={
            **VALID["attribute"],
            "name": "seed",
            "title": "Seed",
            "subscribedApplicationsIds": [app],
        },
    ).json()
    cost = mgmt.post(
        "/v1/additional_costs",
        json={**VALID["additional_cost"], "name": "seed", "subscribedApplicationsIds": [app]},
    ).json()
    mgmt.post(
        "/v1/attributes",
        json={"entity": "Application", "name": "region", "title": "Region", "type": "string"},
    )
    return {
        "create application": ("POST", "/v1/applications", VALID["application"]),
        "update application": ("PUT", f"/v1/applications/{app}", VALID["application"]),
        "create api key": ("POST", f"/v1/applications/{app}/api_keys", VALID["api_key"]),
        "create attribute": ("POST", "/v1/attributes", VALID["attribute"]),
        "update attribute": (
            "PUT",
            f"/v1/attributes/{attribute['id']}",
            {**VALID["attribute"], "name": "seed", "title": "Seed"},
        ),
        "create additional cost": ("POST", "/v1/additional_costs", VALID["additional_cost"]),
        "update additional cost": (
            "PUT",
            f"/v1/additional_costs/{cost['id']}",
            {**VALID["additional_cost"], "name": "seed"},
        ),
    }


@pytest.mark.parametrize(
    "target",
    [
        "create application",
        "update application",
        "create api key",
        "create attribute",
        "update attribute",
        "create additional cost",
        "update additional cost",
    ],
)
@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_junk_is_refused_without_a_server_error_or_a_change(
    db: Database, mgmt: Api, targets: dict[str, Any], target: str, data: st.DataObject
) -> None:
    method, url, valid = targets[target]
    body = data.draw(bodies(valid))
    before = _state(db)

    response = mgmt.request(
        method, url, content=_encode(body), headers={"Content-Type": "application/json"}
    )

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"message", "errors"}
        assert _state(db) == before


@pytest.mark.parametrize(
    "target",
    [
        "create application",
        "update application",
        "create api key",
        "create attribute",
        "update attribute",
        "create additional cost",
        "update additional cost",
    ],
)
def test_every_field_survives_every_nasty_value(
    db: Database, mgmt: Api, targets: dict[str, Any], target: str
) -> None:
    method, url, valid = targets[target]
    failures = []
    for field in valid:
        for value in NASTY:
            before = _state(db)
            response = mgmt.request(
                method,
                url,
                content=_encode({**valid, field: value}),
                headers={"Content-Type": "application/json"},
            )
            if response.status_code >= 500:
                failures.append((field, repr(value)[:40], response.status_code))
            elif response.status_code >= 400 and _state(db) != before:
                failures.append((field, repr(value)[:40], "changed"))

    assert failures == []


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe",
        b"NaN",
        b'{"name": 1e99999}',
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b'"\\ud800"',
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/applications"), ("POST", "/v1/attributes"), ("POST", "/v1/additional_costs")],
)
def test_broken_json_is_a_400(mgmt: Api, method: str, path: str, raw: bytes) -> None:
    response = mgmt.request(method, path, content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert mgmt.get(path).json()["totalResultSize"] == 0
