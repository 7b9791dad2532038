"""Healthchecks: the state machine (`health.py`) and the probes over the fakes
(`healthmonitor.py`): statuses, streaks, retries, start period, timeouts, the exit, a restart of
the engine, the image's check and `ps --filter health=`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dockyard.api import errors
from dockyard.api.config import DaemonConfig
from dockyard.services.engine import filters, health
from dockyard.services.engine.clients.fakes.images import make_image
from dockyard.services.engine.clients.images import ImageConfig
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import (
    Container,
    ContainerConfig,
    Health,
    HealthConfig,
    HealthResult,
    HostConfig,
)

from .conftest import Rig, eventually

MS = 10**6
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _result(code: int, at: datetime = T0, output: str = "") -> HealthResult:
    return HealthResult(at, at + timedelta(milliseconds=5), code, output)


def test_a_pass_is_healthy_and_failures_count_up_to_the_retries() -> None:
    check = HealthConfig(["CMD", "true"], retries=2)
    state = Health()
    assert health.record(state, _result(0), check, T0)
    assert (state.status, state.failing_streak) == ("healthy", 0)
    assert not health.record(state, _result(1), check, T0)
    assert (state.status, state.failing_streak) == ("healthy", 1)
    assert health.record(state, _result(1), check, T0)
    assert (state.status, state.failing_streak) == ("unhealthy", 2)
    assert health.record(state, _result(0), check, T0)
    assert (state.status, state.failing_streak) == ("healthy", 0)


def test_failures_in_the_start_period_do_not_count_until_a_pass() -> None:
    check = HealthConfig(["CMD", "true"], retries=1, start_period=10 * health.SECOND)
    state = Health()
    assert not health.record(state, _result(1, T0 + timedelta(seconds=5)), check, T0)
    assert (state.status, state.failing_streak, len(state.log)) == ("starting", 0, 1)
    assert health.record(state, _result(1, T0 + timedelta(seconds=11)), check, T0)
    assert (state.status, state.failing_streak) == ("unhealthy", 1)
    passed = Health()
    health.record(passed, _result(0, T0 + timedelta(seconds=1)), check, T0)
    health.record(passed, _result(1, T0 + timedelta(seconds=2)), check, T0)
    assert passed.status == "unhealthy"  # once healthy, the start period is over


def test_the_log_keeps_the_last_five_and_cuts_long_output() -> None:
    check = HealthConfig(["CMD", "true"], retries=3)
    state = Health()
    for code in range(7):
        health.record(state, _result(code, output="x" * 5000), check, T0)
    assert [r.exit_code for r in state.log] == [2, 3, 4, 5, 6]
    assert all(len(r.output) == health.OUTPUT_BYTES for r in state.log)


def test_a_container_check_is_completed_from_the_image_and_none_wins() -> None:
    image = HealthConfig(["CMD-SHELL", "curl x"], interval=5 * health.SECOND, retries=4)
    own = HealthConfig([], timeout=2 * health.SECOND)
    merged = health.merge(own, image)
    assert merged == HealthConfig(
        ["CMD-SHELL", "curl x"], 5 * health.SECOND, 2 * health.SECOND, 0, 4
    )
    assert health.merge(None, image) == image
    assert health.effective(health.merge(HealthConfig(["NONE"]), image)) is None
    assert health.effective(None) is None
    filled = health.effective(HealthConfig(["CMD", "true"]))
    assert filled is not None
    assert (filled.interval, filled.timeout, filled.retries) == (30 * health.SECOND,) * 2 + (3,)
    assert health.argv(HealthConfig(["CMD-SHELL", "test -f /x"])) == ["/bin/sh", "-c", "test -f /x"]
    assert health.argv(HealthConfig(["CMD", "true", "1"])) == ["true", "1"]


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (500 * MS, "500ms"),
        (2 * health.SECOND, "2s"),
        (1500 * MS, "1.5s"),
        (90 * health.SECOND, "1m30s"),
    ],
)
def test_timeouts_are_said_as_go_durations(ns: int, text: str) -> None:
    assert health.go_duration(ns) == text


async def _run_checked(rig: Rig, name: str, check: HealthConfig) -> Container:
    config = ContainerConfig(image="busybox", cmd=["sh"], healthcheck=check)
    container = await rig.life.creator.create(name, config, HostConfig())
    return await rig.life.start(container.id)


def _status(rig: Rig, name: str) -> str:
    state = rig.store.get(name).state.health
    return state.status if state is not None else "none"


async def test_a_passing_probe_makes_the_container_healthy(rig: Rig) -> None:
    rig.tasks.exec_script = lambda spec: (b"fine\n", 0)
    container = await _run_checked(rig, "ok", HealthConfig(["CMD-SHELL", "true"], interval=10 * MS))
    assert _status(rig, "ok") == "starting"
    await eventually(lambda: _status(rig, "ok") == "healthy")
    record = rig.store.get("ok").state.health
    assert record is not None and record.log[0].output == "fine\n"
    assert record.log[0].exit_code == 0 and record.failing_streak == 0
    probe = rig.tasks.execs[0]
    assert probe.task_id == container.id
    assert probe.process["args"] == ["/bin/sh", "-c", "true"]
    assert rig.actions().count("health_status: healthy") == 1  # on a change only
    probe_events = [e for e in rig.events.recent() if e.attributes.get("execID") == probe.exec_id]
    assert [e.action for e in probe_events] == [  # dockerd's words, the command in them
        "exec_create: /bin/sh -c true",
        "exec_start: /bin/sh -c true",
        "exec_die",
    ]
    assert probe_events[-1].attributes["exitCode"] == "0"


async def test_failures_up_to_the_retries_make_it_unhealthy(rig: Rig) -> None:
    rig.tasks.exec_script = lambda spec: (b"down\n", 1)
    await _run_checked(rig, "bad", HealthConfig(["CMD", "false"], interval=10 * MS, retries=3))
    await eventually(lambda: _status(rig, "bad") == "unhealthy")
    record = rig.store.get("bad").state.health
    assert record is not None and record.failing_streak == 3
    assert [r.exit_code for r in record.log] == [1, 1, 1]
    assert "health_status: unhealthy" in rig.actions()


async def test_a_probe_past_its_timeout_is_killed_and_fails(rig: Rig) -> None:
    killed: list[int] = []
    rig.life.health._kill = killed.append  # a fake pid must never reach a real kill
    rig.tasks.exec_script = lambda spec: None  # hangs
    check = HealthConfig(["CMD", "sleep", "9"], interval=10 * MS, timeout=20 * MS, retries=1)
    await _run_checked(rig, "slow", check)
    await eventually(lambda: _status(rig, "slow") == "unhealthy")
    record = rig.store.get("slow").state.health
    assert record is not None
    assert (record.log[0].exit_code, record.log[0].output) == (
        -1,
        "Health check exceeded timeout (20ms)",
    )
    assert killed and killed[0] >= 1000


async def test_an_exit_stops_the_probes_and_a_start_resets_the_status(rig: Rig) -> None:
    rig.tasks.exec_script = lambda spec: (b"", 1)
    check = HealthConfig(["CMD", "false"], interval=10 * MS, retries=1)
    container = await _run_checked(rig, "ends", check)
    await eventually(lambda: _status(rig, "ends") == "unhealthy")
    rig.tasks.exit(container.id, 0)
    await eventually(lambda: rig.store.get("ends").state.status == "exited")
    assert container.id not in rig.life.health._monitors
    rig.tasks.exec_script = lambda spec: (b"", 0)
    await rig.life.start("ends")
    state = rig.store.get("ends").state.health
    assert state is not None and (state.status, state.failing_streak) == ("starting", 0)
    assert len(state.log) >= 1  # the log outlives the restart, as docker's
    await eventually(lambda: _status(rig, "ends") == "healthy")


async def test_probes_carry_on_after_a_restart_of_the_engine(rig: Rig) -> None:
    rig.tasks.exec_script = lambda spec: (b"", 1)
    check = HealthConfig(["CMD", "false"], interval=10 * MS, retries=4)
    await _run_checked(rig, "kept", check)
    await eventually(lambda: (rig.store.get("kept").state.health or Health()).failing_streak >= 1)
    await rig.life.close()
    streak = (rig.store.get("kept").state.health or Health()).failing_streak
    back = Lifecycle(rig.store, rig.clients, rig.root, DaemonConfig(), rig.events)
    back.resume_watching()
    try:
        await eventually(lambda: _status(rig, "kept") == "unhealthy")
    finally:
        await back.close()
    state = rig.store.get("kept").state.health
    assert state is not None and state.failing_streak >= max(streak, 4)


async def test_an_unreachable_runtime_is_no_failure(rig: Rig) -> None:
    rig.faults.fail("tasks.exec", errors.Unavailable("runtime down"), times=3)
    rig.tasks.exec_script = lambda spec: (b"", 0)
    await _run_checked(rig, "wait", HealthConfig(["CMD", "true"], interval=10 * MS, retries=1))
    await eventually(lambda: rig.faults.ops().count("tasks.exec") >= 3)
    assert _status(rig, "wait") == "starting"
    await eventually(lambda: _status(rig, "wait") == "healthy")
    state = rig.store.get("wait").state.health
    assert state is not None and [r.exit_code for r in state.log] == [0]


async def test_the_image_check_applies_and_none_disables_it(rig: Rig) -> None:
    image_check = HealthConfig(["CMD-SHELL", "probe"], interval=10 * MS)
    rig.images.add(
        make_image("checked", ImageConfig(cmd=["sh"], healthcheck=image_check)), "checked"
    )
    rig.tasks.exec_script = lambda spec: (b"", 0)
    made = await rig.life.creator.create("img", ContainerConfig(image="checked"), HostConfig())
    assert made.config.healthcheck == image_check
    await rig.life.start("img")
    await eventually(lambda: _status(rig, "img") == "healthy")
    off = ContainerConfig(image="checked", healthcheck=HealthConfig(["NONE"]))
    await rig.life.creator.create("off", off, HostConfig())
    await rig.life.start("off")
    assert rig.store.get("off").state.health is None
    assert rig.store.get("off").id not in rig.life.health._monitors


async def test_ps_filters_on_health(rig: Rig) -> None:
    rig.tasks.exec_script = lambda spec: (b"", 0)
    await _run_checked(rig, "good", HealthConfig(["CMD", "true"], interval=10 * MS))
    await rig.run("plain")
    await eventually(lambda: _status(rig, "good") == "healthy")

    def names(value: str) -> set[str]:
        match = filters.matcher(filters.parse([f"health={value}"]), lambda _: set())
        return {c.name for c in rig.store.list() if match(c)}

    assert names("healthy") == {"good"}
    assert names("none") == {"plain"}
    assert names("starting") == set()
    with pytest.raises(errors.InvalidArgument, match="Unrecognised filter value for health: x"):
        filters.parse(["health=x"])


async def test_a_check_under_a_millisecond_is_refused_at_create(rig: Rig) -> None:
    config = ContainerConfig(image="busybox", healthcheck=HealthConfig(["CMD", "true"], interval=1))
    with pytest.raises(
        errors.InvalidArgument, match="Interval in Healthcheck cannot be less than 1ms"
    ):
        await rig.life.creator.create("fast", config, HostConfig())
    bad = ContainerConfig(image="busybox", healthcheck=HealthConfig(["CMD", "true"], retries=-1))
    with pytest.raises(errors.InvalidArgument, match="Retries in Healthcheck cannot be negative"):
        await rig.life.creator.create("neg", bad, HostConfig())
    assert rig.leftovers() == []
