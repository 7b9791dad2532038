"""What the command server loads before it forks, and how it notices that code changed on disk.

`load()` imports every module a command may need (the CLI's own, gRPC, the generated stubs,
the standard library it uses lazily) and builds typer's click commands, so that a forked child
imports and builds nothing; and returns the
`Fingerprint` of what is loaded: each module file's mtime and size, outside the system's own
standard library. `changed()` stats them again (a few hundred stats, well under a millisecond)
and names the first that differs: an upgrade or a developer's edit makes the server stale.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from dataclasses import dataclass

PACKAGES = (
    "dockyard.cli",
    "dockyard.engine.v1",
    "dockyard.images.v1",
    "dockyard.network.v1",
    "dockyard.types.v1",
)
MODULES = (
    "grpc",
    "grpc.aio",
    "google.protobuf.empty_pb2",
    "google.protobuf.timestamp_pb2",
    "google.protobuf.duration_pb2",
    "dockyard.api.bootstrap",
    "dockyard.api.errors",
    "dockyard.api.paths",
    "asyncio",
    "base64",
    "inspect",
    "ipaddress",
    "json",
    "platform",
    "subprocess",
    "termios",
    "threading",
    "tty",
)
SERVER_ONLY = ("dockyard.cli.commandserver", "dockyard.cli.__main__")


@dataclass
class Fingerprint:
    files: dict[str, tuple[int, int]]  # path -> (mtime_ns, size)

    @classmethod
    def of_loaded(cls) -> Fingerprint:
        system = (os.path.realpath(sys.base_prefix) + os.sep, sys.base_prefix + os.sep)
        files = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and not path.startswith(system):
                stamp = _stamp(path)
                if stamp:
                    files[path] = stamp
        return cls(files)

    def changed(self) -> str:
        for path, stamp in self.files.items():
            if _stamp(path) != stamp:
                return path
        return ""


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def load() -> Fingerprint:
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    for name in MODULES:
        importlib.import_module(name)
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, f"{package}."):
            if info.name not in SERVER_ONLY:
                importlib.import_module(info.name)
    from dockyard.cli import main

    main.prebuild()  # every command's click command, built once for all the children
    return Fingerprint.of_loaded()
