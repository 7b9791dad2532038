"""What the engine's streaming verbs (run, attach, exec, stats) take and yield, in domain types.

Inputs are the task clients' (`Stdin`, `Resize`, `CloseStdin`); outputs add what only the
engine knows: the container it created, the exec it started, the exit code it reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dockyard.services.engine.clients.images import Platform, PullProgress, RegistryAuth
from dockyard.services.engine.clients.tasks import CloseStdin, Input, Output, Resize, Stdin
from dockyard.services.engine.model import ContainerConfig, EndpointSettings, HostConfig

__all__ = ["CloseStdin", "Input", "Output", "Resize", "Stdin"]


@dataclass
class RunOptions:
    config: ContainerConfig
    host_config: HostConfig
    name: str = ""
    networks: list[EndpointSettings] = field(default_factory=list)
    detach: bool = False
    auth: RegistryAuth = field(default_factory=RegistryAuth)  # for the pull of a missing image
    size: Resize | None = None  # the terminal's first size
    platform: Platform | None = None  # for the pull of a missing image
    pull: str = "missing"  # --pull: "missing", "always" (pull first) or "never" (never pull)


@dataclass(frozen=True)
class Created:
    container_id: str


@dataclass(frozen=True)
class Exited:
    status_code: int


RunEvent = PullProgress | Created | Output | Exited
"""`run`'s stream: pull progress (when the image was missing), the container, its output, its
exit (after the output has drained and, with auto-remove, after the container is gone)."""


@dataclass
class AttachOptions:
    id: str
    stdin: bool = False
    stdout: bool = False
    stderr: bool = False
    before_start: bool = False  # not running: attach at its next start, before its process


@dataclass(frozen=True)
class Attached:
    """The attach is in place: output from here on is delivered."""


@dataclass
class ExecOptions:
    id: str  # the container
    cmd: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)  # added to the container's
    working_dir: str = ""
    user: str = ""
    tty: bool = False
    stdin: bool = False
    detach: bool = False
    privileged: bool = False
    size: Resize | None = None
    exec_id: str = ""  # chosen by the client (64 hex digits); "" = a new one


@dataclass(frozen=True)
class ExecCreated:
    exec_id: str


ExecEvent = ExecCreated | Output | Exited
"""`exec`'s stream: its ID, its output, its exit code (the ID alone when detached)."""


@dataclass
class ContainerStats:
    """One sample of `stats`, with the previous sample's CPU figures for a percentage."""

    id: str
    name: str
    read: datetime
    cpu_usage_ns: int = 0
    system_cpu_ns: int = 0
    pre_cpu_usage_ns: int = 0
    pre_system_cpu_ns: int = 0
    online_cpus: int = 0
    memory_usage: int = 0
    memory_limit: int = 0
    memory_cache: int = 0
    pids: int = 0
    net_rx: int = 0
    net_tx: int = 0
    block_read: int = 0
    block_write: int = 0
