"""The streaming verbs: `run` (pull if missing, create, attach, start, wait) and `attach`.

Both bridge a client's input stream (stdin bytes, resizes, close) to the task's attach, and
the task's output back. `run` attaches before it starts the task, and the task client returns
the attach only once the shim has registered it, so not a byte of output is lost; it reports
the exit only after the output has drained and, with auto-remove, after the container is gone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from dataclasses import astuple

from dockyard.api import errors, timings
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.images import Image, Platform, PullProgress
from dockyard.services.engine.lifecycle import Lifecycle
from dockyard.services.engine.model import Container
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.streams import (
    Attached,
    AttachOptions,
    Created,
    Exited,
    Input,
    Output,
    Resize,
    RunEvent,
    RunOptions,
)


def of_platform(image: Image, platform: Platform) -> bool:
    """Whether `image` is of `platform` (what it leaves empty matches anything)."""
    have = (image.os, image.architecture, image.variant)
    return all(not want or want == got for want, got in zip(astuple(platform), have, strict=True))


def _wanted(container: Container, stream: str) -> bool:
    """-a: only the streams the config attaches (a config that attaches none: all of them)."""
    c = container.config
    if not (c.attach_stdin or c.attach_stdout or c.attach_stderr):
        return True
    return c.attach_stdout if stream == "stdout" else c.attach_stderr


class Runner:
    def __init__(self, store: ContainerStore, lifecycle: Lifecycle, clients: Clients) -> None:
        self._store = store
        self._life = lifecycle
        self._c = clients

    async def run(
        self, options: RunOptions, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[RunEvent]:
        found: list[Image] = []
        with timings.phase("engine.resolve"):
            async for progress in self._pull_if_missing(options, found):
                yield progress
        container = await self._life.creator.create(
            options.name, options.config, options.host_config, options.networks, found[0]
        )
        yield Created(container.id)
        if options.detach:
            await self._life.start(container.id)
            return
        auto_remove = options.host_config.auto_remove
        waiters = self._life.waiters
        done = waiters.on_removed(container.id) if auto_remove else waiters.on_exit(container.id)
        try:
            output = await self._start_attached(container, inputs, options.size)
        except errors.DockyardError:
            done.cancel()
            if auto_remove:
                await self._life.remove(container.id, force=True)
            raise
        async for chunk in output:
            if _wanted(container, chunk.stream):
                yield chunk
        yield Exited(await done)

    async def attach(
        self, options: AttachOptions, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[Attached | Output]:
        """`Attached` once the attach is in place, then the wanted output. A container that
        is not running is attached at its next start with `before_start`, else refused."""
        container = self._store.get(options.id)
        stdin = options.stdin and container.config.open_stdin

        def opener() -> Awaitable[AsyncIterator[Output]]:
            return self._c.tasks.attach(container.id, stdin, inputs)

        if container.running:
            output = await opener()
            yield Attached()
        elif options.before_start:
            pending = self._life.attaches.on_next_start(container.id, opener)
            yield Attached()
            try:
                output = await pending
            finally:
                pending.cancel()  # the client went away first: the start need not open it
        else:
            raise errors.FailedPrecondition(
                "You cannot attach to a stopped container, start it first"
            )
        wanted = {"stdout": options.stdout, "stderr": options.stderr}
        async for chunk in output:
            if wanted[chunk.stream]:
                yield chunk

    async def _pull_if_missing(
        self, options: RunOptions, found: list[Image]
    ) -> AsyncIterator[PullProgress]:
        """Pull the image when it is missing, or of another platform than --platform asks (an
        image of another platform is never run in its stead, as docker's) — or always, or
        never, as --pull says; the image to run goes to `found` (create need not ask again)."""
        ref = options.config.image
        try:
            image = await self._c.images.get(ref)
            if options.pull != "always" and (
                options.platform is None or of_platform(image, options.platform)
            ):
                found.append(image)
                return
        except errors.NotFound:
            if options.pull == "never":
                raise
        if options.pull == "never":  # there, but of another platform: never pulled in its stead
            raise errors.NotFound(f"No such image: {ref} (of the platform asked, and --pull never)")
        async for progress in self._c.images.pull(ref, options.auth, options.platform):
            yield progress
        image = await self._c.images.get(ref)
        if options.platform is not None and not of_platform(image, options.platform):
            wanted = "/".join(p for p in astuple(options.platform) if p)
            raise errors.NotFound(
                f"image with reference {ref} was found but does not match the specified "
                f"platform: wanted {wanted}, actual: {image.os}/{image.architecture}"
            )
        found.append(image)

    async def _start_attached(
        self, container: Container, inputs: AsyncIterator[Input], size: Resize | None
    ) -> AsyncIterator[Output]:
        starter = self._life.starter
        async with self._life.locks(container.id):
            await starter.create_task(container, size)  # a terminal starts at the client's size
            try:
                with timings.phase("engine.attach"):
                    output = await self._c.tasks.attach(
                        container.id, container.config.open_stdin, inputs
                    )
                await starter.start_task(container)
            except BaseException:
                await starter.teardown(container.id)
                raise
        return output
