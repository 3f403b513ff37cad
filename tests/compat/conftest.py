"""The official Talon.One Python SDK, configured the way its README says, aimed at carrot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import talon_one

from tests.live import LiveServer


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[talon_one.IntegrationApi]:
    configuration = talon_one.Configuration(
        host=live_server.url,
        api_key={"Authorization": live_server.integration_key},
        api_key_prefix={"Authorization": "ApiKey-v1"},
    )
    with talon_one.ApiClient(configuration) as client:
        yield talon_one.IntegrationApi(client)
