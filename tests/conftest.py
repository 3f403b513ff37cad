"""Fixtures shared by every test that stores: a real database (SQLite by default, PostgreSQL when
`CARROT_TEST_DATABASE_URL` names one), an API client, keys and a fresh application."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from carrot.api.app import create_app
from carrot.config import normalise_database_url
from carrot.service.keys import create_management_key
from carrot.store.db import Database
from carrot.store.tables import metadata
from tests.live import LiveServer, ServerProcess, open_live_server, running_servers


def _fresh_postgres_database(base_url: str) -> tuple[str, str]:
    """A new, empty database beside the one named, so parallel test runs never meet."""
    name = f"carrot_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    return url, name


def _drop_postgres_database(base_url: str, name: str) -> None:
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database no schema was ever written to, of the kind the tests run on."""
    configured = os.environ.get("CARROT_TEST_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = normalise_database_url(configured)
    url, name = _fresh_postgres_database(base)
    try:
        yield url
    finally:
        _drop_postgres_database(base, name)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_db(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def db(migrated_db: Database) -> Iterator[Database]:
    """The session's database, emptied before each test."""
    with migrated_db.write() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    yield migrated_db


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def management_key(db: Database) -> str:
    return create_management_key(db, "tests")


@pytest.fixture
def mgmt(client: TestClient, management_key: str) -> Api:
    return Api(client, f"ManagementKey-v1 {management_key}")


class Api:
    """A client that sends one Authorization header with every call."""

    def __init__(self, client: TestClient, authorization: str) -> None:
        self.client = client
        self.headers = {"Authorization": authorization}

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)


def create_application(mgmt: Api, **settings: Any) -> dict[str, Any]:
    body = {
        "name": f"shop-{uuid.uuid4().hex[:8]}",
        "currency": "EUR",
        "timezone": "UTC",
        **settings,
    }
    response = mgmt.post("/v1/applications", json=body)
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    return application


def create_integration_key(mgmt: Api, application_id: int, **fields: Any) -> str:
    body = {"title": "tests", "expires": "2099-01-01T00:00:00Z", **fields}
    response = mgmt.post(f"/v1/applications/{application_id}/api_keys", json=body)
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


@pytest.fixture
def application(mgmt: Api) -> dict[str, Any]:
    return create_application(mgmt)


@pytest.fixture
def integration(client: TestClient, mgmt: Api, application: dict[str, Any]) -> Api:
    """An Integration API client whose key belongs to `application`."""
    return Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")


# Live servers ------------------------------------------------------------------------------

LIVE_SERVER_PROCESSES = 2


@pytest.fixture(scope="session")
def live_processes(
    database_url: str, migrated_db: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    """Real `carrot serve` processes on the test database, shared by the whole run. Both
    SQLite (WAL, BEGIN IMMEDIATE) and PostgreSQL serialise writers across processes, so both
    run more than one."""
    log_dir = tmp_path_factory.mktemp("live")
    with running_servers(database_url, log_dir, LIVE_SERVER_PROCESSES) as servers:
        yield servers


@pytest.fixture
def live_server(db: Database, database_url: str, live_processes: list[ServerProcess]) -> LiveServer:
    """The live servers on an emptied database, with a fresh management key, application and
    Integration API key."""
    return open_live_server(database_url, live_processes)
