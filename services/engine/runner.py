"""The streaming verbs: `run` (pull if missing, create, attach, start, wait) and `attach`.

Both bridge a client's input stream (stdin bytes, resizes, close) to the runtime's Attach stream
of the task, and the task's output back. `run` attaches before it starts the task and waits for
the runtime's `attached` acknowledgement, so not a byte of output is lost; it reports the exit
only after the output has drained and, with auto-remove, after the container is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.runtime.v1 import runtime_pb2
from dockyard.services.engine.backends import LONG_SECONDS, Backends
from dockyard.services.engine.convert import from_proto
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import Container, ContainerConfig, EndpointSettings, HostConfig

Input = engine_pb2.RunInput | engine_pb2.AttachInput


class Runner:
    def __init__(self, lifecycle: Lifecycle, backends: Backends) -> None:
        self._life = lifecycle
        self._b = backends

    async def run(
        self,
        name: str,
        config: ContainerConfig,
        host: HostConfig,
        options: engine_pb2.RunOptions,
        inputs: AsyncIterator[engine_pb2.RunInput],
    ) -> AsyncIterator[engine_pb2.RunOutput]:
        platform = options.platform if options.HasField("platform") else None
        async for progress in self._pull_if_missing(config.image, options.auth, platform):
            yield engine_pb2.RunOutput(pull=progress)
        endpoints = [from_proto(EndpointSettings, e) for e in options.create.networks]
        container = await self._life.create(name, config, host, endpoints)
        yield engine_pb2.RunOutput(container_id=container.id)
        if options.detach:
            await self._life.start(container.id)
            return
        done = (
            self._life.waiters.on_removed(container.id)
            if host.auto_remove
            else self._life.waiters.on_exit(container.id)
        )
        try:
            size = (options.size.width, options.size.height) if options.HasField("size") else None
            output = await self._start_attached(container, inputs, size)
        except errors.DockyardError:
            done.cancel()
            if host.auto_remove:
                await self._life.remove(container.id, force=True)
            raise
        async for chunk in output:
            yield _run_output(chunk)
        yield engine_pb2.RunOutput(exited=engine_pb2.Exited(status_code=await done))

    async def attach(
        self, options: engine_pb2.AttachOptions, inputs: AsyncIterator[engine_pb2.AttachInput]
    ) -> AsyncIterator[engine_pb2.AttachOutput]:
        container = self._life.store.get(options.id)
        stdin = options.stdin and container.config.open_stdin
        if container.running:
            output = await self._open(container.id, stdin, inputs)
            yield engine_pb2.AttachOutput(attached=True)
        elif options.before_start:
            pending = self._life.on_next_start(
                container.id, lambda: self._open(container.id, stdin, inputs)
            )
            yield engine_pb2.AttachOutput(attached=True)
            try:
                output = await pending
            finally:
                pending.cancel()  # the client went away first: the start need not open it
        else:
            raise errors.FailedPrecondition(
                "You cannot attach to a stopped container, start it first"
            )
        async for chunk in output:
            if chunk.HasField("stdout") and options.stdout:
                yield engine_pb2.AttachOutput(stdout=chunk.stdout)
            elif chunk.HasField("stderr") and options.stderr:
                yield engine_pb2.AttachOutput(stderr=chunk.stderr)

    async def _pull_if_missing(
        self, ref: str, auth: images_pb2.RegistryAuth, platform: object
    ) -> AsyncIterator[images_pb2.PullProgress]:
        try:
            await self._life.resolve_image(ref)
            return
        except errors.NotFound:
            pass
        request = images_pb2.PullRequest(ref=ref, auth=auth, platform=platform)  # type: ignore[arg-type]
        async for progress in self._b.images.Pull(
            request, timeout=LONG_SECONDS, wait_for_ready=True
        ):
            yield progress

    async def _start_attached(
        self,
        container: Container,
        inputs: AsyncIterator[engine_pb2.RunInput],
        size: tuple[int, int] | None = None,
    ) -> AsyncIterator[runtime_pb2.AttachResponse]:
        async with self._life.lock(container.id):
            await self._life.create_task(container, size)  # a terminal starts at the client's size
            try:
                output = await self._open(container.id, container.config.open_stdin, inputs)
                await self._life.start_task(container)
            except BaseException:
                await self._life.teardown(container.id)
                raise
        return output

    async def _open(
        self, container_id: str, stdin: bool, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[runtime_pb2.AttachResponse]:
        """Open the runtime's Attach stream; return once the shim has registered it."""
        start = runtime_pb2.AttachStart(id=container_id, stdin=stdin, stdout=True, stderr=True)
        responses = self._b.runtime.Attach(
            _requests(start, inputs), timeout=LONG_SECONDS, wait_for_ready=True
        )
        iterator = aiter(responses)
        first = await anext(iterator, None)
        if first is None or not first.HasField("attached"):
            raise errors.Internal(
                f"the runtime did not acknowledge the attach to {container_id[:12]}"
            )
        return iterator


async def _requests(
    start: runtime_pb2.AttachStart, inputs: AsyncIterator[Input]
) -> AsyncIterator[runtime_pb2.AttachRequest]:
    yield runtime_pb2.AttachRequest(start=start)
    with contextlib.suppress(asyncio.CancelledError):
        async for item in inputs:
            kind = item.WhichOneof("msg")
            if kind == "stdin" and start.stdin:
                yield runtime_pb2.AttachRequest(stdin=item.stdin)
            elif kind == "resize":
                yield runtime_pb2.AttachRequest(
                    resize=runtime_pb2.Resize(width=item.resize.width, height=item.resize.height)
                )
            elif kind == "close_stdin" and start.stdin:
                yield runtime_pb2.AttachRequest(close_stdin=True)


def _run_output(chunk: runtime_pb2.AttachResponse) -> engine_pb2.RunOutput:
    if chunk.HasField("stderr"):
        return engine_pb2.RunOutput(stderr=chunk.stderr)
    return engine_pb2.RunOutput(stdout=chunk.stdout)
