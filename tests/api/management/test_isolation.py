"""Who may call what: a management key limited to some applications reaches only those, and
an Integration API key opens no Management endpoint. Checked endpoint by endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.service.keys import create_management_key
from carrot.store.db import Database
from tests.conftest import Api, create_application, create_integration_key

APPLICATION = {"name": "shop", "currency": "EUR", "timezone": "UTC"}
API_KEY = {"title": "k", "expires": "2099-01-01T00:00:00Z"}
ATTRIBUTE = {"entity": "CustomerProfile", "name": "tier", "title": "Tier", "type": "string"}
COST = {"name": "shipping", "title": "Shipping"}

# Every endpoint of this part of the Management API; {app} is an application, {key} one of
# its API keys, {attribute} and {cost} account-wide definitions.
ENDPOINTS = [
    ("POST", "/v1/applications", APPLICATION),
    ("GET", "/v1/applications", None),
    ("GET", "/v1/applications/{app}", None),
    ("PUT", "/v1/applications/{app}", APPLICATION),
    ("DELETE", "/v1/applications/{app}", None),
    ("POST", "/v1/applications/{app}/api_keys", API_KEY),
    ("GET", "/v1/applications/{app}/api_keys", None),
    ("GET", "/v1/applications/{app}/api_keys/{key}", None),
    ("DELETE", "/v1/applications/{app}/api_keys/{key}", None),
    ("POST", "/v1/attributes", ATTRIBUTE),
    ("GET", "/v1/attributes", None),
    ("GET", "/v1/attributes/{attribute}", None),
    ("PUT", "/v1/attributes/{attribute}", ATTRIBUTE),
    ("GET", "/v1/event_types", None),
    ("POST", "/v1/additional_costs", COST),
    ("GET", "/v1/additional_costs", None),
    ("GET", "/v1/additional_costs/{cost}", None),
    ("PUT", "/v1/additional_costs/{cost}", COST),
]
APPLICATION_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if "{app}" in endpoint[1]]


@pytest.fixture
def world(mgmt: Api) -> dict[str, Any]:
    """Two applications, each with a key, plus an attribute and an additional cost."""
    mine, theirs = create_application(mgmt), create_application(mgmt)
    keys = {
        app["id"]: mgmt.post(f"/v1/applications/{app['id']}/api_keys", json=API_KEY).json()["id"]
        for app in (mine, theirs)
    }
    attribute = mgmt.post("/v1/attributes", json={**ATTRIBUTE, "name": "seed", "title": "Seed"})
    cost = mgmt.post("/v1/additional_costs", json={**COST, "name": "seed"})
    return {
        "mine": mine["id"],
        "theirs": theirs["id"],
        "keys": keys,
        "attribute": attribute.json()["id"],
        "cost": cost.json()["id"],
    }


def _url(path: str, world: dict[str, Any], app: int) -> str:
    return path.format(
        app=app, key=world["keys"][app], attribute=world["attribute"], cost=world["cost"]
    )


@pytest.fixture
def limited(client: TestClient, db: Database, world: dict[str, Any]) -> Api:
    key = create_management_key(db, "limited", allowed_application_ids=[world["mine"]])
    return Api(client, f"ManagementKey-v1 {key}")


@pytest.mark.parametrize(("method", "path", "body"), APPLICATION_ENDPOINTS)
def test_limited_key_is_forbidden_other_applications(
    mgmt: Api, limited: Api, world: dict[str, Any], method: str, path: str, body: Any
) -> None:
    before = mgmt.get(f"/v1/applications/{world['theirs']}/api_keys").json()

    response = limited.request(method, _url(path, world, world["theirs"]), json=body)

    assert response.status_code == 403, response.text
    assert response.json()["message"] == (
        f"This management key may not access application {world['theirs']}."
    )
    assert mgmt.get(f"/v1/applications/{world['theirs']}").json()["name"] != "shop"
    assert mgmt.get(f"/v1/applications/{world['theirs']}/api_keys").json() == before


@pytest.mark.parametrize(("method", "path", "body"), APPLICATION_ENDPOINTS)
def test_limited_key_may_use_its_own_application(
    limited: Api, world: dict[str, Any], method: str, path: str, body: Any
) -> None:
    response = limited.request(method, _url(path, world, world["mine"]), json=body)

    assert response.status_code in (200, 201, 204), response.text


def test_limited_key_lists_only_its_applications(limited: Api, world: dict[str, Any]) -> None:
    listed = limited.get("/v1/applications").json()

    assert listed["totalResultSize"] == 1
    assert [app["id"] for app in listed["data"]] == [world["mine"]]


def test_limited_key_cannot_create_applications(mgmt: Api, limited: Api) -> None:
    response = limited.post("/v1/applications", json=APPLICATION)

    assert response.status_code == 403
    assert mgmt.get("/v1/applications").json()["totalResultSize"] == 2


@pytest.mark.parametrize("path", ["/v1/attributes", "/v1/additional_costs"])
def test_limited_key_cannot_subscribe_definitions_to_other_applications(
    mgmt: Api, limited: Api, world: dict[str, Any], path: str
) -> None:
    body = ATTRIBUTE if path == "/v1/attributes" else COST
    theirs = limited.post(path, json={**body, "subscribedApplicationsIds": [world["theirs"]]})
    mine = limited.post(path, json={**body, "subscribedApplicationsIds": [world["mine"]]})

    assert theirs.status_code == 403
    assert mine.status_code == 201
    assert mgmt.get(path).json()["totalResultSize"] == 2


@pytest.mark.parametrize(
    "path",
    [
        "/v1/attributes",
        "/v1/attributes/{attribute}",
        "/v1/event_types",
        "/v1/additional_costs",
        "/v1/additional_costs/{cost}",
    ],
)
def test_limited_key_reads_account_definitions(
    limited: Api, world: dict[str, Any], path: str
) -> None:
    assert limited.get(_url(path, world, world["mine"])).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_integration_key_opens_no_management_endpoint(
    client: TestClient, mgmt: Api, world: dict[str, Any], method: str, path: str, body: Any
) -> None:
    key = create_integration_key(mgmt, world["mine"])
    url = _url(path, world, world["mine"])

    for authorization in (f"ApiKey-v1 {key}", f"ManagementKey-v1 {key}"):
        response = Api(client, authorization).request(method, url, json=body)
        assert response.status_code == 401, (authorization, response.text)
    assert mgmt.get("/v1/applications").json()["totalResultSize"] == 2


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_missing_or_expired_management_key_is_a_401(
    client: TestClient, db: Database, world: dict[str, Any], method: str, path: str, body: Any
) -> None:
    expired = create_management_key(db, "old", expires=datetime.now(UTC) - timedelta(seconds=1))
    url = _url(path, world, world["mine"])

    assert client.request(method, url, json=body).status_code == 401
    response = Api(client, f"ManagementKey-v1 {expired}").request(method, url, json=body)
    assert response.status_code == 401
