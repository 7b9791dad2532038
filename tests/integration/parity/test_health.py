"""Healthchecks with real containers (issue 15 item 1), as docker 20.10 shows them: probes run
in the container, a passing one makes it healthy, failures up to the retries unhealthy, a probe
past its timeout is killed and fails, failures in the start period do not count, an image's
HEALTHCHECK applies unless --no-healthcheck, and probes carry on across restarts of the engine
and runtime services. Every wait is for a state, with a generous bound (the machine is loaded).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine import Engine
from tests.support.faults import kill_service, wait_replaced

pytestmark = pytest.mark.integration

WAIT_SECONDS = 120.0
FAST = ("--health-interval", "300ms")


def inspect(engine: Engine, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(engine.ok("inspect", name))[0]
    return doc


def health(engine: Engine, name: str) -> dict[str, Any]:
    state: dict[str, Any] = inspect(engine, name)["State"].get("Health") or {}
    return state


def wait_for(what: str, check: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    """Poll a container's state until `check()` holds (it has no event of its own to wait on)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def wait_status(engine: Engine, name: str, status: str) -> dict[str, Any]:
    wait_for(f"{name} {status}", lambda: health(engine, name).get("Status") == status)
    return health(engine, name)


def ps_status(engine: Engine, name: str) -> str:
    return engine.ok("ps", "--filter", f"name=^{name}$", "--format", "{{.Status}}").strip()


def ps_health(engine: Engine, value: str) -> set[str]:
    return set(engine.ok("ps", "--filter", f"health={value}", "--format", "{{.Names}}").split())


def test_a_container_starts_in_health_starting(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "h-start", "--health-cmd", "true", busybox, "sleep", "600")
    doc = inspect(engine, "h-start")
    assert doc["State"]["Health"] == {"Status": "starting", "FailingStreak": 0, "Log": []}
    assert doc["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "true"]}
    assert ps_status(engine, "h-start").endswith(" (health: starting)")
    assert "h-start" in ps_health(engine, "starting")
    engine.ok("run", "-d", "--name", "h-plain", busybox, "sleep", "600")
    assert "Health" not in inspect(engine, "h-plain")["State"]
    assert "Healthcheck" not in inspect(engine, "h-plain")["Config"]
    assert ps_health(engine, "none") >= {"h-plain"} and "h-start" not in ps_health(engine, "none")


def test_a_passing_probe_makes_it_healthy(engine: Engine, busybox: str) -> None:
    since = f"{time.time() - 1:.3f}"
    engine.ok(
        "run", "-d", "--name", "h-ok", "--health-cmd", "echo fine; hostname", *FAST,
        busybox, "sleep", "600",
    )  # fmt: skip
    state = wait_status(engine, "h-ok", "healthy")
    first = state["Log"][0]
    hostname = inspect(engine, "h-ok")["Config"]["Hostname"]
    assert (first["ExitCode"], first["Output"]) == (0, f"fine\n{hostname}\n")  # in the container
    assert first["Start"] <= first["End"] and state["FailingStreak"] == 0
    assert ps_status(engine, "h-ok").endswith(" (healthy)")
    assert "h-ok" in ps_health(engine, "healthy") and "h-ok" not in ps_health(engine, "starting")
    out = engine.ok(
        "events", "--since", since, "--until", f"{time.time():.3f}", "--filter", "container=h-ok",
        "--filter", "event=health_status", "--filter", "event=exec_die", "--format", "{{.Action}}",
    )  # fmt: skip
    actions = out.splitlines()
    assert actions.count("health_status: healthy") == 1  # on the change only
    assert "exec_die" in actions  # each probe is an exec, with its events (dockerd's)


def test_failures_up_to_the_retries_make_it_unhealthy(engine: Engine, busybox: str) -> None:
    engine.ok(
        "run", "-d", "--name", "h-bad", "--health-cmd", "echo sick; exit 3",
        "--health-retries", "2", *FAST, busybox, "sleep", "600",
    )  # fmt: skip
    state = wait_status(engine, "h-bad", "unhealthy")
    assert state["FailingStreak"] >= 2
    assert {(r["ExitCode"], r["Output"]) for r in state["Log"]} == {(3, "sick\n")}
    assert ps_status(engine, "h-bad").endswith(" (unhealthy)")
    assert "h-bad" in ps_health(engine, "unhealthy")
    wait_for("five results", lambda: len(health(engine, "h-bad")["Log"]) == 5)
    wait_for("a sixth probe", lambda: health(engine, "h-bad")["FailingStreak"] >= 6)
    assert len(health(engine, "h-bad")["Log"]) == 5  # the last five only


def test_a_probe_past_its_timeout_is_killed_and_fails(engine: Engine, busybox: str) -> None:
    engine.ok(
        "run", "-d", "--name", "h-slow", "--health-cmd", "sleep 77",
        "--health-timeout", "500ms", "--health-retries", "1", *FAST, busybox, "sleep", "600",
    )  # fmt: skip
    state = wait_status(engine, "h-slow", "unhealthy")
    assert state["Log"][0]["ExitCode"] == -1
    assert state["Log"][0]["Output"] == "Health check exceeded timeout (500ms)"
    wait_for("three timeouts", lambda: len(health(engine, "h-slow")["Log"]) >= 3)
    rows = engine.ok("top", "h-slow", "-o", "pid,args").splitlines()
    probes = [row for row in rows if row.endswith(" sleep 77") and " -c " not in row]
    assert len(probes) <= 1, rows  # the ones that timed out were killed


def test_failures_in_the_start_period_do_not_count(engine: Engine, busybox: str) -> None:
    engine.ok(
        "run", "-d", "--name", "h-period", "--health-cmd", "test -e /tmp/up",
        "--health-retries", "1", "--health-start-period", "10m", *FAST,
        busybox, "sh", "-c", "sleep 600",
    )  # fmt: skip
    wait_for("three failures", lambda: len(health(engine, "h-period")["Log"]) >= 3)
    state = health(engine, "h-period")
    assert (state["Status"], state["FailingStreak"]) == ("starting", 0)
    assert {r["ExitCode"] for r in state["Log"]} == {1}
    engine.ok("exec", "h-period", "touch", "/tmp/up")
    wait_status(engine, "h-period", "healthy")
    engine.ok("exec", "h-period", "rm", "/tmp/up")  # the start period ends with a pass
    wait_status(engine, "h-period", "unhealthy")  # within the 10m: failures count now


def test_an_image_healthcheck_applies_and_no_healthcheck_drops_it(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {busybox}\nHEALTHCHECK --interval=300ms --retries=4 CMD echo from-image\n"
    )
    engine.ok("build", "-q", "-t", "h-checked", str(tmp_path))
    try:
        image_config = json.loads(engine.ok("image", "inspect", "h-checked"))[0]["Config"]
        assert image_config["Healthcheck"] == {
            "Test": ["CMD-SHELL", "echo from-image"],
            "Interval": 300_000_000,
            "Retries": 4,
        }
        keys = list(image_config)
        assert keys.index("Healthcheck") == keys.index("Cmd") + 1
        engine.ok("run", "-d", "--name", "h-img", "h-checked", "sleep", "600")
        config = inspect(engine, "h-img")["Config"]["Healthcheck"]
        assert config == {
            "Test": ["CMD-SHELL", "echo from-image"],
            "Interval": 300_000_000,
            "Retries": 4,
        }
        assert wait_status(engine, "h-img", "healthy")["Log"][0]["Output"] == "from-image\n"
        engine.ok(
            "run", "-d", "--name", "h-over", "--health-cmd", "exit 1", "--health-retries", "1",
            "h-checked", "sleep", "600",
        )  # fmt: skip
        over = inspect(engine, "h-over")["Config"]["Healthcheck"]
        assert over == {"Test": ["CMD-SHELL", "exit 1"], "Interval": 300_000_000, "Retries": 1}
        wait_status(engine, "h-over", "unhealthy")
        engine.ok("run", "-d", "--name", "h-none", "--no-healthcheck", "h-checked", "sleep", "600")
        doc = inspect(engine, "h-none")
        # dockerd merges field by field: NONE keeps the image's durations beside it
        assert doc["Config"]["Healthcheck"] == {
            "Test": ["NONE"],
            "Interval": 300_000_000,
            "Retries": 4,
        }
        assert "Health" not in doc["State"]
        assert "(" not in ps_status(engine, "h-none")
    finally:
        engine.remove_all_containers()
        engine.ok("rmi", "h-checked")


def test_bad_health_flags_are_refused_as_docker_does(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--no-healthcheck", "--health-cmd", "true", busybox, "true")
    assert (result.returncode, result.stderr) == (
        125,
        "dockyard: --no-healthcheck conflicts with --health-* options.\n"
        "See 'dockyard run --help'.\n",
    )
    result = engine.cli("run", "--health-interval", "soon", busybox, "true")
    assert (result.returncode, result.stderr) == (
        125,
        'invalid argument "soon" for "--health-interval" flag: time: invalid duration "soon"\n'
        "See 'dockyard run --help'.\n",
    )
    result = engine.cli("run", "--health-interval", "10us", busybox, "true")
    assert result.returncode == 125
    assert "Interval in Healthcheck cannot be less than 1ms" in result.stderr
    assert engine.ok("ps", "-aq") == ""


def test_probes_carry_on_when_the_engine_and_runtime_are_killed(
    engine: Engine, busybox: str
) -> None:
    engine.ok(
        "run", "-d", "--name", "h-lasting", "--health-cmd", "test -e /tmp/ok",
        "--health-retries", "1", *FAST, busybox, "sh", "-c", "touch /tmp/ok; sleep 600",
    )  # fmt: skip
    wait_status(engine, "h-lasting", "healthy")
    old = kill_service(engine, "engine")
    wait_replaced(engine, "engine", old)
    engine.ok("exec", "h-lasting", "rm", "/tmp/ok")
    state = wait_status(engine, "h-lasting", "unhealthy")  # probed by the new engine
    assert state["Log"][0]["ExitCode"] == 0  # the log from before the kill is kept
    old = kill_service(engine, "runtime")
    wait_replaced(engine, "runtime", old)
    engine.ok("exec", "h-lasting", "touch", "/tmp/ok")
    wait_status(engine, "h-lasting", "healthy")
