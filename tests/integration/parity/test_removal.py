"""`rm -f` against restart policies (issue 15 item 5): a container that exits at once under
`--restart always` is removed every time, whatever its restart is doing at that moment."""

from __future__ import annotations

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

TRIES = 12


def test_rm_f_removes_a_container_that_restarts_at_once(engine: Engine, busybox: str) -> None:
    """Was: "cannot delete task …: it is running" in about 2 of 8 tries."""
    for i in range(TRIES):
        name = f"bouncer-{i}"
        engine.ok("run", "-d", "--name", name, "--restart", "always", busybox, "true")
        result = engine.cli("rm", "-f", name)
        assert (result.returncode, result.stdout, result.stderr) == (0, f"{name}\n", ""), i
        assert engine.ok("ps", "-aq", "--filter", f"name={name}") == ""
        assert engine.leaks() == []


def test_rm_without_force_refuses_a_restarting_container(engine: Engine, busybox: str) -> None:
    cid = engine.ok("run", "-d", "--name", "flapping", "--restart", "always", busybox, "false")
    result = engine.cli("rm", "flapping")
    assert result.returncode == 1
    assert result.stderr.startswith("Error response from daemon: You cannot remove a ")
    assert result.stderr.endswith(
        f" container {cid.strip()}. Stop the container before attempting removal or force remove\n"
    )
    engine.ok("rm", "-f", "flapping")
