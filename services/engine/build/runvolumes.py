"""A RUN's --mount list made real: cache directories kept by the engine, parts of the context
bound in, other stages' or images' filesystems as read-only snapshots, tmpfs — as OCI mounts
for the step's container, released when the step ends.

What a mount reads is part of the step's cache key: a context bind's content digest, a
stage's or image's state key; a cache mount's content is not (that is its point).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import posixpath
import shutil
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from dockyard.api import errors
from dockyard.services.engine.build import runmounts, sources
from dockyard.services.engine.build.copystep import CopySource
from dockyard.services.engine.build.job import BuildJob, StageOutput
from dockyard.services.engine.build.runmounts import RunMount
from dockyard.shim.inroot import Root, fd_path

if TYPE_CHECKING:
    from dockyard.services.engine.build.stage import StageRunner


class MountSet:
    def __init__(self, job: BuildJob, specs: list[str], workdir: str) -> None:
        self._job = job
        self.mounts = [runmounts.parse(spec, workdir) for spec in specs]
        self._sources: dict[int, CopySource] = {}

    async def describe(self, runner: StageRunner, out: StageOutput) -> list[dict[str, Any]]:
        described = []
        for index, mount in enumerate(self.mounts):
            entry = mount.describe()
            if mount.type == "bind" and not mount.from_:
                entry["digest"] = await asyncio.to_thread(self._context_digest, mount)
            elif mount.type == "bind":
                source = await runner.source(mount.from_, out)
                self._sources[index] = source
                entry["from_key"] = source.state.key if source.state else "context"
            described.append(entry)
        return described

    def _context_digest(self, mount: RunMount) -> str:
        with Root(self._job.context.directory) as root:
            path = sources.clean(mount.source, "RUN --mount")
            try:
                return sources.digest(root, [path])
            except (FileNotFoundError, NotADirectoryError):
                raise errors.NotFound(
                    f"RUN --mount: {mount.source or '.'} is not in the build context"
                ) from None

    @contextlib.asynccontextmanager
    async def mounted(self, key: str) -> AsyncIterator[list[dict[str, Any]]]:
        """The OCI mounts, in place while the block runs; released after."""
        async with contextlib.AsyncExitStack() as stack:
            oci = []
            for index, mount in enumerate(self.mounts):
                oci.append(await self._one(stack, f"{key}-m{index}", index, mount))
            yield oci

    async def _one(
        self, stack: contextlib.AsyncExitStack, key: str, index: int, mount: RunMount
    ) -> dict[str, Any]:
        if mount.type == "tmpfs":
            options = ["nosuid", "nodev", *([f"size={mount.size}"] if mount.size else [])]
            return _oci(mount.target, "tmpfs", "tmpfs", options)
        if mount.type == "cache":
            return await self._cache(stack, mount)
        if not mount.from_:
            return await asyncio.to_thread(self._context_bind, mount, key)
        return await self._stage_bind(stack, key, index, mount)

    async def _cache(self, stack: contextlib.AsyncExitStack, mount: RunMount) -> dict[str, Any]:
        name = hashlib.sha256(mount.cache_id.encode()).hexdigest()[:32]
        directory = self._job.cache_mounts / name
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chown(directory, mount.uid, mount.gid)
            os.chmod(directory, mount.mode)
        if mount.sharing == "locked":
            lock = self._job.lock(f"cache mount {name}")
            await lock.acquire()
            stack.callback(lock.release)
        return _oci(
            mount.target, "bind", str(directory), ["rbind", "ro" if mount.readonly else "rw"]
        )

    def _context_bind(self, mount: RunMount, key: str) -> dict[str, Any]:
        """A part of the context, resolved inside it; a writable one is a throw-away copy."""
        with Root(self._job.context.directory) as root:
            fd = root.open(sources.clean(mount.source, "RUN --mount"))
            try:
                real = os.readlink(fd_path(fd))
            finally:
                os.close(fd)
        if not mount.readonly:
            copy = self._job.scratch / key
            if os.path.isdir(real):
                shutil.copytree(real, copy, symlinks=True)
            else:
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(real, copy)
            real = str(copy)
        return _oci(mount.target, "bind", real, ["rbind", "ro" if mount.readonly else "rw"])

    async def _stage_bind(
        self, stack: contextlib.AsyncExitStack, key: str, index: int, mount: RunMount
    ) -> dict[str, Any]:
        if mount.source.strip("/") or not mount.readonly:
            raise errors.InvalidArgument(
                "RUN --mount=type=bind,from=...: only a read-only mount of the whole filesystem "
                "(no source=, no rw) is supported"
            )
        state = self._sources[index].state
        if state is None or not state.layers:
            empty = self._job.scratch / key
            empty.mkdir(parents=True, exist_ok=True)
            return _oci(mount.target, "bind", str(empty), ["rbind", "ro"])
        described = await self._job.clients.snapshots.view(key, state.chain_id)
        stack.push_async_callback(self._remove_view, key)
        first = described[0]
        if first.type == "bind":
            return _oci(mount.target, "bind", first.source, ["rbind", "ro"])
        return _oci(mount.target, first.type, first.source, [*first.options, "ro"])

    async def _remove_view(self, key: str) -> None:
        with contextlib.suppress(errors.NotFound):
            await self._job.clients.snapshots.remove(key)


def _oci(target: str, kind: str, source: str, options: list[str]) -> dict[str, Any]:
    return {
        "destination": posixpath.normpath(target),
        "type": kind,
        "source": source,
        "options": options,
    }
