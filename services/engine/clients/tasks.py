"""`TaskClient`: the running side of containers, from the runtime service.

A task's life, as the runtime enforces it: `create` (bundle, shim, namespaces and rootfs set
up, the process waiting to exec) → `start` → it exits (`wait` returns) → `delete`. `kill`,
`pause`/`resume`, `update`, `stats`, `pids`, `attach` and `exec` act on a live one. `wait`
returns at once for a task that has exited; a task the runtime does not know is NotFound, one
in the wrong state FailedPrecondition (deleting a running task, killing a stopped one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dockyard.services.engine.clients.snapshots import Mount

TASK_STATUSES = ("created", "running", "stopped", "paused", "unknown")


@dataclass(frozen=True)
class Resize:
    width: int  # columns
    height: int  # rows


@dataclass
class TaskIO:
    terminal: bool = False  # a pseudo-terminal (stdout and stderr merge)
    stdin: bool = False  # keep a stdin pipe open for attach
    log_path: str = ""  # the json-file log; "" = none
    log_max_size: int = 0  # bytes before the log rotates; 0 = unbounded
    log_max_files: int = 1
    console_size: Resize | None = None  # the terminal's first size


@dataclass
class NewTask:
    id: str
    spec: dict[str, Any]  # the OCI runtime-spec config.json
    rootfs: list[Mount]
    io: TaskIO = field(default_factory=TaskIO)
    runtime: str = ""  # "" = the built-in runtime; "runc", "crun"


@dataclass(frozen=True)
class ExitStatus:
    exit_code: int  # the code, or 128 + signal
    exited_at: datetime | None = None
    oom_killed: bool = False
    error: str = ""  # why, when the runtime made the status up (a shim died)


@dataclass(frozen=True)
class TaskInfo:
    id: str
    pid: int
    status: str  # one of TASK_STATUSES


@dataclass(frozen=True)
class TaskStats:
    cpu_usage_ns: int = 0
    system_cpu_ns: int = 0
    online_cpus: int = 0
    memory_usage: int = 0  # bytes, page cache excluded
    memory_limit: int = 0
    memory_cache: int = 0
    pids_current: int = 0
    pids_limit: int = 0
    net_rx: int = 0
    net_tx: int = 0
    block_read: int = 0
    block_write: int = 0


@dataclass(frozen=True)
class Stdin:
    data: bytes


@dataclass(frozen=True)
class CloseStdin:
    pass


Input = Stdin | Resize | CloseStdin
"""What a client sends a task's (or an exec's) process."""


@dataclass(frozen=True)
class Output:
    stream: str  # "stdout" | "stderr"
    data: bytes


@dataclass
class ExecSpec:
    task_id: str
    exec_id: str
    process: dict[str, Any]  # the OCI runtime-spec `process`
    terminal: bool = False
    stdin: bool = False
    detach: bool = False
    size: Resize | None = None


@dataclass(frozen=True)
class ExecStarted:
    pid: int


ExecEvent = ExecStarted | Output | ExitStatus
"""An exec's stream: `ExecStarted` once it runs, its output, its `ExitStatus` last."""


class TaskClient(Protocol):
    async def create(self, task: NewTask) -> int:
        """Set the task up to the exec of its process; its init's host pid. A missing or
        non-executable command is CommandNotFound/CommandNotRunnable, leaving nothing."""
        ...

    async def start(self, task_id: str) -> int: ...

    async def kill(self, task_id: str, signal: int, all_processes: bool = False) -> None: ...

    async def delete(self, task_id: str) -> None: ...

    async def wait(self, task_id: str) -> ExitStatus:
        """The task's exit, once it has exited (no deadline short of a day)."""
        ...

    async def list_tasks(self) -> list[TaskInfo]: ...

    async def pause(self, task_id: str) -> None: ...

    async def resume(self, task_id: str) -> None: ...

    async def update(self, task_id: str, resources: dict[str, Any]) -> None:
        """Apply OCI `linux.resources` to a running task."""
        ...

    async def stats(self, task_id: str) -> TaskStats: ...

    async def pids(self, task_id: str) -> list[int]: ...

    async def attach(
        self, task_id: str, stdin: bool, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[Output]:
        """The task's output from now on, returned once the shim has registered the attach
        (so nothing written after this returns is lost); `inputs` are forwarded."""
        ...

    def exec(self, spec: ExecSpec, inputs: AsyncIterator[Input]) -> AsyncIterator[ExecEvent]:
        """Run another process in the task's container (see `ExecEvent`)."""
        ...
