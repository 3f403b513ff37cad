"""Operators start several `carrot serve` processes at once (behind a load balancer, or a
restart of all of them after an upgrade): each migrates on start, and all must come up."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import empty_database
from tests.live import mint_management_key, running_servers

pytestmark = pytest.mark.slow


def test_servers_started_together_on_an_empty_database_all_serve(tmp_path: Path) -> None:
    with empty_database(tmp_path) as url, running_servers(url, tmp_path, 3) as servers:
        key = mint_management_key(url)
        for server in servers:
            answer = httpx.get(
                f"{server.url}/v1/applications",
                headers={"Authorization": f"ManagementKey-v1 {key}"},
            )
            assert answer.status_code == 200, answer.text
