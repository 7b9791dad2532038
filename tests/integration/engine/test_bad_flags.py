"""Flag values out of any range are one line in docker's words and exit 125, never a traceback
(issue 8, item 8): through `run` and `create` (the CLI), and the values the CLI lets through
checked again by the engine (`exec -u`, `update`)."""

from __future__ import annotations

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "flags,said",
    [
        (["--ulimit", f"nofile={HUGE}"], f'strconv.ParseInt: parsing "{HUGE}": value out of range'),
        (["--ulimit", f"nofile=1:{HUGE}"], "value out of range"),
        (["--ulimit", "nofile=-5"], "invalid ulimit argument: nofile=-5"),
        (["--ulimit", "nofile=10:5"], "soft limit must be less than or equal to hard limit"),
        (["--ulimit", "nofile=abc"], "invalid ulimit argument: nofile=abc"),
        (["--ulimit", "bogus=1"], "invalid ulimit type: bogus"),
        (["-m", "999999999999g"], "value out of range"),
        (["--memory-swap", "9" * 400], "value out of range"),
        (["--stop-timeout", HUGE], "value out of range"),
        (["--cpus", "1e30"], "Range of CPUs is from 0.01 to"),
        (["--cpus", "-1e30"], "Range of CPUs is from 0.01 to"),
        (["--cpus", "nan"], "failed to parse nan as a rational number"),
        (["--cpus", "inf"], "failed to parse inf as a rational number"),
        (["-u", "99999999999"], "uids and gids must be in range 0-2147483647"),
        (["-u", "1:99999999999"], "uids and gids must be in range 0-2147483647"),
        (["--pids-limit", HUGE], "value out of range"),
        (["--cpu-shares", HUGE], "value out of range"),
    ],
)
def test_run_refuses_in_one_line(engine: Engine, busybox: str, flags: list[str], said: str) -> None:
    result = engine.cli("run", "--rm", *flags, busybox, "true")
    assert result.returncode == 125, result.stderr
    assert said in result.stderr, result.stderr
    # one line, and docker's pointer to the help after it ("See 'dockyard run --help'.")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or lines[1:] == ["See 'dockyard run --help'."], result.stderr
    assert "Traceback" not in result.stderr and "Overflow" not in result.stderr


def test_exec_and_update_refuse_in_one_line(engine: Engine, busybox: str) -> None:
    cid = engine.ok("run", "-d", busybox, "sleep", "600").strip()
    result = engine.cli("exec", "-u", "99999999999", cid, "true")
    assert result.returncode == 126  # docker's exec says why on stdout, where its stream goes
    assert result.stdout == "uids and gids must be in range 0-2147483647\n", result
    # a flag docker's parser refuses is 125; what the daemon refuses is 1 for `update`
    for flags, code in (
        (["-m", "9" * 30], 125),
        (["--pids-limit", HUGE], 125),
        (["--cpus", "1e30"], 1),
    ):
        result = engine.cli("update", *flags, cid)
        assert result.returncode == code, result.stderr
        lines = result.stderr.strip().splitlines()  # and docker's pointer to the help, if any
        assert len(lines) == 1 or lines[1:] == ["See 'dockyard update --help'."], result.stderr
        assert "Traceback" not in result.stderr
    assert engine.ok("exec", cid, "echo", "ok") == "ok\n"
    engine.ok("rm", "-f", cid)
