"""The steps that change the config only (ENV, LABEL, EXPOSE, CMD, ENTRYPOINT, USER, VOLUME,
STOPSIGNAL, HEALTHCHECK, SHELL, ARG, MAINTAINER, ONBUILD, a `build --label`) and WORKDIR,
done as docker 20.10's classic builder does them on a cache miss (builder/dockerfile:
`commit` → `probeAndCreate`, then `commitContainer`; `dispatch`'s deferred `RemoveAll`):

    " ---> Running in <id>"                  an intermediate container made for the step
    (WORKDIR only) its directory made        `ContainerCreateWorkdir`: root's, 0755, with
                                             its missing parents, resolved inside the rootfs
    "Removing intermediate container <id>"   the step committed, the container removed

A hit prints " ---> Using cache" and makes no container (`probeCache` comes first). The
container is never started, so nothing of it is kept but its ID, as with a RUN's (builds make
no container records here): its only trace in docker is that line pair, and in the image the
WORKDIR's layer. Docker commits the container's (empty) read-write layer for the other steps:
an empty layer is no layer, so those keep their `empty_layer` history entry and no snapshot
is made for them.
"""

from __future__ import annotations

import contextlib
import errno
import secrets
from dataclasses import replace
from pathlib import Path

from dockyard.api import errors
from dockyard.services.engine.build import copying
from dockyard.services.engine.build.imagestate import ImageState, Layer, StepResult, history
from dockyard.services.engine.build.job import BuildJob, StageOutput
from dockyard.services.engine.build.layers import commit_layer
from dockyard.shim.inroot import Root


def container_id() -> str:
    """A new intermediate container's ID, as docker's stringid.GenerateRandomID makes one:
    64 hex digits whose short form (12) is never all decimal digits."""
    while True:
        found = secrets.token_hex(32)
        if not found[:12].isdigit():
            return found


async def intermediate(
    job: BuildJob, state: ImageState, result: StepResult, workdir: bool, out: StageOutput
) -> StepResult:
    """The step `result` describes, done in an intermediate container (see the docstring):
    for WORKDIR, `result` with the layer its directory makes (none when it exists)."""
    short = container_id()[:12]
    out.text(f" ---> Running in {short}")
    if workdir:
        layer = await workdir_layer(job, state, result.config.get("WorkingDir") or "/")
        entry = history(result.history["created_by"], empty=layer is None)
        result = replace(result, history=entry, layer=layer)
    out.text(f"Removing intermediate container {short}")
    return result


async def workdir_layer(job: BuildJob, state: ImageState, path: str) -> Layer | None:
    """The layer making `path` a directory on `state`'s filesystem makes (None: it is one)."""
    key = job.snapshot_key()
    await job.clients.snapshots.prepare(key, state.chain_id)
    # commit_layer removes the snapshot whatever happens; a failure before it must too
    try:
        mounts = await job.clients.snapshots.mounts(key)
        await job.mounter.run([mounts], lambda dirs: make_workdir(dirs[0], path))
    except BaseException:
        await _forget(job, key)
        raise
    return await commit_layer(job.clients, key, [layer.diff_id for layer in state.layers], [])


def make_workdir(rootfs: Path, path: str) -> None:
    """`path` made a directory inside `rootfs` if missing (docker's MkdirAllAndChownNew: what
    it makes is root's and 0755; what is there is left as it is)."""
    try:
        with Root(rootfs) as root:
            copying.make_dirs(root, path)
    except copying.NotADirectory:
        raise errors.InvalidArgument(f"Cannot mkdir: {path} is not a directory") from None
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise errors.ResourceExhausted("no space left on device") from None
        reason = (err.strerror or str(err)).lower()
        raise errors.InvalidArgument(f"mkdir {path}: {reason}") from None


async def _forget(job: BuildJob, key: str) -> None:
    with contextlib.suppress(errors.DockyardError):
        await job.clients.snapshots.remove(key)
