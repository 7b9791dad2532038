"""Start-up repair over the fakes: stale tasks and sandboxes go; restarts due happen."""

from __future__ import annotations

import signal

from dockyard.api import errors
from dockyard.api.config import DaemonConfig
from dockyard.services.engine.clients.networks import SandboxSpec
from dockyard.services.engine.clients.tasks import NewTask
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import ContainerConfig, HostConfig, RestartPolicy

from .conftest import Rig

STALE = "f" * 64


async def _stale_task_and_sandbox(rig: Rig) -> None:
    """What a crash between two steps of a start leaves: a task and a sandbox, no record."""
    await rig.tasks.create(NewTask(STALE, {"process": {"args": ["sh"]}}, []))
    await rig.tasks.start(STALE)
    await rig.network.create_sandbox(SandboxSpec(STALE, "bridge"))


async def test_reconcile_removes_what_no_running_container_owns(rig: Rig) -> None:
    kept = await rig.run("kept")
    await _stale_task_and_sandbox(rig)
    await rig.life.repair.reconcile()
    assert set(rig.tasks.tasks) == {kept.id}
    assert set(rig.network.sandboxes) == {kept.id}
    assert rig.tasks.signals_of(STALE) == [signal.SIGKILL]


async def test_a_task_whose_record_says_exited_is_deleted(rig: Rig) -> None:
    container = await rig.run("confused")
    record = rig.store.get("confused")
    record.state.status, record.state.running = "exited", False  # the engine died mid-exit
    rig.store.update(record)
    await rig.life.repair.reconcile()
    assert container.id not in rig.tasks.tasks


async def test_restart_policies_hold_at_engine_start(rig: Rig) -> None:
    always = await rig.run("always", HostConfig(restart_policy=RestartPolicy("always")))
    unless = await rig.run("unless", HostConfig(restart_policy=RestartPolicy("unless-stopped")))
    by_hand = await rig.run("by-hand", HostConfig(restart_policy=RestartPolicy("unless-stopped")))
    plain = await rig.run("plain")
    never = await rig.create("never", HostConfig(restart_policy=RestartPolicy("always")))
    for container in (always, unless, plain):
        await rig.life.stop(container.id, seconds=5, shutdown=True)  # daemon stop
    await rig.life.stop(by_hand.id, seconds=5)
    await rig.life.close()
    await rig.life.repair.run()
    running = {rig.store.get(c).name for c in rig.tasks.running()}
    assert running == {"always", "unless"}
    assert not rig.store.get(never.id).running  # never started: nothing to restart


async def test_a_container_restarting_when_the_engine_stopped_is_started(rig: Rig) -> None:
    container = await rig.create("backoff")
    record = rig.store.get("backoff")
    record.state.status, record.state.restarting = "restarting", True
    rig.store.update(record)
    await rig.life.repair.run()
    assert rig.store.get(container.id).state.status == "running"


async def test_repair_failing_still_restarts(rig: Rig) -> None:
    await rig.run("always", HostConfig(restart_policy=RestartPolicy("always")))
    await rig.life.stop("always", seconds=5, shutdown=True)
    rig.faults.fail("tasks.list_tasks", errors.Unavailable("runtime down"))
    await rig.life.repair.run()
    assert rig.store.get("always").running


async def test_auto_remove_containers_an_engine_that_died_left_are_removed(rig: Rig) -> None:
    """`run --rm` is a promise: what an engine killed between create and start, or between an
    exit and its removal, left behind goes when the engine is back; nothing else does."""
    await rig.create("never-started", HostConfig(auto_remove=True))
    exited = await rig.run("exited", HostConfig(auto_remove=True))
    record = rig.store.get(exited.id)
    record.state.status, record.state.running = "exited", False  # died before the removal
    rig.store.update(record)
    await rig.create("kept")
    await rig.life.close()
    back = Lifecycle(rig.store, rig.clients, rig.root, DaemonConfig(), rig.events)
    made_since = await back.creator.create(
        "made-since", ContainerConfig(image="busybox", cmd=["sh"]), HostConfig(auto_remove=True)
    )
    await back.repair.run()
    await back.close()
    assert {c.name for c in rig.store.list()} == {"kept", "made-since"}
    assert set(rig.snapshots.active) == {rig.store.get("kept").id, made_since.id}
    assert rig.tasks.tasks == {} and rig.network.sandboxes == {}
