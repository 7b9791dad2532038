"""--ipc container:X under an external OCI runtime (runc, crun): X's /dev/shm for the joiner.

Our own init takes a copy of X's /dev/shm mount inside X's mount namespace and moves it over
the container's (`setup.take_shm`, `setup.attach_shm`); an external runtime only reads the
spec, so the shim does the taking before `runtime create`: the copy is attached on the host
at <bundle>/shm and the spec's /dev/shm becomes a bind of it, as dockerd binds X's shm
directory. The copy is the same tmpfs as X's (one superblock), so both see each other's files.

The setns dance runs in a child of the shim, so the shim's own root and cwd never move
(setns(2) resets both for CLONE_NEWNS). <bundle>/shm is unmounted with the rootfs.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from dockyard.api import syscalls as sc
from dockyard.shim.setup import SHM_ANNOTATION, take_shm
from dockyard.shim.task import TaskError


def bind_donor_shm(spec: dict[str, Any], bundle: Path) -> dict[str, Any]:
    """`spec` with /dev/shm bound from X's (mounted at <bundle>/shm), or as it is when it
    joins no container's ipc."""
    if not spec.get("annotations", {}).get(SHM_ANNOTATION):
        return spec
    target = bundle / "shm"
    target.mkdir(mode=0o700, exist_ok=True)
    _attach_in_child(spec, target)
    bind = {"destination": "/dev/shm", "type": "bind", "source": str(target),
            "options": ["rbind", "rprivate"]}  # fmt: skip
    mounts = [m for m in spec.get("mounts", []) if m.get("destination") != "/dev/shm"]
    return {**spec, "mounts": [*mounts, bind]}


def unmount_donor_shm(bundle: Path) -> None:
    with contextlib.suppress(OSError):
        sc.Linux().umount(str(bundle / "shm"), sc.MNT_DETACH)


def _attach_in_child(spec: dict[str, Any], target: Path) -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's outcome is read from the pipe
        os.close(read)
        message = b"failed"  # until it is done; the finally keeps the child from returning
        try:
            linux = sc.Linux()
            shm = take_shm(spec, linux)
            if shm is not None:
                linux.move_mount(shm, str(target))
            message = b""
        except OSError as err:
            message = str(err).encode()
        finally:
            os.write(write, message)
            os._exit(0)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as pipe:
            failure = pipe.read().decode(errors="replace")
    finally:
        os.waitpid(pid, 0)
    if failure:
        raise TaskError("Internal", f"cannot share the ipc container's /dev/shm: {failure}")
