"""`run --timings` and DOCKYARD_TIMINGS=1: the table goes to stderr, nothing else changes."""

from __future__ import annotations

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def phases(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("PHASE")))
    return [line.split()[0] for line in lines[start + 1 :]]


def test_run_timings_reports_the_cli_phases_after_the_output(engine: Engine, busybox: str) -> None:
    done = engine.cli("run", "--rm", "--timings", busybox, "sh", "-c", "echo out; exit 3")
    assert (done.returncode, done.stdout) == (3, "out\n")
    names = phases(done.stderr)
    assert names[:2] == ["cli.start", "cli.call"] and names[-1] == "cli.total"


@pytest.mark.parametrize("in_process", ["", "1"])
def test_the_environment_asks_it_of_any_command(
    engine: Engine, busybox: str, in_process: str
) -> None:
    env = {"DOCKYARD_TIMINGS": "1", "DOCKYARD_NO_SERVER": in_process}
    done = engine.cli("ps", "-q", env=env)
    assert done.returncode == 0 and done.stdout == ""
    assert phases(done.stderr) == ["cli.start", "cli.call", "cli.total"]
    assert "PHASE" not in engine.ok("ps", "-q") + engine.cli("ps").stderr


RUN_PHASES = [  # what a `run --rm` goes through, in the order it begins
    "engine.resolve",
    "engine.create",
    "engine.snapshot",
    "engine.network",
    "engine.task",
    "runtime.bundle",
    "runtime.shim",
    "runtime.create",
    "shim.init",
    "shim.setup",
    "engine.attach",
    "engine.start",
    "runtime.start",
    "shim.exec",
    "engine.exit",
    "runtime.delete",
    "engine.remove",
]
INSIDE = {  # phase: the phase it is part of
    "engine.snapshot": "engine.create",
    "runtime.bundle": "engine.task",
    "runtime.shim": "engine.task",
    "runtime.create": "engine.task",
    "shim.init": "runtime.create",
    "shim.setup": "shim.init",
    "runtime.start": "engine.start",
    "shim.exec": "runtime.start",
    "runtime.delete": "engine.exit",
}


def table(stderr: str) -> dict[str, tuple[float, float]]:
    """Each phase's (start, end) in ms from the CLI's start, as the table shows them."""
    lines = stderr.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("PHASE")))
    rows = {}
    for line in lines[start + 1 :]:
        name, begin, _, took, _ = line.split()
        rows[name] = (float(begin), float(begin) + float(took))
    return rows


def test_run_timings_has_every_services_phases_in_order(engine: Engine, busybox: str) -> None:
    """The engine, the runtime and the shim report where a run went; each phase lies within
    the command's span and within the phase it is part of (no timing is asserted)."""
    done = engine.cli("run", "--rm", "--timings", busybox, "true")
    assert done.returncode == 0, done.stderr
    rows = table(done.stderr)
    assert [name for name in rows if name in RUN_PHASES] == RUN_PHASES
    _, end = rows["cli.total"]
    slack = 0.2  # the table's rounding, in ms
    for name in RUN_PHASES:
        begin, finish = rows[name]
        assert rows["cli.call"][0] - slack <= begin <= finish <= end + slack, name
        if name in INSIDE:
            outer = rows[INSIDE[name]]
            assert outer[0] - slack <= begin and finish <= outer[1] + slack, (name, outer)
    assert engine.ok("ps", "-aq") == ""


@pytest.mark.parametrize("in_process", ["", "1"])
def test_a_unary_command_brings_the_engines_phases(
    engine: Engine, busybox: str, in_process: str
) -> None:
    """DOCKYARD_TIMINGS=1 rm -f: the engine's own phase of the removal is in the table (only
    run's stream carried the engine's phases before)."""
    cid = engine.ok("run", "-d", busybox, "sleep", "600").strip()
    env = {"DOCKYARD_TIMINGS": "1", "DOCKYARD_NO_SERVER": in_process}
    done = engine.cli("rm", "-f", cid, env=env)
    assert done.returncode == 0 and done.stdout == f"{cid}\n", done.stderr
    names = phases(done.stderr)
    assert names[:2] == ["cli.start", "cli.call"] and names[-1] == "cli.total"
    assert "engine.remove" in names, done.stderr
