"""Exit watching over the fakes: every exit is recorded once, across runtime restarts."""

from __future__ import annotations

import asyncio

from dockyard.api import errors
from dockyard.services.engine.exits import LOST_TASK_EXIT

from .conftest import Rig, eventually


async def test_an_exit_is_recorded_and_its_resources_released(rig: Rig) -> None:
    container = await rig.run("short")
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.exit(container.id, 3, oom_killed=True)
    assert await exited == 3
    state = rig.store.get("short").state
    assert (state.status, state.exit_code, state.oom_killed, state.running) == (
        "exited",
        3,
        True,
        False,
    )
    assert state.finished_at is not None and state.finished_at >= state.started_at  # type: ignore[operator]
    assert rig.tasks.tasks == {} and rig.network.sandboxes == {}
    assert rig.store.get("short").network_settings.networks[0].ip_address == ""
    assert rig.actions()[-2:] == ["oom", "die"]


async def test_a_task_that_will_not_go_keeps_no_sandbox(rig: Rig) -> None:
    """The exit's teardown removes the sandbox even when deleting the task fails (both are
    asked at once); the failure is left for the removal, and the exit is recorded."""
    container = await rig.run("stuck")
    rig.faults.fail("tasks.delete", errors.Unavailable("the runtime went away"))
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.exit(container.id, 0)
    assert await exited == 0
    assert rig.network.sandboxes == {} and container.id in rig.tasks.tasks
    await rig.life.remove("stuck", force=False)
    assert rig.leftovers() == []


async def test_an_exit_during_a_runtime_restart_is_not_missed(rig: Rig) -> None:
    container = await rig.run("survivor")
    await eventually(lambda: rig.faults.ops().count("tasks.wait") == 1)
    rig.tasks.restart_runtime()  # the watcher's wait fails: the runtime went away
    await eventually(lambda: rig.faults.ops().count("tasks.wait") == 2)  # and waits again
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.exit(container.id, 7)
    assert await exited == 7
    assert rig.store.get("survivor").state.exit_code == 7


async def test_an_exit_while_the_runtime_is_away_is_found_when_it_is_back(rig: Rig) -> None:
    container = await rig.run("survivor")
    await eventually(lambda: rig.faults.ops().count("tasks.wait") == 1)
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.restart_runtime()
    rig.tasks.exit(container.id, 9)  # before the watcher waits again: the shim kept it
    assert await exited == 9


async def test_a_task_the_runtime_lost_is_an_exit_with_255(rig: Rig) -> None:
    container = await rig.run("lost")
    await eventually(lambda: rig.faults.ops().count("tasks.wait") == 1)
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.lose(container.id)
    rig.tasks.restart_runtime()
    assert await exited == LOST_TASK_EXIT
    assert rig.store.get("lost").state.error == "task not found"


async def test_watching_resumes_for_the_containers_recorded_running(rig: Rig) -> None:
    container = await rig.run("kept")
    await rig.life.close()  # the engine stops; the task lives on
    rig.life.resume_watching()  # ... and starts again
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.exit(container.id, 5)
    assert await exited == 5


async def test_one_exit_is_handled_once(rig: Rig) -> None:
    container = await rig.run("once")
    rig.life.resume_watching()  # a second watch of the same task is a no-op
    rig.tasks.exit(container.id, 0)
    await eventually(lambda: not rig.store.get("once").running)
    await asyncio.sleep(0.05)
    assert rig.actions().count("die") == 1
