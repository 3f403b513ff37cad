"""Real `carrot serve` processes for end-to-end tests: started on free ports against the test
database, each answering before the tests begin, stopped (terminate, then kill) at the end.

`running_servers` owns the processes; `open_live_server` gives one test a clean account view:
a Management API key minted with `carrot management-key create` (a subprocess, as an operator
would), and a fresh application with an Integration API key created over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


def carrot_command(*args: str) -> list[str]:
    """`carrot …` run by this interpreter, so the tests use the checkout they import."""
    return [sys.executable, "-m", "carrot", *args]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "CARROT_DATABASE_URL": database_url}


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _start(database_url: str, log_dir: Path) -> ServerProcess:
    port = free_port()
    log = log_dir / f"carrot-serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            carrot_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
            env=server_environment(database_url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(f"http://127.0.0.1:{port}", process, log)


def _wait_until_answering(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"carrot serve exited with {server.process.returncode}:\n{server.output()}"
            )
        try:
            if httpx.get(f"{server.url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"carrot serve did not answer within {STARTUP_TIMEOUT:.0f}s:\n{server.output()}"
    )


def _stop(server: ServerProcess) -> None:
    if server.process.poll() is not None:
        return
    server.process.terminate()
    try:
        server.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def running_servers(database_url: str, log_dir: Path, count: int) -> Iterator[list[ServerProcess]]:
    """`count` carrot serve processes on one database, all started at once (each migrates on
    start, as they would behind a load balancer), stopped when the block ends."""
    servers: list[ServerProcess] = []
    try:
        for _ in range(count):
            servers.append(_start(database_url, log_dir))
        for server in servers:
            _wait_until_answering(server)
        yield servers
    finally:
        for server in servers:
            _stop(server)


def mint_management_key(database_url: str) -> str:
    """A Management API key, minted the way an operator does: `carrot management-key create`."""
    done = subprocess.run(
        carrot_command("management-key", "create", "--name", "live-tests"),
        env=server_environment(database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"carrot management-key create failed:\n{done.stderr}")
    key = done.stdout.strip()
    assert key and "\n" not in key, f"expected one key on stdout, got {done.stdout!r}"
    return key


@dataclass(frozen=True)
class LiveServer:
    """One test's view of the running servers: its keys, its application, and clients."""

    urls: list[str]
    management_key: str
    application: dict[str, Any]
    integration_key: str

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def application_id(self) -> int:
        application_id: int = self.application["id"]
        return application_id

    def management(self, url: str | None = None) -> httpx.Client:
        return _client(url or self.url, f"ManagementKey-v1 {self.management_key}")

    def integration(self, url: str | None = None) -> httpx.Client:
        return _client(url or self.url, f"ApiKey-v1 {self.integration_key}")


def _client(url: str, authorization: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": authorization}, timeout=60)


def create_application(management: httpx.Client) -> tuple[dict[str, Any], str]:
    """A new application and an Integration API key for it, over the Management API."""
    body = {"name": f"live-{uuid.uuid4().hex[:8]}", "currency": "EUR", "timezone": "UTC"}
    created = management.post("/v1/applications", json=body)
    assert created.status_code == 201, created.text
    application: dict[str, Any] = created.json()
    key = management.post(
        f"/v1/applications/{application['id']}/api_keys",
        json={"title": "live-tests", "expires": "2099-01-01T00:00:00Z"},
    )
    assert key.status_code == 201, key.text
    return application, key.json()["key"]


def open_live_server(database_url: str, servers: list[ServerProcess]) -> LiveServer:
    """A fresh management key, application and Integration API key on running servers."""
    for server in servers:
        if server.process.poll() is not None:
            raise RuntimeError(f"carrot serve died:\n{server.output()}")
    management_key = mint_management_key(database_url)
    urls = [server.url for server in servers]
    with _client(urls[0], f"ManagementKey-v1 {management_key}") as management:
        application, integration_key = create_application(management)
    return LiveServer(urls, management_key, application, integration_key)
