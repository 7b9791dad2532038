"""Restart policies over the fakes: back-off, limits, and what stops a restart."""

from __future__ import annotations

import pytest
from dockyard.services.engine import restarts
from dockyard.services.engine.model import HostConfig, RestartPolicy

from .conftest import Rig, eventually


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restarts, "FIRST_DELAY", 0.01)


def _policy(name: str, retries: int = 0) -> HostConfig:
    return HostConfig(restart_policy=RestartPolicy(name=name, maximum_retry_count=retries))


async def _exit_and_wait_for_restart(rig: Rig, name: str, code: int, count: int) -> None:
    container = rig.store.get(name)
    rig.tasks.exit(container.id, code)
    await eventually(
        lambda: (
            rig.store.get(name).restart_count == count
            and rig.store.get(name).state.running
            and not rig.store.get(name).state.restarting
        )
    )


async def test_always_restarts_with_a_doubling_delay(rig: Rig) -> None:
    await rig.run("looper", _policy("always"))
    await _exit_and_wait_for_restart(rig, "looper", 0, 1)
    first = rig.store.get("looper").restart_delay
    await _exit_and_wait_for_restart(rig, "looper", 1, 2)
    assert first == restarts.FIRST_DELAY
    assert rig.store.get("looper").restart_delay == 2 * first
    assert rig.actions().count("restart") == 2
    assert len(rig.tasks.running()) == 1


async def test_on_failure_stops_after_its_retries(rig: Rig) -> None:
    await rig.run("flaky", _policy("on-failure", 1))
    await _exit_and_wait_for_restart(rig, "flaky", 1, 1)
    container = rig.store.get("flaky")
    rig.tasks.exit(container.id, 1)
    await eventually(lambda: rig.store.get("flaky").state.status == "exited")
    assert rig.store.get("flaky").restart_count == 1


async def test_on_failure_does_not_restart_a_success(rig: Rig) -> None:
    container = await rig.run("done", _policy("on-failure"))
    exited = rig.life.waiters.on_exit(container.id)
    rig.tasks.exit(container.id, 0)
    await exited
    assert rig.store.get("done").state.status == "exited"


async def test_a_stop_by_hand_is_not_restarted(rig: Rig) -> None:
    await rig.run("stopped", _policy("always"))
    await rig.life.stop("stopped", seconds=5)
    state = rig.store.get("stopped").state
    assert (state.status, state.restarting) == ("exited", False)
    assert rig.tasks.running() == []


async def test_a_stop_during_the_back_off_cancels_the_restart(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(restarts, "FIRST_DELAY", 30.0)
    container = await rig.run("waiting", _policy("always"))
    rig.tasks.exit(container.id, 1)
    await eventually(lambda: rig.store.get("waiting").state.restarting)
    await rig.life.stop("waiting", seconds=5)
    state = rig.store.get("waiting").state
    assert (state.status, state.restarting) == ("exited", False)
    await rig.life.remove("waiting", force=False)
    assert rig.leftovers() == []


async def test_a_restart_that_fails_is_recorded_as_exited(rig: Rig) -> None:
    container = await rig.run("broken", _policy("always"))
    rig.tasks.missing.add("sh")  # the image lost its shell meanwhile
    rig.tasks.exit(container.id, 1)
    await eventually(lambda: rig.store.get("broken").state.status == "exited")
    assert "executable file not found" in rig.store.get("broken").state.error
    assert rig.tasks.tasks == {} and rig.network.sandboxes == {}
