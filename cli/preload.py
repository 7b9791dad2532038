"""What the command server loads before it forks, and how it notices that code changed on disk.

`load()` imports every module a command may need (the CLI's own, gRPC, the generated stubs,
the standard library it uses lazily) and builds typer's click commands, so that a forked child
imports and builds nothing; and returns the
`Fingerprint` of what is loaded (`dockyard.api.fingerprint`): an upgrade or a developer's edit
makes the server stale.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

from dockyard.api.fingerprint import Fingerprint

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
    "dockyard.api.networkjson",
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
