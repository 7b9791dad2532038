"""`TaskClient` in memory: tasks that start, print and exit when a test says so.

A task exits when it is killed with SIGKILL, or with SIGTERM unless `ignore_term` holds its ID
(as a process that traps the signal), or when the test calls `exit()`. The runtime can be
"restarted" (`restart_runtime()`): waits in flight fail with Unavailable, as when the runtime's
socket goes away, and tasks survive, as shims do. `lose()` forgets a task altogether (what a
reboot does to a runtime's state dir). A command named in `missing` fails `create` with
CommandNotFound, like a real one the shim cannot find. A task `script` (a test's function
of the task) makes a started task print and exit by itself: it returns (output, exit code),
or None to leave the task running. An `exec_script` does the same for execs (None: the
exec hangs until it is cancelled); without one an exec echoes its arguments and exits 0.
"""

from __future__ import annotations

import asyncio
import signal as signals
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dockyard.api import errors
from dockyard.services.engine.clients.fakes.faults import Faults
from dockyard.services.engine.clients.tasks import (
    ExecEvent,
    ExecSpec,
    ExecStarted,
    ExitStatus,
    Input,
    NewTask,
    Output,
    TaskInfo,
    TaskStats,
)


@dataclass
class FakeTask:
    spec: NewTask
    pid: int
    status: str = "created"
    exit: ExitStatus | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    signals: list[int] = field(default_factory=list)
    resources: dict[str, Any] | None = None
    outputs: list[asyncio.Queue[Output | None]] = field(default_factory=list)


class FakeTasks:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.tasks: dict[str, FakeTask] = {}
        self.missing: set[str] = set()  # commands that do not exist in any image
        self.ignore_term: set[str] = set()  # tasks whose process ignores SIGTERM
        self.script: Callable[[NewTask], tuple[bytes, int] | None] | None = None
        self.exec_script: Callable[[ExecSpec], tuple[bytes, int] | None] | None = None
        self.execs: list[ExecSpec] = []
        self._next_pid = 1000
        self._runtime_restarted = asyncio.Event()
        self._signals: dict[str, list[int]] = {}

    # -- what a test does to the tasks ----------------------------------------------------

    def exit(self, task_id: str, code: int, oom_killed: bool = False) -> None:
        """The task's process exits with `code`."""
        task = self.tasks[task_id]
        if task.exit is not None:
            return
        task.status = "stopped"
        task.exit = ExitStatus(code, datetime.now(UTC), oom_killed)
        task.exited.set()
        for queue in task.outputs:
            queue.put_nowait(None)

    def write(self, task_id: str, stream: str, data: bytes) -> None:
        """The task's process writes `data` to `stream` (attached clients read it)."""
        for queue in self.tasks[task_id].outputs:
            queue.put_nowait(Output(stream, data))

    def restart_runtime(self) -> None:
        """The runtime goes away and comes back; its tasks (their shims) live on."""
        self._runtime_restarted.set()
        self._runtime_restarted = asyncio.Event()

    def lose(self, task_id: str) -> None:
        """The runtime forgets the task (its state dir is gone)."""
        self.tasks.pop(task_id)

    def running(self) -> list[str]:
        return [i for i, t in self.tasks.items() if t.status in ("running", "paused")]

    def signals_of(self, task_id: str) -> list[int]:
        """The signals sent to the task (or to the last task of that ID), in order."""
        return list(self._signals.get(task_id, []))

    # -- TaskClient -----------------------------------------------------------------------

    async def create(self, task: NewTask) -> int:
        self.faults.enter("tasks.create", task.id)
        if task.id in self.tasks:
            raise errors.AlreadyExists(f"task {task.id} already exists")
        command = task.spec["process"]["args"][0]
        if command in self.missing:
            raise errors.CommandNotFound(f'exec: "{command}": executable file not found in $PATH')
        self._next_pid += 1
        self.tasks[task.id] = FakeTask(task, self._next_pid)
        self._signals[task.id] = []
        return self._next_pid

    async def start(self, task_id: str) -> int:
        self.faults.enter("tasks.start", task_id)
        task = self._get(task_id)
        if task.status != "created":
            raise errors.FailedPrecondition(f"task {task_id} is {task.status}, not created")
        task.status = "running"
        outcome = self.script(task.spec) if self.script is not None else None
        if outcome is not None:
            asyncio.get_running_loop().call_soon(self._finish, task_id, *outcome)
        return task.pid

    def _finish(self, task_id: str, output: bytes, code: int) -> None:
        if task_id in self.tasks:
            if output:
                self.write(task_id, "stdout", output)
            self.exit(task_id, code)

    async def kill(self, task_id: str, signal: int, all_processes: bool = False) -> None:
        self.faults.enter("tasks.kill", task_id)
        task = self._get(task_id)
        if task.status == "stopped":
            raise errors.FailedPrecondition(f"task {task_id} is not running")
        task.signals.append(signal)
        self._signals.setdefault(task_id, []).append(signal)
        frozen = task.status == "paused"
        if signal == signals.SIGKILL or (
            signal == signals.SIGTERM and not frozen and task_id not in self.ignore_term
        ):
            self.exit(task_id, 128 + signal)

    async def delete(self, task_id: str) -> None:
        self.faults.enter("tasks.delete", task_id)
        task = self._get(task_id)
        if task.status in ("running", "paused"):
            raise errors.FailedPrecondition(f"cannot delete task {task_id}: it is {task.status}")
        del self.tasks[task_id]

    async def wait(self, task_id: str) -> ExitStatus:
        self.faults.enter("tasks.wait", task_id)
        task = self._get(task_id)
        restarted = asyncio.ensure_future(self._runtime_restarted.wait())
        exited = asyncio.ensure_future(task.exited.wait())
        try:
            await asyncio.wait((restarted, exited), return_when=asyncio.FIRST_COMPLETED)
        finally:
            restarted.cancel()
            exited.cancel()
        if task.exit is None:
            raise errors.Unavailable("cannot reach dockyard-runtime: the runtime restarted")
        return task.exit

    async def list_tasks(self) -> list[TaskInfo]:
        self.faults.enter("tasks.list_tasks")
        return [TaskInfo(i, t.pid, t.status) for i, t in self.tasks.items()]

    async def pause(self, task_id: str) -> None:
        self.faults.enter("tasks.pause", task_id)
        self._live(task_id).status = "paused"

    async def resume(self, task_id: str) -> None:
        self.faults.enter("tasks.resume", task_id)
        self._live(task_id).status = "running"

    async def update(self, task_id: str, resources: dict[str, Any]) -> None:
        self.faults.enter("tasks.update", task_id)
        self._live(task_id).resources = resources

    async def stats(self, task_id: str) -> TaskStats:
        self.faults.enter("tasks.stats", task_id)
        self._live(task_id)
        return TaskStats(cpu_usage_ns=1_000_000, online_cpus=1, memory_usage=4096, pids_current=1)

    async def pids(self, task_id: str) -> list[int]:
        self.faults.enter("tasks.pids", task_id)
        return [self._live(task_id).pid]

    async def attach(
        self, task_id: str, stdin: bool, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[Output]:
        self.faults.enter("tasks.attach", task_id)
        task = self._get(task_id)
        if task.exit is not None:
            raise errors.FailedPrecondition(f"cannot attach to task {task_id}")
        queue: asyncio.Queue[Output | None] = asyncio.Queue()
        task.outputs.append(queue)
        return _drain(queue)

    async def exec(self, spec: ExecSpec, inputs: AsyncIterator[Input]) -> AsyncIterator[ExecEvent]:
        self.faults.enter("tasks.exec", spec.task_id)
        task = self._get(spec.task_id)
        if task.status != "running":
            raise errors.FailedPrecondition(f"Container {spec.task_id} is not running")
        args = spec.process["args"]
        if args[0] in self.missing:
            raise errors.InvalidArgument(f'exec: "{args[0]}": executable file not found')
        self._next_pid += 1
        self.execs.append(spec)
        yield ExecStarted(self._next_pid)
        if spec.detach:
            return
        scripted = self.exec_script(spec) if self.exec_script else (" ".join(args[1:]).encode(), 0)
        if scripted is None:
            await asyncio.Event().wait()
            return
        yield Output("stdout", scripted[0] + (b"" if self.exec_script else b"\n"))
        yield ExitStatus(scripted[1], datetime.now(UTC))

    def _get(self, task_id: str) -> FakeTask:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise errors.NotFound(f"no such task: {task_id}") from None

    def _live(self, task_id: str) -> FakeTask:
        task = self._get(task_id)
        if task.status not in ("running", "paused"):
            raise errors.FailedPrecondition(f"task {task_id} is not running")
        return task


async def _drain(queue: asyncio.Queue[Output | None]) -> AsyncIterator[Output]:
    while (item := await queue.get()) is not None:
        yield item
