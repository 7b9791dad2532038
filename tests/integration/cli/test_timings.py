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
