"""A state dir deep in a tree: the shims' sockets would not fit in a UNIX socket address
(108 bytes), so they live under /run/dockyard-shims/<hash of the state dir>/, and containers
run all the same (they failed with "the shim for … failed to start")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dockyard.api.paths import SOCKET_PATH_MAX, Paths

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

STATE_LENGTH = 85


def test_containers_run_under_a_state_dir_too_deep_for_a_shim_socket(
    tmp_path: Path, busybox_tar: Path
) -> None:
    # a state dir of 85 bytes: its shims' sockets would take 120, its services' (the gRPC
    # ones, named by the engine's own paths, which no hash can move) 99
    base = tmp_path / ("d" * (STATE_LENGTH - len(os.fsencode(tmp_path / "x/state")) + 1))
    base.mkdir()
    engine = Engine.start(base)
    try:
        assert len(os.fsencode(engine.state)) == STATE_LENGTH
        engine.ok("import", str(busybox_tar), "busybox:latest")
        cid = engine.ok("run", "-d", "busybox", "sleep", "600").strip()
        shim = Paths(engine.root, engine.state).shim_socket(cid)
        assert len(os.fsencode(engine.state / "shims" / f"{cid[:24]}.sock")) > SOCKET_PATH_MAX
        assert shim.is_socket() and not str(shim).startswith(str(engine.state))
        assert engine.ok("exec", cid, "echo", "reached") == "reached\n"
        assert engine.ok("run", "--rm", "busybox", "echo", "deep") == "deep\n"
        engine.ok("rm", "-f", cid)
        assert not shim.exists()
    finally:
        leaks = engine.shut_down()
    assert not leaks, f"the engine left behind: {leaks}"
    assert not shim.parent.exists()  # empty, it goes with the test's engine (tests/support)
