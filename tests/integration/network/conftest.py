"""Network test helpers: networks made by a test are removed after it (containers first)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.engine import Engine


@pytest.fixture
def network(engine: Engine) -> Iterator[Callable[..., str]]:
    """`network(*flags)` creates a user network with a fresh name; returns the name."""
    made: list[str] = []

    def create(*flags: str) -> str:
        name = f"net{random.randrange(16**6):06x}"
        engine.ok("network", "create", *flags, name)
        made.append(name)
        return name

    yield create
    engine.remove_all_containers()
    for name in made:
        engine.cli("network", "rm", name)


def free_subnet() -> str:
    return f"10.{random.randrange(230, 240)}.{random.randrange(256)}.0/24"


def http_get(url: str, attempts: int = 50) -> str:
    """GET `url` from the host (a server in a container needs a moment to listen)."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=3) as reply:
                return reply.read().decode()
        except OSError as err:
            last = err
            time.sleep(0.1)
    raise AssertionError(f"no answer from {url}: {last}")


def curl(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "-s", "--max-time", "3", url], capture_output=True, text=True, check=False
    )


WEB = "mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p {port} -h /www"


def web(text: str, port: int = 80) -> list[str]:
    """The command of a busybox container serving `text` on `port`."""
    return ["sh", "-c", WEB.format(text=text, port=port)]


def kill_network_service(engine: Engine) -> None:
    """SIGKILL the network service and wait until the supervisor's new one answers."""
    old = engine.service_pid("network")
    os.kill(old, signal.SIGKILL)
    wait_network_service(engine, old)


def wait_network_service(engine: Engine, old: int) -> None:
    """Wait until a network service other than `old` answers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if engine.service_pid("network") != old and engine.cli("network", "ls").returncode == 0:
                return
        except (KeyError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"the network service did not come back:\n{engine.log_tail()}")


def network_doc(engine: Engine, name: str) -> dict[str, Any]:
    return json.loads(engine.ok("network", "inspect", name))[0]  # type: ignore[no-any-return]


def nft_set(engine: Engine, name: str) -> str:
    """The elements of one set of the engine's nft table ("" when it has none)."""
    listed = subprocess.run(
        ["nft", "list", "set", "ip", f"dockyard_{engine.network_tag}", name],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return listed.split("elements = ", 1)[1] if "elements = " in listed else ""
