"""Where a Dockyard engine keeps things: one root dir (persistent) and one state dir (runtime).

    <state>/<service>.sock      each service's gRPC socket ("dockyard.sock" for the engine)
    <state>/docker.sock         the Docker Engine API (HTTP; the `dockerapi` front)
    <state>/<service>/          a service's runtime state (bundles, netns files, locks)
    <state>/shims/<id24>.sock   one socket per shim (the ID's first 24 hex digits); under
                                /run/dockyard-shims/<hash of state>/ when that path would not
                                fit in a UNIX socket address (a state dir deep in a tree)
    <root>/<service>/           a service's persistent data (databases, blobs, snapshots)
    <root>/logs/<service>.log   service logs, when started by `dockyard daemon`

Two engines with different root and state dirs run side by side on one host.
No gRPC here: the shim and the CLI use it too.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = "/var/lib/dockyard"
DEFAULT_STATE = "/run/dockyard"
DEFAULT_CONFIG = "/etc/dockyard/daemon.json"
SOCKET_PATH_MAX = 107
"""The longest path a UNIX socket address holds (sun_path is 108 bytes, NUL included)."""
DEEP_STATE_SHIMS = Path("/run/dockyard-shims")

SERVICES = ("snapshots", "images", "network", "runtime", "cli", "engine", "dockerapi")
"""Every service, in start order: each one's dependencies come before it. `cli` is the CLI's
command server (not a gRPC service): it stops after the engine, so that the commands it runs
and that wait on the engine end before it does. `dockerapi` is the Docker Engine API front
(HTTP on docker.sock), a client of the engine."""

MODULES = {"cli": "dockyard.cli.commandserver"}
"""The module (`python -m`) of each service not under dockyard.services."""

SOCKETS = {
    "engine": "dockyard.sock",
    "images": "images.sock",
    "snapshots": "snapshots.sock",
    "runtime": "runtime.sock",
    "network": "network.sock",
    "cli": "cli.sock",
    "dockerapi": "docker.sock",
}


@dataclass(frozen=True)
class Paths:
    root: Path
    state: Path

    @classmethod
    def from_env(cls, root: str | None = None, state: str | None = None) -> Paths:
        """Explicit arguments first, then DOCKYARD_ROOT / DOCKYARD_STATE, then the defaults."""
        root = root or os.environ.get("DOCKYARD_ROOT") or DEFAULT_ROOT
        state = state or os.environ.get("DOCKYARD_STATE") or DEFAULT_STATE
        return cls(Path(root).absolute(), Path(state).absolute())

    def socket(self, service: str) -> Path:
        return self.state / SOCKETS[service]

    def address(self, service: str) -> str:
        """The gRPC target of `service`: "unix:///abs/path.sock"."""
        return f"unix://{self.socket(service)}"

    def module(self, service: str) -> str:
        return MODULES.get(service, f"dockyard.services.{service}")

    def data(self, service: str) -> Path:
        return self.root / service

    def run(self, service: str) -> Path:
        return self.state / service

    def shim_socket(self, task_id: str) -> Path:
        # a UNIX socket path must fit in 108 bytes: 24 hex digits of the ID are unique enough
        name = f"{task_id[:24]}.sock"
        path = self.state / "shims" / name
        if len(os.fsencode(path)) <= SOCKET_PATH_MAX:
            return path
        own = hashlib.sha256(os.fsencode(self.state)).hexdigest()[:16]  # one dir per engine
        return DEEP_STATE_SHIMS / own / name

    def log(self, service: str) -> Path:
        return self.root / "logs" / f"{service}.log"
