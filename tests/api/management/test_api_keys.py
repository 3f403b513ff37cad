"""Integration API keys: /v1/applications/{applicationId}/api_keys."""

from __future__ import annotations

from typing import Any

import pytest

from carrot.domain.errors import Unauthorized
from carrot.service.keys import authenticate_integration
from carrot.store.db import Database
from tests.conftest import Api, create_application, create_integration_key


def _create(mgmt: Api, application_id: int, **fields: Any) -> Any:
    body = {"title": "shop backend", "expires": "2099-01-01T00:00:00Z", **fields}
    return mgmt.post(f"/v1/applications/{application_id}/api_keys", json=body)


def test_created_key_is_shown_once_and_works(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    response = _create(mgmt, application["id"], platform="segment", timeOffset=3_600_000_000_000)

    assert response.status_code == 201
    created = response.json()
    key = created.pop("key")
    assert len(key) == 64
    assert created == {
        "id": created["id"],
        "title": "shop backend",
        "expires": "2099-01-01T00:00:00Z",
        "platform": "segment",
        "timeOffset": 3_600_000_000_000,
        "createdBy": created["createdBy"],
        "accountID": 1,
        "applicationID": application["id"],
        "created": created["created"],
    }
    caller = authenticate_integration(db, key)
    assert (caller.application_id, caller.time_offset_ns, caller.staging) == (
        application["id"],
        3_600_000_000_000,
        False,
    )
    listed = mgmt.get(f"/v1/applications/{application['id']}/api_keys").json()
    assert listed == {"totalResultSize": 1, "data": [created]}
    assert mgmt.get(f"/v1/applications/{application['id']}/api_keys/{created['id']}").json() == (
        created
    )


def test_expiry_is_read_in_any_offset_and_answered_in_utc(
    mgmt: Api, application: dict[str, Any]
) -> None:
    response = _create(mgmt, application["id"], expires="2099-06-01T12:30:00.25+02:00")

    assert response.status_code == 201
    assert response.json()["expires"] == "2099-06-01T10:30:00.250000Z"


def test_staging_key_is_marked_and_only_one_is_allowed(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    first = _create(mgmt, application["id"], type="staging")
    second = _create(mgmt, application["id"], type="staging")
    other_application = create_application(mgmt)

    assert first.status_code == 201
    assert first.json()["type"] == "staging"
    assert authenticate_integration(db, first.json()["key"]).staging
    assert second.status_code == 409
    assert second.json()["errors"][0]["source"]["pointer"] == "/type"
    assert _create(mgmt, other_application["id"], type="staging").status_code == 201
    assert _create(mgmt, application["id"], type="").status_code == 201


def test_deleted_staging_key_makes_room_for_a_new_one(
    mgmt: Api, application: dict[str, Any]
) -> None:
    first = _create(mgmt, application["id"], type="staging").json()

    mgmt.delete(f"/v1/applications/{application['id']}/api_keys/{first['id']}")

    assert _create(mgmt, application["id"], type="staging").status_code == 201


def test_revoked_key_is_refused_from_then_on(
    db: Database, mgmt: Api, application: dict[str, Any]
) -> None:
    key = create_integration_key(mgmt, application["id"])
    key_id = authenticate_integration(db, key).key_id

    response = mgmt.delete(f"/v1/applications/{application['id']}/api_keys/{key_id}")

    assert response.status_code == 204
    with pytest.raises(Unauthorized):
        authenticate_integration(db, key)
    assert mgmt.get(f"/v1/applications/{application['id']}/api_keys/{key_id}").status_code == 404
    assert mgmt.get(f"/v1/applications/{application['id']}/api_keys").json()["data"] == []


def test_key_of_another_application_is_not_found_here(mgmt: Api) -> None:
    one, other = create_application(mgmt), create_application(mgmt)
    key_id = _create(mgmt, one["id"]).json()["id"]

    assert mgmt.get(f"/v1/applications/{other['id']}/api_keys/{key_id}").status_code == 404
    assert mgmt.delete(f"/v1/applications/{other['id']}/api_keys/{key_id}").status_code == 404
    assert mgmt.get(f"/v1/applications/{one['id']}/api_keys/{key_id}").status_code == 200


def test_keys_are_listed_page_by_page(mgmt: Api, application: dict[str, Any]) -> None:
    ids = [_create(mgmt, application["id"], title=f"key {n}").json()["id"] for n in range(3)]

    page = mgmt.get(
        f"/v1/applications/{application['id']}/api_keys", params={"pageSize": 2, "skip": 1}
    ).json()

    assert page["totalResultSize"] == 3
    assert [key["id"] for key in page["data"]] == ids[1:]
    assert all("key" not in key for key in page["data"])


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"expires": "2001-01-01T00:00:00Z"}, "/expires"),
        ({"expires": "2099-01-01"}, "/expires"),
        ({"expires": "2099-01-01T00:00:00"}, "/expires"),
        ({"expires": "2099-13-01T00:00:00Z"}, "/expires"),
        ({"expires": 4102444800}, "/expires"),
        ({"expires": "9999-12-31T23:59:59-01:00"}, "/expires"),
        ({"expires": None}, "/expires"),
        ({"title": ""}, "/title"),
        ({"title": ["x"]}, "/title"),
        ({"platform": "myspace"}, "/platform"),
        ({"type": "production"}, "/type"),
        ({"timeOffset": "1h"}, "/timeOffset"),
        ({"timeOffset": 2**63}, "/timeOffset"),
        ({"timeOffset": 1.5}, "/timeOffset"),
    ],
)
def test_invalid_key_request_is_a_400_naming_the_field(
    mgmt: Api, application: dict[str, Any], fields: dict[str, Any], pointer: str
) -> None:
    response = _create(mgmt, application["id"], **fields)

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert mgmt.get(f"/v1/applications/{application['id']}/api_keys").json()["data"] == []


def test_key_for_unknown_application_is_a_404(mgmt: Api) -> None:
    assert _create(mgmt, 424242).status_code == 404
    assert mgmt.get("/v1/applications/424242/api_keys").status_code == 404
