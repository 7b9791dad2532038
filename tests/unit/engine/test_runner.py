"""`run` and `attach` over the fakes: output, exit code, and what a failure leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from dockyard.api import errors
from dockyard.services.engine.clients.fakes.images import make_image
from dockyard.services.engine.clients.images import PullProgress
from dockyard.services.engine.model import ContainerConfig, HostConfig
from dockyard.services.engine.runner import Runner
from dockyard.services.engine.streams import (
    Attached,
    AttachOptions,
    Created,
    Exited,
    Input,
    Output,
    RunEvent,
    RunOptions,
)

from .conftest import Rig


async def _no_input() -> AsyncIterator[Input]:
    await asyncio.Event().wait()  # a client that sends nothing and stays connected
    yield  # type: ignore[misc]


def _options(image: str = "busybox", **host: bool) -> RunOptions:
    return RunOptions(ContainerConfig(image=image, cmd=["echo", "hi"]), HostConfig(**host), "r")


async def _run(rig: Rig, options: RunOptions) -> list[RunEvent]:
    """Run, printing "hi" and exiting 3 once the task has started."""
    events: list[RunEvent] = []
    async for event in Runner(rig.store, rig.life, rig.clients).run(options, _no_input()):
        events.append(event)
        if isinstance(event, Created) and not options.detach:
            asyncio.get_running_loop().call_soon(_print_and_exit, rig, event.container_id)
    return events


def _print_and_exit(rig: Rig, container_id: str) -> None:
    if container_id not in rig.tasks.running():  # not started yet: try again
        asyncio.get_running_loop().call_later(0.01, _print_and_exit, rig, container_id)
        return
    rig.tasks.write(container_id, "stdout", b"hi\n")
    rig.tasks.exit(container_id, 3)


async def test_run_streams_the_output_then_the_exit(rig: Rig) -> None:
    events = await _run(rig, _options())
    assert isinstance(events[0], Created)
    assert events[1:] == [Output("stdout", b"hi\n"), Exited(3)]
    assert rig.faults.ops().index("tasks.attach") < rig.faults.ops().index("tasks.start")


async def test_run_with_auto_remove_reports_the_exit_once_the_container_is_gone(
    rig: Rig,
) -> None:
    events = await _run(rig, _options(auto_remove=True))
    assert events[-1] == Exited(3)
    assert rig.leftovers() == []


async def test_run_looks_the_image_up_once(rig: Rig) -> None:
    await _run(rig, _options())
    assert rig.faults.ops().count("images.get") == 1


async def test_run_pulls_a_missing_image(rig: Rig) -> None:
    rig.images.registry["alpine:latest"] = make_image("alpine")
    events = await _run(rig, _options("alpine"))
    pulls = [e for e in events if isinstance(e, PullProgress)]
    assert pulls[-1].image is not None and pulls[-1].image.repo_tags == ["alpine:latest"]
    assert events[-1] == Exited(3)
    assert rig.faults.ops().count("images.get") == 2  # missing, then pulled: create asks not


async def test_run_detached_only_starts(rig: Rig) -> None:
    options = _options()
    options.detach = True
    events = await _run(rig, options)
    assert len(events) == 1 and isinstance(events[0], Created)
    assert rig.tasks.running() == [events[0].container_id]


@pytest.mark.parametrize("step", ["tasks.create", "tasks.attach", "tasks.start"])
async def test_a_run_that_cannot_start_leaves_nothing_with_auto_remove(rig: Rig, step: str) -> None:
    rig.faults.fail(step, errors.Internal(f"{step} broke"))
    with pytest.raises(errors.Internal):
        await _run(rig, _options(auto_remove=True))
    assert rig.leftovers() == []


async def test_attach_forwards_the_wanted_streams(rig: Rig) -> None:
    container = await rig.run("talker")
    runner = Runner(rig.store, rig.life, rig.clients)
    options = AttachOptions(container.id, stdout=False, stderr=True)
    chunks = runner.attach(options, _no_input())
    assert await anext(chunks) == Attached()  # in place: what is written now is delivered
    rig.tasks.write(container.id, "stdout", b"not this\n")
    rig.tasks.write(container.id, "stderr", b"this\n")
    assert await anext(chunks) == Output("stderr", b"this\n")
    rig.tasks.exit(container.id, 0)
    assert [c async for c in chunks] == []


async def test_attach_to_a_stopped_container_is_refused(rig: Rig) -> None:
    await rig.create("idle")
    chunks = Runner(rig.store, rig.life, rig.clients).attach(AttachOptions("idle"), _no_input())
    with pytest.raises(errors.FailedPrecondition, match="start it first"):
        await anext(chunks)


async def test_attach_before_start_is_in_place_before_the_process_runs(rig: Rig) -> None:
    container = await rig.create("later")
    options = AttachOptions(container.id, stdout=True, before_start=True)
    chunks = Runner(rig.store, rig.life, rig.clients).attach(options, _no_input())
    assert await anext(chunks) == Attached()
    first = asyncio.ensure_future(anext(chunks))
    await rig.life.start(container.id)
    assert rig.faults.ops().index("tasks.attach") < rig.faults.ops().index("tasks.start")
    rig.tasks.write(container.id, "stdout", b"first words\n")
    assert await first == Output("stdout", b"first words\n")


async def test_attach_before_start_ends_when_the_container_is_removed(rig: Rig) -> None:
    container = await rig.create("never")
    options = AttachOptions(container.id, stdout=True, before_start=True)
    chunks = Runner(rig.store, rig.life, rig.clients).attach(options, _no_input())
    assert await anext(chunks) == Attached()
    rest = asyncio.ensure_future(_all(chunks))
    await rig.life.remove(container.id, force=False)
    assert await rest == []


async def _all(chunks: AsyncIterator[Attached | Output]) -> list[Attached | Output]:
    return [c async for c in chunks]


async def test_an_auto_remove_container_whose_start_fails_is_removed(rig: Rig) -> None:
    container = await rig.create("doomed", HostConfig(auto_remove=True))
    removed = rig.life.waiters.on_removed(container.id)
    rig.faults.fail("tasks.start", errors.Internal("no start"))
    with pytest.raises(errors.Internal):
        await rig.life.start(container.id)
    await removed
    assert rig.leftovers() == []
