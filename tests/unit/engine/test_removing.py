"""Stopping, killing and removing over the fakes; a failed removal can always be retried."""

from __future__ import annotations

import asyncio
import signal

import pytest
from dockyard.api import errors
from dockyard.api.config import DaemonConfig
from dockyard.services.engine import exits, lifecycle
from dockyard.services.engine.model import HostConfig, RestartPolicy
from dockyard.services.engine.running import Running

from .conftest import Rig, eventually

REMOVE_STEPS = ["tasks.kill", "tasks.delete", "network.remove_sandbox", "snapshots.remove"]


async def test_remove_of_a_running_container_needs_force(rig: Rig) -> None:
    container = await rig.run("busy")
    with pytest.raises(errors.FailedPrecondition, match="You cannot remove a running container"):
        await rig.life.remove("busy", force=False)
    await rig.life.remove("busy", force=True)
    assert rig.tasks.tasks == {} and rig.leftovers() == []
    assert rig.actions()[-2:] == ["die", "destroy"]
    with pytest.raises(errors.NotFound):
        rig.store.get(container.id)


@pytest.mark.parametrize("step", REMOVE_STEPS[1:])
async def test_a_failed_remove_keeps_the_record_and_can_be_retried(rig: Rig, step: str) -> None:
    """The task and the sandbox are the exit's to release: a removal asks for them again only
    when that failed (so both fail here), the layer only a removal releases."""
    container = await rig.run("doomed")
    if step != "snapshots.remove":
        rig.faults.fail(step, errors.Unavailable(f"{step} is down"), times=2)
    rig.tasks.exit(container.id, 0)
    await eventually(lambda: not rig.store.get("doomed").running)
    if step == "snapshots.remove":
        rig.faults.fail(step, errors.Unavailable(f"{step} is down"))
    with pytest.raises(errors.Unavailable):
        await rig.life.remove("doomed", force=False)
    rig.store.get("doomed")  # nothing is released without its record to find it again
    await rig.life.remove("doomed", force=False)
    assert rig.leftovers() == []


async def test_a_kill_that_fails_leaves_the_container_running(rig: Rig) -> None:
    await rig.run("doomed")
    rig.faults.fail("tasks.kill", errors.Unavailable("the runtime is down"))
    with pytest.raises(errors.Unavailable):
        await rig.life.remove("doomed", force=True)
    assert rig.store.get("doomed").running
    await rig.life.remove("doomed", force=True)
    assert rig.leftovers() == []


@pytest.mark.parametrize("step", ["tasks.delete", "network.remove_sandbox"])
async def test_an_exit_is_recorded_even_when_its_teardown_fails(rig: Rig, step: str) -> None:
    container = await rig.run("exiting")
    rig.faults.fail(step, errors.Internal(f"{step} broke"))
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.exit(container.id, 3)
    async with asyncio.timeout(5):  # the exit is not lost (was: never recorded)
        assert await exited == 3
    assert rig.store.get("exiting").state.status == "exited"
    await rig.life.start("exiting")  # the stale task is replaced
    assert rig.store.get("exiting").running
    await rig.life.remove("exiting", force=True)
    assert rig.leftovers() == []


async def test_stop_sends_the_stop_signal_then_kill_after_the_timeout(rig: Rig) -> None:
    container = await rig.run("stubborn")
    rig.tasks.ignore_term.add(container.id)
    stopped = await rig.life.stop("stubborn", seconds=0)
    assert rig.tasks.signals_of(container.id) == [signal.SIGTERM, signal.SIGKILL]
    assert rig.store.get("stubborn").state.exit_code == 128 + signal.SIGKILL
    assert stopped.manually_stopped or rig.store.get("stubborn").manually_stopped
    assert rig.actions()[-2:] == ["die", "stop"]


async def test_stop_with_a_signal_sends_that_signal(rig: Rig) -> None:
    container = await rig.run("polite")
    await rig.life.stop("polite", seconds=5, signal_name="SIGKILL")
    assert rig.tasks.signals_of(container.id) == [signal.SIGKILL]
    await rig.life.start("polite")
    rig.tasks.ignore_term.add(container.id)
    await rig.life.stop("polite", seconds=0, signal_name="INT")
    assert rig.tasks.signals_of(container.id) == [signal.SIGINT, signal.SIGKILL]


async def test_a_paused_container_is_thawed_before_it_is_stopped(rig: Rig) -> None:
    container = await rig.run("frozen")
    await rig.tasks.pause(container.id)
    record = rig.store.get("frozen")
    record.state.paused, record.state.status = True, "paused"
    rig.store.update(record)
    await rig.life.stop("frozen", seconds=5)
    assert rig.faults.ops().count("tasks.resume") == 1
    assert rig.store.get("frozen").state.status == "exited"


async def test_kill_of_a_stopped_container_is_refused(rig: Rig) -> None:
    await rig.create("idle")
    with pytest.raises(errors.FailedPrecondition, match="is not running"):
        await rig.life.kill("idle", "KILL")


async def test_auto_remove_removes_the_container_when_it_exits(rig: Rig) -> None:
    container = await rig.run("temp", HostConfig(auto_remove=True))
    removed = rig.life.waiters.on_removed(container.id)
    rig.tasks.exit(container.id, 0)
    assert await removed == 0
    assert rig.leftovers() == []


async def test_wait_conditions(rig: Rig) -> None:
    container = await rig.run("waited")
    not_running = rig.life.wait("waited", "not-running")
    rig.tasks.exit(container.id, 4)
    assert await not_running == 4
    assert await rig.life.wait("waited", "not-running") == 4


async def test_rename(rig: Rig) -> None:
    await rig.create("before")
    await rig.life.rename("before", "after")
    assert rig.store.get("after").name == "after"
    with pytest.raises(errors.InvalidArgument, match="same name"):
        await rig.life.rename("after", "after")


async def test_an_exit_the_full_disk_kept_from_the_records_is_recorded_later(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While no record can be written, `rm -f` fails after a bounded wait (never hangs); the
    exit is not lost: once there is room, it is recorded and the removal goes through."""
    monkeypatch.setattr(lifecycle, "KILL_WAIT_SECONDS", 0.5)
    monkeypatch.setattr(exits, "RECORD_RETRY_SECONDS", 0.05)
    container = await rig.run("filler")
    update = rig.store.update
    full = errors.ResourceExhausted("no space left on device for the engine's records")

    def no_room(record: object) -> None:
        raise full

    monkeypatch.setattr(rig.store, "update", no_room)
    with pytest.raises(errors.DeadlineExceeded, match="did not exit within"):
        await asyncio.wait_for(rig.life.remove("filler", force=True), 5)
    assert rig.store.get("filler").running  # the record is as it was, not half-changed
    monkeypatch.setattr(rig.store, "update", update)  # room again
    await eventually(lambda: not rig.store.get("filler").running)
    assert rig.store.get("filler").state.exit_code == 137
    await rig.life.remove("filler", force=True)
    assert container.id not in rig.tasks.tasks and rig.leftovers() == []


async def test_kill_returns_once_the_container_has_exited(rig: Rig) -> None:
    await rig.run("killed")
    await rig.life.kill("killed", "KILL")
    assert rig.store.get("killed").state.status == "exited"  # so `rm` right after succeeds
    await rig.life.remove("killed", force=False)


async def test_kill_with_another_signal_does_not_wait(rig: Rig) -> None:
    container = await rig.run("hup")
    await rig.life.kill("hup", "HUP")
    assert rig.tasks.signals_of(container.id) == [signal.SIGHUP]
    assert rig.store.get("hup").running


async def test_rm_f_wins_over_a_restart_in_flight(rig: Rig) -> None:
    """`rm -f` of a container whose restart policy is starting it again (issue 15 item 5): the
    restart that holds the container's lock when the removal comes is killed, never left
    running (was: "cannot delete task …: it is running" about 2 times in 8)."""
    policy = HostConfig(restart_policy=RestartPolicy("always"))
    container = await rig.run("flappy", policy)
    due = asyncio.Event()
    restart_due = rig.life._restarts._on_due

    async def on_due(container_id: str) -> None:
        due.set()
        await restart_due(container_id)

    rig.life._restarts._on_due = on_due
    lock = rig.life.locks(container.id)
    async with lock:
        rig.tasks.exit(container.id, 0)  # its exit waits for the lock
    await eventually(lambda: rig.store.get("flappy").state.restarting)
    async with lock:
        await due.wait()  # the restart is due and waits for the lock
        removal = asyncio.create_task(rig.life.remove("flappy", force=True))
        for _ in range(10):  # the removal reads "restarting" and queues behind the restart
            await asyncio.sleep(0)
    await removal
    assert rig.leftovers() == []
    assert rig.actions()[-2:] == ["die", "destroy"]


@pytest.mark.parametrize("status", ["running", "paused", "restarting"])
async def test_rm_without_force_refuses_a_live_container_as_docker(rig: Rig, status: str) -> None:
    policy = HostConfig(restart_policy=RestartPolicy("always"))
    container = await rig.run("live", policy)
    if status == "paused":
        await Running(rig.store, rig.life.locks, rig.tasks, rig.events).pause("live")
    elif status == "restarting":
        rig.tasks.exit(container.id, 1)
        await eventually(lambda: rig.store.get("live").state.restarting)
    procedure = "Stop the container before attempting removal or force remove"
    if status == "paused":
        procedure = "Unpause and then stop the container before attempting removal or force remove"
    with pytest.raises(errors.FailedPrecondition) as caught:
        await rig.life.remove("live", force=False)
    assert str(caught.value) == (
        f"You cannot remove a {status} container {container.id}. {procedure}"
    )
    await rig.life.remove("live", force=True)
    assert rig.leftovers() == []


async def test_a_remove_after_a_clean_exit_asks_no_more_than_the_layer(rig: Rig) -> None:
    """The exit released the task and the sandbox: removing the container then asks the
    runtime and the network service nothing (with 20 at once, those calls queued behind the
    network service's one lock); an engine that restarted meanwhile asks again."""
    for name in ("quiet", "after-restart"):
        container = await rig.run(name)
        rig.tasks.exit(container.id, 0)
        await eventually(lambda: not rig.store.get(name).running)  # noqa: B023
    rig.faults.calls.clear()
    await rig.life.remove("quiet", force=False)
    assert rig.faults.ops() == ["snapshots.remove"]
    await removed_after_a_restart(rig, "after-restart")


async def removed_after_a_restart(rig: Rig, name: str) -> None:
    """`name` removed by a new engine (one that does not know what the old one asked): the
    runtime, its layer and the network are all asked, and nothing is left."""
    restarted = lifecycle.Lifecycle(rig.store, rig.clients, rig.root, DaemonConfig(), rig.events)
    await restarted.remove(name, force=False)
    assert rig.faults.ops()[1:] == ["tasks.delete", "snapshots.remove", "network.remove_sandbox"]
    assert rig.leftovers() == []
    await restarted.close()


async def test_a_container_never_started_is_removed_asking_only_for_its_layer(rig: Rig) -> None:
    """Nothing was asked of the runtime, the network or the volumes service for it: its
    removal asks them nothing (each is a round trip on `rm`'s path); one an engine created
    before it restarted is asked about all the same (that engine may have started it)."""
    await rig.create("fresh")
    await rig.create("from-before")
    rig.faults.calls.clear()
    await rig.life.remove("fresh", force=False)
    assert rig.faults.ops() == ["snapshots.remove"]
    await removed_after_a_restart(rig, "from-before")


async def test_a_start_whose_undo_failed_is_released_by_the_removal(rig: Rig) -> None:
    """A start that failed after its sandbox was made, and whose undo could not remove it,
    leaves a created container that holds a sandbox: its removal asks for it again."""
    await rig.create("half-started")
    rig.faults.fail("tasks.create", errors.Internal("the runtime broke"))
    rig.faults.fail("network.remove_sandbox", errors.Unavailable("the network is down"))
    with pytest.raises(errors.DockyardError):
        await rig.life.start("half-started")
    assert rig.store.get("half-started").state.status == "created"
    assert rig.network.sandboxes
    await rig.life.remove("half-started", force=False)
    assert rig.leftovers() == []
