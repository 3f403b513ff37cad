"""Real concurrent clients for the live servers: a thread pool whose calls are spread round
robin over every server process, each bounded in time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import httpx

from tests.live import LiveServer

WORKERS = 32
CALL_TIMEOUT = 60.0

T = TypeVar("T")


class RoundRobin:
    """Call i goes to server process i mod N: neighbouring calls meet in different processes."""

    def __init__(self, clients: list[httpx.Client]) -> None:
        self.clients = clients

    def __getitem__(self, call: int) -> httpx.Client:
        return self.clients[call % len(self.clients)]


@contextmanager
def integration_clients(live_server: LiveServer) -> Iterator[RoundRobin]:
    """One client per server process, shared by all threads (httpx pools up to 100
    connections per client, more than there are threads)."""
    with ExitStack() as stack:
        clients = [stack.enter_context(live_server.integration(url)) for url in live_server.urls]
        yield RoundRobin(clients)


def run_in_parallel(count: int, call: Callable[[int], T]) -> list[T]:
    """call(0) … call(count - 1), all at once on WORKERS threads; results in call order."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(call, range(count), timeout=CALL_TIMEOUT))


def put_session(client: httpx.Client, session_id: str, **fields: Any) -> httpx.Response:
    """PUT /v2/customer_sessions/{id} with `fields` as the customerSession; answers with the
    session and its profile."""
    body = {"customerSession": fields, "responseContent": ["customerSession", "customerProfile"]}
    return client.put(f"/v2/customer_sessions/{session_id}", json=body)
