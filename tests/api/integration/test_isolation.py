"""A key of application A can never read or change anything of application B; profiles are
shared by the applications of one environment, never across sandbox and live; the wrong kind
of key opens nothing. Checked endpoint by endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from carrot.service.keys import create_management_key
from carrot.store.db import Database
from tests.api.integration.test_sessions import item, put_session
from tests.conftest import Api, create_application, create_integration_key

INTEGRATION_ENDPOINTS = [
    ("PUT", "/v2/customer_sessions/s1", {"customerSession": {}}),
    ("GET", "/v2/customer_sessions/s1", None),
    ("PUT", "/v2/customer_sessions/s1/reopen", None),
    (
        "POST",
        "/v2/customer_sessions/s1/returns",
        {"return": {"returnedCartItems": [{"position": 0}]}},
    ),
    ("PUT", "/v2/customer_profiles/p", {}),
    ("PUT", "/v2/customer_profiles", {"customerProfiles": [{"integrationId": "p"}]}),
    ("POST", "/v2/events", {"profileId": "p", "type": "t"}),
    ("GET", "/v1/customer_profiles/p/inventory", None),
    ("DELETE", "/v1/customer_data/p", None),
]


@pytest.fixture
def other(client: TestClient, mgmt: Api) -> Api:
    """An Integration API client of a second live application."""
    application = create_application(mgmt)
    return Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")


def test_sessions_of_one_application_are_invisible_to_another(integration: Api, other: Api) -> None:
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item(price=10)])
    assert other.get("/v2/customer_sessions/s1").status_code == 404
    assert other.put("/v2/customer_sessions/s1/reopen").status_code == 404
    returned = other.post(
        "/v2/customer_sessions/s1/returns",
        json={"return": {"returnedCartItems": [{"position": 0}]}},
    )
    assert returned.status_code == 404
    # The same session id in B is B's own session; A's stays as it was.
    mine = put_session(other, "s1", profileId="q", cartItems=[item(price=99)]).json()
    assert mine["customerSession"]["state"] == "open"
    theirs = integration.get("/v2/customer_sessions/s1").json()["customerSession"]
    assert (theirs["state"], theirs["total"], theirs["profileId"]) == ("closed", 10, "p")


def test_events_and_sessions_are_listed_only_in_their_application(
    integration: Api, other: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    put_session(other, "b-session", profileId="p")
    listed = mgmt.get(f"/v1/applications/{application['id']}/sessions").json()["data"]
    assert listed == []
    events = mgmt.get(f"/v1/applications/{application['id']}/events/no_total").json()["data"]
    assert events == []


def test_profiles_are_shared_within_an_environment_but_not_across(
    client: TestClient, integration: Api, other: Api, mgmt: Api
) -> None:
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item(price=10)])
    shared = other.get("/v1/customer_profiles/p/inventory?profile=true").json()["profile"]
    assert shared["totalSales"] == 10
    sandbox_app = create_application(mgmt, sandbox=True)
    sandbox = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, sandbox_app['id'])}")
    assert sandbox.get("/v1/customer_profiles/p/inventory").status_code == 404
    put_session(sandbox, "s1", profileId="p", state="closed", cartItems=[item(price=1)])
    assert sandbox.delete("/v1/customer_data/p").status_code == 204
    still = integration.get("/v1/customer_profiles/p/inventory?profile=true").json()["profile"]
    assert still["totalSales"] == 10


@pytest.mark.parametrize(("method", "url", "body"), INTEGRATION_ENDPOINTS)
def test_management_keys_open_no_integration_endpoint(
    mgmt: Api, method: str, url: str, body: Any
) -> None:
    response = mgmt.request(method, url, json=body)
    assert response.status_code == 401
    assert response.json()["errors"]


@pytest.mark.parametrize(("method", "url", "body"), INTEGRATION_ENDPOINTS)
def test_revoked_integration_keys_open_nothing(
    client: TestClient, mgmt: Api, application: dict[str, Any], method: str, url: str, body: Any
) -> None:
    key = create_integration_key(mgmt, application["id"])
    keys = mgmt.get(f"/v1/applications/{application['id']}/api_keys").json()["data"]
    assert (
        mgmt.delete(f"/v1/applications/{application['id']}/api_keys/{keys[-1]['id']}").status_code
        == 204
    )
    response = Api(client, f"ApiKey-v1 {key}").request(method, url, json=body)
    assert response.status_code == 401


# The busiest routes look a well-formed key up after validating the body (in the call's own
# worker thread, see carrot.api.auth.integration_key): an invalid body is then a 400 whatever
# the key, and still stores nothing; a missing or malformed header is a 401 before the body.
KEY_AFTER_BODY = [
    (
        "PUT",
        "/v2/customer_sessions/s1",
        {"customerSession": {"cartItems": "x"}},
        {"customerSession": {}},
    ),
    ("PUT", "/v2/customer_profiles/p", {"attributes": "none"}, {}),
    ("POST", "/v2/events", {"profileId": "p"}, {"profileId": "p", "type": "t"}),
]


@pytest.mark.parametrize(("method", "url", "invalid", "valid"), KEY_AFTER_BODY)
def test_busy_routes_refuse_a_bad_header_first_and_an_unknown_key_after_the_body(
    client: TestClient, integration: Api, method: str, url: str, invalid: Any, valid: Any
) -> None:
    assert client.request(method, url, json=invalid).status_code == 401
    for authorization in ("ApiKey-v1", "Bearer x"):
        assert Api(client, authorization).request(method, url, json=invalid).status_code == 401
    unknown = Api(client, "ApiKey-v1 unknown")
    refused = unknown.request(method, url, json=invalid)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"]["pointer"]
    assert unknown.request(method, url, json=valid).status_code == 401
    assert integration.get("/v2/customer_sessions/s1").status_code == 404
    assert integration.get("/v1/customer_profiles/p/inventory").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["sessions", "sessions/1", "customers/1", "events/no_total"],
)
def test_customer_data_reads_check_the_management_key(
    client: TestClient,
    db: Database,
    mgmt: Api,
    integration: Api,
    application: dict[str, Any],
    path: str,
) -> None:
    other_app = create_application(mgmt)
    limited = Api(
        client,
        f"ManagementKey-v1 {create_management_key(db, 'limited', allowed_application_ids=[other_app['id']])}",
    )
    response = limited.get(f"/v1/applications/{application['id']}/{path}")
    assert response.status_code == 403
    assert integration.get(f"/v1/applications/{application['id']}/{path}").status_code == 401
