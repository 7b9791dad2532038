"""Running a build's plan: every stage the target needs, at once where they do not need each
other (a stage waits for the stages it builds on or copies from), their output streamed in
Dockerfile order as if they ran one after the other; then the image.

The first stage to fail cancels the others; its error ends the build. Each step leaves an
image (`stepimage.py`); the build's image is its target's last, tagged as asked once every
step succeeded (`build --label`s are LABEL steps of their own at the end of the target, as
docker's classic builder adds them). A failed or cancelled build leaves the images of the
steps that finished, untagged, as docker's does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

from dockyard.services.engine.build import stepimage
from dockyard.services.engine.build.imagestate import ImageState
from dockyard.services.engine.build.instructions import Arg, BuildLabel
from dockyard.services.engine.build.job import BuildJob, Built, Event, StageOutput, Text
from dockyard.services.engine.build.stage import StageRunner, short
from dockyard.services.engine.build.stages import Stage, platform_args

PREDEFINED_ARGS = {
    name
    for base in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for name in (base, base.lower())
}


class Executor:
    def __init__(self, job: BuildJob) -> None:
        self._job = job

    async def run(self) -> AsyncGenerator[Event, None]:
        plan = self._job.plan
        target = plan.target(self._job.options.target)
        needed = plan.needed(target)
        labels = self._job.options.labels
        target.steps += [BuildLabel.of(name, labels[name]) for name in sorted(labels)]
        numbers, total = _numbers(plan.meta_args, needed)
        runner = StageRunner(self._job, numbers, total)
        outputs = {stage.index: StageOutput() for stage in needed}
        loop = asyncio.get_running_loop()
        for stage in needed:
            self._job.stages[stage.index] = loop.create_future()
        tasks: list[asyncio.Task[None]] = []
        for stage in needed:
            task = asyncio.create_task(self._stage(runner, stage, outputs[stage.index]))
            task.add_done_callback(lambda _, out=outputs[stage.index]: out.close())  # type: ignore[misc]
            task.add_done_callback(lambda done: _cancel_others(done, tasks))
            tasks.append(task)
        try:
            for arg in plan.meta_args:  # a step each, with nothing to do (docker's numbering)
                yield Text(f"Step {numbers[id(arg)]}/{total} : {arg.text}\n")
            for stage in needed:
                while (events := await outputs[stage.index].events()) is not None:
                    for event in events:
                        yield event
            _raise_first(await asyncio.gather(*tasks, return_exceptions=True))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        async for event in self._finish(self._job.stages[target.index].result()):
            yield event

    async def _stage(self, runner: StageRunner, stage: Stage, out: StageOutput) -> None:
        future = self._job.stages[stage.index]
        try:
            future.set_result(await runner.run(stage, out))
        except BaseException:
            future.cancel()  # the stages waiting for it are cancelled, not failed twice
            raise

    async def _finish(self, state: ImageState) -> AsyncIterator[Event]:
        unused = sorted(
            set(self._job.options.build_args)
            - self._job.used_args
            - {n for arg in self._job.plan.meta_args for n, _ in arg.pairs}
            - PREDEFINED_ARGS
            - set(platform_args("", ""))
        )
        if unused:
            yield Text(f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n")
        image_id = state.image_id or await stepimage.commit(self._job.clients, state, "")
        for tag in self._job.options.tags:
            await self._job.clients.images.tag(image_id, tag)
        yield Text(f"Successfully built {short(image_id)}\n")
        for tag in self._job.options.tags:
            yield Text(f"Successfully tagged {_tagged(tag)}\n")
        yield Built(image_id, list(self._job.options.tags))


def _numbers(meta_args: list[Arg], needed: list[Stage]) -> tuple[dict[int, int], int]:
    """Each instruction's step number ("Step 3/7"): the ARGs before the first FROM, then
    those of the stages built."""
    numbers = {id(arg): index + 1 for index, arg in enumerate(meta_args)}
    for stage in needed:
        for instruction in (stage.origin, *stage.steps):
            numbers[id(instruction)] = len(numbers) + 1
    return numbers, len(numbers)


def _cancel_others(done: asyncio.Task[None], tasks: list[asyncio.Task[None]]) -> None:
    if done.cancelled() or done.exception() is None:
        return
    for task in tasks:
        if task is not done:
            task.cancel()


def _raise_first(results: list[BaseException | None]) -> None:
    failures = [r for r in results if isinstance(r, BaseException)]
    real = [r for r in failures if not isinstance(r, asyncio.CancelledError)]
    if real or failures:
        raise (real or failures)[0]


def _tagged(name: str) -> str:
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"
