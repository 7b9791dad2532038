"""The builder: `dockyard build` in the engine (the facade the gRPC adapter calls).

    build(options, context chunks) → events: the context spooled and unpacked, the Dockerfile
        parsed and planned, the stages run (`executor.py`), the image recorded and tagged
    cleanup()                      → at start-up: what a build killed with the engine left

    <root>/build/cache.db          the cache records (`cache.py`)
    <root>/build/cache-mounts/     RUN --mount=type=cache directories
    <root>/build/jobs/<id>/        one build's context and scratch files
    <root>/build/mnt/              where COPY mounts snapshots (in private namespaces)

Everything a build makes that is not its image is released when it ends, however it ends (a
failed step, a client gone, a stage cancelled): its snapshots (`build-<id>-*`), tasks and
sandboxes, its files. A build killed with the engine is cleaned up at the next start, before
any new build runs. Cached layers stay, leased to the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import platform
import secrets
import shutil
import signal
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dockyard.api import errors
from dockyard.api.tasks import finish
from dockyard.services.engine.build import cacheprune, runhost, stages
from dockyard.services.engine.build import context as contexts
from dockyard.services.engine.build.cache import LEASE, BuildCache
from dockyard.services.engine.build.dockerfile import parse
from dockyard.services.engine.build.executor import Executor
from dockyard.services.engine.build.imagestate import chain_id
from dockyard.services.engine.build.job import (
    SNAPSHOT_PREFIX,
    BuildJob,
    BuildOptions,
    Event,
    Failed,
    StepFailed,
)
from dockyard.services.engine.build.mounting import Mounter, NamespaceMounter
from dockyard.services.engine.build.runstep import RunStep
from dockyard.services.engine.clients import Clients

log = logging.getLogger(__name__)
ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}


class Builder:
    def __init__(
        self,
        clients: Clients,
        root: Path,
        cgroup_parent: str,
        mounter: Mounter | None = None,
        runtime: str = "",
    ) -> None:
        self._c = clients
        self._dir = root / "build"
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.cache = BuildCache(self._dir / "cache.db")
        self._mounter = mounter or NamespaceMounter(self._dir / "mnt")
        self._runner = RunStep(clients, cgroup_parent, runtime)
        self._locks: dict[str, asyncio.Lock] = {}
        self._ready = asyncio.Event()
        self._building = 0  # builds running (a prune refuses to run meanwhile)
        self._pruning = asyncio.Lock()  # a build waits for a prune to end before it starts

    def close(self) -> None:
        self.cache.close()

    async def build(
        self, options: BuildOptions, chunks: AsyncIterator[bytes]
    ) -> AsyncGenerator[Event, None]:
        await self._ready.wait()
        build_id = secrets.token_hex(8)
        scratch = self._dir / "jobs" / build_id
        async with self._pruning:
            self._building += 1
        try:
            job = await self._job(build_id, options, chunks, scratch)
            try:
                async with contextlib.aclosing(Executor(job).run()) as events:
                    async for event in events:
                        yield event
            except StepFailed as failure:
                yield Failed(failure.message, failure.code, failure.line)
        finally:
            self._building -= 1
            await self._release(build_id, scratch)

    async def _job(
        self, build_id: str, options: BuildOptions, chunks: AsyncIterator[bytes], scratch: Path
    ) -> BuildJob:
        architecture = ARCH.get(platform.machine(), platform.machine())
        default_platform = runhost.check(options, architecture)
        spooled = scratch / "context.tar"
        out = await finish(asyncio.to_thread(_spool, spooled))
        try:
            async for chunk in chunks:
                await finish(asyncio.to_thread(out.write, chunk))
        finally:
            out.close()

        def unpack() -> contexts.Context:
            with spooled.open("rb") as stream:
                return contexts.receive(stream, scratch / "context", options.dockerfile)

        context = await finish(asyncio.to_thread(unpack))  # a cancel waits: see _release
        spooled.unlink()
        automatic = stages.platform_args(architecture)
        plan = stages.plan(parse(context.dockerfile), options.build_args, automatic)
        return BuildJob(
            id=build_id,
            options=options,
            clients=self._c,
            cache=self.cache,
            context=context,
            plan=plan,
            mounter=self._mounter,
            runner=self._runner,
            cache_mounts=self._dir / "cache-mounts",
            scratch=scratch,
            architecture=architecture,
            platform=default_platform,
            locks=self._locks,
        )

    async def _release(self, build_id: str, scratch: Path) -> None:
        """Remove every snapshot the build left (a step cancelled mid-way) and its files."""
        try:
            with contextlib.suppress(errors.DockyardError):
                for key in await self._c.snapshots.active_keys():
                    if key.startswith(f"{SNAPSHOT_PREFIX}{build_id}-"):
                        with contextlib.suppress(errors.NotFound):
                            await self._c.snapshots.remove(key)
        finally:  # the files go even when a second cancel cuts the snapshots' removal short
            await finish(asyncio.to_thread(shutil.rmtree, scratch, True))

    # -- prune ------------------------------------------------------------------------------

    async def prune(self, chosen: cacheprune.Selection = cacheprune.WHOLE) -> Pruned:
        """Forget the cache and give back its space: the layer snapshots builds committed that
        no image uses (deepest first; one a container builds on stays), the cache mounts, and
        the cache's lease on its blobs (the images service collects them at its next sweep).
        A selection (docker's --filter until=, --keep-storage) takes the oldest part alone."""
        async with self._pruning:
            if self._building:
                raise errors.FailedPrecondition(
                    "a build is running: prune the build cache once it ends"
                )
            return await (self._prune() if chosen.whole else self._prune_some(chosen))

    async def _prune_some(self, chosen: cacheprune.Selection) -> Pruned:
        images = await self._c.images.list_images([], all=True)
        used = {c for i in images for c in chain_ids(i.diff_ids)}
        aged = [(c, t, d) for c, t, d in self.cache.aged_chains() if c not in used]
        sizes = {chain: await self._usage(chain) for chain, _, _ in aged}
        doomed = cacheprune.doomed([(c, t) for c, t, _ in aged], sizes, chosen)
        depth = {chain: d for chain, _, d in aged}
        pruned = Pruned()
        if chosen.before is not None:
            pruned.records = self.cache.forget_before(cacheprune.sqlite_time(chosen.before))
        for chain in sorted(doomed, key=lambda c: depth[c], reverse=True):
            pruned.reclaimed += await self._remove_chain(chain)
        await self._relet()
        return pruned

    async def _usage(self, chain: str) -> int:
        try:
            return await self._c.snapshots.usage(chain)
        except errors.NotFound:
            return 0

    async def _relet(self) -> None:
        """The cache's lease holds what is left alone: taken anew under another name first, so
        no collection in between finds any of it unleased."""
        blobs, chains = self.cache.kept_blobs(), self.cache.chains()
        await self._c.images.lease(RELET, blobs, chains)
        await self._c.images.release_lease(LEASE)
        await self._c.images.lease(LEASE, blobs, chains)
        await self._c.images.release_lease(RELET)

    async def _prune(self) -> Pruned:
        pruned = Pruned(records=self.cache.clear())
        await self._c.images.release_lease(LEASE)
        images = await self._c.images.list_images([], all=True)
        used = {c for i in images for c in chain_ids(i.diff_ids)}
        for chain in self.cache.chains():
            if chain not in used:
                pruned.reclaimed += await self._remove_chain(chain)
        pruned.reclaimed += await asyncio.to_thread(_remove_tree, self._dir / "cache-mounts")
        return pruned

    async def _remove_chain(self, chain: str) -> int:
        try:
            size = await self._c.snapshots.usage(chain)
            await self._c.snapshots.remove(chain)
        except errors.NotFound:
            size = 0
        except errors.FailedPrecondition:
            return 0  # a container's layer (or a snapshot still being made) builds on it
        self.cache.forget_chain(chain)
        return size

    # -- start-up ---------------------------------------------------------------------------

    async def cleanup(self) -> None:
        """What builds killed with the engine left: tasks, sandboxes, snapshots, files. Builds
        wait for it (their names would otherwise be taken for leftovers)."""
        try:
            await self._cleanup()
        except errors.DockyardError as err:
            log.warning("build clean-up at start-up failed: %s", err)
        finally:
            self._ready.set()

    async def _cleanup(self) -> None:
        for task in await self._c.tasks.list_tasks():
            if task.id.startswith(SNAPSHOT_PREFIX):
                await self._discard_task(task.id)
        for sandbox in await self._c.network.list_sandboxes():
            if sandbox.container_id.startswith(SNAPSHOT_PREFIX):
                with contextlib.suppress(errors.NotFound):
                    await self._c.network.remove_sandbox(sandbox.container_id)
        for key in await self._c.snapshots.active_keys():
            if key.startswith(SNAPSHOT_PREFIX):
                with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
                    await self._c.snapshots.remove(key)
        await asyncio.to_thread(shutil.rmtree, self._dir / "jobs", True)

    async def _discard_task(self, task_id: str) -> None:
        with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
            await self._c.tasks.kill(task_id, signal.SIGKILL, all_processes=True)
        with contextlib.suppress(errors.DockyardError, TimeoutError):
            await asyncio.wait_for(self._c.tasks.wait(task_id), 10.0)
        with contextlib.suppress(errors.NotFound, errors.FailedPrecondition):
            await self._c.tasks.delete(task_id)


RELET = f"{LEASE}-relet"  # what a partial prune keeps, while the cache's lease is renewed


@dataclass
class Pruned:
    records: int = 0  # cache records forgotten
    reclaimed: int = 0  # bytes given back


def chain_ids(diff_ids: list[str]) -> list[str]:
    return [chain_id(diff_ids[: i + 1]) for i in range(len(diff_ids))]


def _remove_tree(directory: Path) -> int:
    """Remove everything in `directory`; the bytes it held."""
    size = 0
    for path in directory.rglob("*") if directory.exists() else []:
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                size += path.stat().st_size
    shutil.rmtree(directory, ignore_errors=True)
    return size


def _spool(path: Path) -> BinaryIO:
    """A new file for the context as it arrives, in the build's own new directory."""
    path.parent.mkdir(parents=True, mode=0o700)
    return path.open("wb")
