"""Which program runs a task: the built-in runtime (the shim's own init), or an external OCI
runtime (runc, crun) named by `--runtime`, configured in daemon.json's `runtimes` or found on
PATH."""

from __future__ import annotations

import shutil

from dockyard.api import errors
from dockyard.api.config import DaemonConfig


def oci_runtime(name: str, config: DaemonConfig) -> list[str]:
    """The argv of an external OCI runtime ([] = the built-in one): configured, or on PATH."""
    if name in ("", "dockyard"):
        return []
    configured = config.runtimes.get(name)
    if configured is not None:
        return [configured.path, *configured.args]
    found = shutil.which(name) if name in ("runc", "crun") else None
    if found is None:
        raise errors.InvalidArgument(f"unknown or invalid runtime name: {name}")
    return [found]
