"""Operators start several `carrot serve` processes at once (behind a load balancer, or a
restart of all of them after an upgrade): each migrates on start, and all must come up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from carrot.config import normalise_database_url
from tests.conftest import _drop_postgres_database, _fresh_postgres_database
from tests.live import mint_management_key, running_servers

pytestmark = pytest.mark.slow


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


def test_servers_started_together_on_an_empty_database_all_serve(tmp_path: Path) -> None:
    with empty_database(tmp_path) as url, running_servers(url, tmp_path, 3) as servers:
        key = mint_management_key(url)
        for server in servers:
            answer = httpx.get(
                f"{server.url}/v1/applications",
                headers={"Authorization": f"ManagementKey-v1 {key}"},
            )
            assert answer.status_code == 200, answer.text
