"""The Docker API front is started as docker.socket starts dockerd: its socket listens from
the engine's start, and it builds what serving needs (the engine's channel, aiohttp's
application, its handlers) only when a first client connects. Until then it is a process that
holds its socket and lock and waits: one thread, no gRPC. Killed, it is back waiting; stopped,
it leaves nothing."""

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

CAME = "a client came: serving the Docker API"


@pytest.fixture
def fresh(tmp_path: Path, docker_binary: str) -> Iterator[Docker]:
    engine = Engine.start(tmp_path, own_bridge())
    try:
        yield Docker(docker_binary, engine, tmp_path / "docker-config")
    finally:
        assert not engine.shut_down()
        assert not (engine.state / "docker.sock").exists()


def _log(engine: Engine) -> str:
    return (engine.root / "logs" / "dockerapi.log").read_text()


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_the_front_waits_for_its_first_client_and_then_serves(fresh: Docker) -> None:
    engine = fresh.engine
    waiting = engine.service_pid("dockerapi")
    assert "listening on unix://" in _log(engine) and CAME not in _log(engine)
    assert _threads(waiting) == 1  # no gRPC, no event loop yet
    assert fresh.ok("version", "-f", "{{.Server.Os}}") == "linux\n"  # the first client
    assert CAME in _log(engine)
    assert engine.service_pid("dockerapi") == waiting  # the same process serves it
    assert _threads(waiting) > 1  # gRPC's threads: it dialled the engine


def test_a_killed_front_is_back_waiting_and_serves_the_next_client(fresh: Docker) -> None:
    engine = fresh.engine
    fresh.ok("version")
    old = engine.service_pid("dockerapi")
    os.kill(old, signal.SIGKILL)
    wait_replaced(engine, "dockerapi", old)
    assert _threads(engine.service_pid("dockerapi")) == 1
    assert fresh.ok("ps", "-q") == ""
    assert _log(engine).count(CAME) == 2
