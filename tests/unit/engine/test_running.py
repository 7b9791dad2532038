"""Pause, unpause, stats, update and exec over the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from dockyard.api import errors
from dockyard.services.engine import running
from dockyard.services.engine.model import Resources, RestartPolicy
from dockyard.services.engine.running import Running
from dockyard.services.engine.streams import ExecCreated, ExecOptions, Exited, Input, Output

from .conftest import Rig


@pytest.fixture
def ops(rig: Rig) -> Running:
    return Running(rig.store, rig.life.locks, rig.clients.tasks, rig.events)


async def _nothing() -> AsyncIterator[Input]:
    for item in ():
        yield item


async def test_pause_and_unpause(rig: Rig, ops: Running) -> None:
    container = await rig.run("p")
    await ops.pause("p")
    assert rig.store.get("p").state.status == "paused"
    assert rig.tasks.tasks[container.id].status == "paused"
    with pytest.raises(errors.FailedPrecondition, match="already paused"):
        await ops.pause("p")
    await ops.unpause("p")
    assert rig.store.get("p").state.status == "running"
    assert rig.actions()[-2:] == ["pause", "unpause"]


async def test_stats_of_a_running_container(
    rig: Rig, ops: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(running, "STATS_SECONDS", 0.01)
    await rig.run("s")
    samples = [s async for s in ops.stats("s", stream=False)]
    assert len(samples) == 1
    assert (samples[0].name, samples[0].memory_usage, samples[0].pids) == ("s", 4096, 1)
    await rig.create("idle")
    with pytest.raises(errors.FailedPrecondition, match="is not running"):
        await anext(ops.stats("idle", stream=False))


async def test_update_applies_limits_to_the_running_task(rig: Rig, ops: Running) -> None:
    container = await rig.run("u")
    await ops.update("u", Resources(memory=64 * 1024 * 1024), RestartPolicy("always"))
    limits = rig.tasks.tasks[container.id].resources
    assert limits is not None and limits["memory"]["limit"] == 64 * 1024 * 1024
    record = rig.store.get("u")
    assert record.host_config.resources.memory == 64 * 1024 * 1024
    assert record.host_config.restart_policy.name == "always"


async def test_update_of_a_stopped_container_waits_for_its_next_start(
    rig: Rig, ops: Running
) -> None:
    await rig.create("later")
    await ops.update("later", Resources(pids_limit=10), None)
    assert rig.faults.ops().count("tasks.update") == 0
    assert rig.store.get("later").host_config.resources.pids_limit == 10


async def test_exec_streams_its_output_and_exit(rig: Rig, ops: Running) -> None:
    await rig.run("e")
    events = [e async for e in ops.exec(ExecOptions("e", cmd=["echo", "hi"]), _nothing())]
    assert isinstance(events[0], ExecCreated)
    assert events[1:] == [Output("stdout", b"hi\n"), Exited(0)]
    assert rig.actions()[-3:] == ["exec_create: echo hi", "exec_start: echo hi", "exec_die"]
    _ = [e async for e in ops.exec(ExecOptions("e", cmd=["true"]), _nothing())]
    assert rig.actions()[-3:] == [
        "exec_create: true ",
        "exec_start: true ",
        "exec_die",
    ]  # dockerd's


async def test_an_exec_that_cannot_start_is_126(rig: Rig, ops: Running) -> None:
    await rig.run("e")
    rig.tasks.missing.add("nope")
    with pytest.raises(errors.CommandNotRunnable) as caught:
        _ = [e async for e in ops.exec(ExecOptions("e", cmd=["nope"]), _nothing())]
    assert str(caught.value).startswith(  # dockerd's words, and 126 even for a missing command
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "nope"'
    )


async def test_exec_needs_a_running_unpaused_container_and_a_command(
    rig: Rig, ops: Running
) -> None:
    await rig.run("e")
    with pytest.raises(errors.InvalidArgument, match="No exec command"):
        await anext(ops.exec(ExecOptions("e"), _nothing()))
    await ops.pause("e")
    with pytest.raises(errors.FailedPrecondition, match="is paused"):
        await anext(ops.exec(ExecOptions("e", cmd=["sh"]), _nothing()))


async def test_an_exec_may_carry_the_id_its_client_chose(rig: Rig, ops: Running) -> None:
    await rig.run("e")
    chosen = "ab" * 32
    events = [e async for e in ops.exec(ExecOptions("e", cmd=["true"], exec_id=chosen), _nothing())]
    assert events[0] == ExecCreated(chosen)
    with pytest.raises(errors.InvalidArgument, match="invalid exec ID"):
        await anext(ops.exec(ExecOptions("e", cmd=["true"], exec_id="../../x"), _nothing()))
