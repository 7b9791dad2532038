"""The Docker API front is started as docker.socket starts dockerd: the supervisor listens on
docker.sock from the engine's start and starts the front when a first client connects, handing
it the listening socket. Killed, the front is listened for again (its next client starts it
afresh); stopped, the engine leaves no socket behind."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker
from tests.support.engine import Engine
from tests.support.faults import own_bridge, wait_replaced

pytestmark = pytest.mark.integration

CAME = "a client came on the sockets the supervisor listens on"


@pytest.fixture
def fresh(tmp_path: Path, docker_binary: str) -> Iterator[Docker]:
    engine = Engine.start(tmp_path, own_bridge())
    try:
        yield Docker(docker_binary, engine, tmp_path / "docker-config")
    finally:
        assert not engine.shut_down()
        assert not (engine.state / "docker.sock").exists()


def _front(engine: Engine) -> dict[str, object]:
    return engine.status()["services"]["dockerapi"]  # type: ignore[index,no-any-return]


def _log(engine: Engine) -> str:
    path = engine.root / "logs" / "dockerapi.log"
    return path.read_text() if path.exists() else ""


def test_the_front_is_started_by_its_first_client(fresh: Docker) -> None:
    engine = fresh.engine
    assert _front(engine)["state"] == "listening" and _front(engine)["pid"] == 0
    assert (engine.state / "docker.sock").is_socket() and CAME not in _log(engine)
    assert fresh.ok("version", "-f", "{{.Server.Os}}") == "linux\n"  # the first client
    assert _front(engine)["state"] == "running" and CAME in _log(engine)
    started = engine.service_pid("dockerapi")
    assert fresh.ok("ps", "-q") == "" and engine.service_pid("dockerapi") == started


def test_a_killed_front_is_listened_for_again_and_its_next_client_starts_it(
    fresh: Docker,
) -> None:
    engine = fresh.engine
    fresh.ok("version")
    old = engine.service_pid("dockerapi")
    os.kill(old, signal.SIGKILL)
    wait_replaced(engine, "dockerapi", old)
    assert _front(engine)["state"] == "listening"
    assert fresh.ok("ps", "-q") == ""
    assert engine.service_pid("dockerapi") not in (0, old)
    assert _log(engine).count(CAME) == 2
