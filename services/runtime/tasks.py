"""Tasks: the runtime's record of every container process, each backed by one shim.

    create ─▶ bundle dir + config.json ─▶ exec the shim launcher ─▶ connect ─▶ shim create
    start  ─▶ shim start                 (then a `wait` stream watches for the exit)
    exit   ─▶ from the shim's wait, or synthesised when the shim dies (`dockyard-shim delete`
              kills what is left in the cgroup; exit 255 "shim died", or the shim's own
              exit.json when it got to write one)
    delete ─▶ shim delete (the shim exits) ─▶ bundle and socket removed

Bundles live in `<state>/runtime/tasks/<id>/` and outlive this process: at start-up `restore`
reconnects to every live shim and settles every dead one, so kill -9 of the runtime loses
nothing. The engine learns of exits through `wait`, one per running task.

A create cut short (the engine that asked died, so its call was cancelled) still lets the
shim's start run to its end: the shim's pid and socket are then in the bundle, and the undo
deletes that shim (undone earlier, it removed the bundle while the zygote was still forking
the shim into it, and the shim ran on, unknown to anyone). Until its create has settled, a
task is deleted by nobody else (`delete` waits for it), and a discarded task ends its waiters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from dockyard.api import errors, timings
from dockyard.api.files import write_atomic
from dockyard.api.paths import Paths
from dockyard.runtime.shim.v1 import shim_pb2 as pb
from dockyard.services.runtime import zygote
from dockyard.services.runtime.shim_client import ShimConnection, ShimGone, Stream

log = logging.getLogger(__name__)

SHIM_DIED = 255
T = TypeVar("T")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


@dataclass
class Exit:
    code: int
    at_ns: int
    oom_killed: bool = False
    error: str = ""


@dataclass
class Task:
    id: str
    bundle: Path
    socket: Path
    terminal: bool = False
    runtime: str = ""
    pid: int = 0
    status: str = "created"  # created | running | paused | stopped
    exit: Exit | None = None
    conn: ShimConnection | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)  # exited, or discarded
    made: asyncio.Event = field(default_factory=asyncio.Event)  # its create has settled
    watcher: asyncio.Task[None] | None = None


class Tasks:
    def __init__(self, paths: Paths, forked_zygote: int | None = None) -> None:
        self._paths = paths
        self._dir = paths.run("runtime") / "tasks"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._tasks: dict[str, Task] = {}
        self._forked_zygote = forked_zygote  # pid: forked by `main` before gRPC started
        self._zygote: asyncio.subprocess.Process | zygote.Forked | None = None
        self._zygote_socket: Path | None = None
        self._zygote_lock = asyncio.Lock()  # one request at a time: the zygote serves serially
        self._respawn: asyncio.Task[None] | None = None

    # -- queries ------------------------------------------------------------------------------

    def get(self, task_id: str) -> Task:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise errors.NotFound(f"no such task: {task_id}") from None

    def all(self) -> list[Task]:
        return list(self._tasks.values())

    # -- lifecycle ----------------------------------------------------------------------------

    async def create(
        self,
        task_id: str,
        spec: bytes,
        create: pb.Create,
        runtime: str,
        argv: list[str] | None = None,
    ) -> Task:
        _check_id("task", task_id)
        if task_id in self._tasks:
            raise errors.AlreadyExists(f"task {task_id} already exists")
        _validate_spec(spec)
        bundle = self._dir / task_id
        task = Task(task_id, bundle, self._paths.shim_socket(task_id), create.terminal, runtime)
        self._tasks[task_id] = task
        try:
            with timings.phase("runtime.bundle"):
                _write_bundle(bundle, spec, create.terminal, runtime, argv or [])
            with timings.phase("runtime.shim"):
                await _to_its_end(self._launch(task))
            with timings.phase("runtime.create"):
                reply = await _call(task.conn, pb.Request(create=create))  # type: ignore[arg-type]
        except BaseException:
            await self._discard(task)
            raise
        finally:
            task.made.set()
        task.pid = reply.state.pid
        return task

    async def _launch(self, task: Task) -> None:
        """Start the task's shim: forked by the zygote (shared pages, no interpreter start-up),
        or exec'd when there is no zygote to ask."""
        if not await self._from_zygote(task):
            argv = _shim_argv("start", task)
            process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL)
            if await process.wait() != 0:
                raise errors.Internal(
                    f"the shim for {task.id[:12]} failed to start (see {task.bundle}/shim.log)"
                )
        task.conn = await ShimConnection.connect(task.socket)

    async def start(self, task_id: str) -> Task:
        task = self.get(task_id)
        if task.status != "created":
            raise errors.FailedPrecondition(f"task {task_id} is {task.status}, not created")
        conn = self._connection(task)
        try:
            with timings.phase("runtime.start"):
                reply = await _call(conn, pb.Request(start=pb.Empty()))
        finally:
            self._watch(task)
        task.pid, task.status = reply.state.pid, "running"
        return task

    async def kill(self, task_id: str, signum: int, all_processes: bool) -> None:
        task = self.get(task_id)
        if task.status == "stopped":
            raise errors.FailedPrecondition(f"task {task_id} is not running")
        await self._connection(task).call(
            pb.Request(kill=pb.Kill(signal=signum, all=all_processes))
        )

    async def wait(self, task_id: str) -> Exit:
        task = self.get(task_id)
        await task.exited.wait()
        if task.exit is None:
            raise errors.NotFound(f"task {task_id} was deleted before it ran")
        return task.exit

    async def delete(self, task_id: str) -> Task:
        await self.get(task_id).made.wait()  # a create in flight finishes, or undoes itself
        task = self.get(task_id)
        if task.status in ("running", "paused"):
            raise errors.FailedPrecondition(f"cannot delete task {task_id}: it is {task.status}")
        with timings.phase("runtime.delete"):
            await self._discard(task)
        return task

    async def pause(self, task_id: str) -> None:
        task = self.get(task_id)
        await self._connection(task).call(pb.Request(pause=pb.Empty()))
        task.status = "paused"

    async def resume(self, task_id: str) -> None:
        task = self.get(task_id)
        await self._connection(task).call(pb.Request(resume=pb.Empty()))
        task.status = "running"

    async def update(self, task_id: str, resources: bytes) -> None:
        await self._connection(self.get(task_id)).call(pb.Request(update=resources))

    async def stats(self, task_id: str) -> pb.Stats:
        reply = await self._connection(self.get(task_id)).call(pb.Request(stats=pb.Empty()))
        return reply.stats

    async def pids(self, task_id: str) -> list[int]:
        reply = await self._connection(self.get(task_id)).call(pb.Request(pids=pb.Empty()))
        return list(reply.pids.pids)

    async def exec(self, task_id: str, exec_: pb.Exec) -> Stream:
        """Start a process in the task's container; the stream's first response is its pid."""
        _check_id("exec", exec_.exec_id)
        task = self.get(task_id)
        if task.status != "running":
            raise errors.FailedPrecondition(f"Container {task_id} is not running")
        stream = self._connection(task).open()
        await stream.send(pb.Request(exec=exec_))
        return stream

    async def attach(self, task_id: str, stdin: bool) -> Stream:
        stream = self._connection(self.get(task_id)).open()
        await stream.send(pb.Request(attach=pb.Attach(stdin=stdin)))
        first = await stream.next()
        if first is None or not first.attached:
            stream.close()
            raise errors.FailedPrecondition(f"cannot attach to task {task_id}")
        return stream

    def _connection(self, task: Task) -> ShimConnection:
        if task.conn is None or task.conn.gone:
            raise errors.FailedPrecondition(f"task {task.id} has no live shim")
        return task.conn

    # -- exits --------------------------------------------------------------------------------

    def _watch(self, task: Task) -> None:
        if task.watcher is None:
            task.watcher = asyncio.create_task(self._watcher(task))

    async def _watcher(self, task: Task) -> None:
        """Wait for the exit over a `wait` stream; if the shim dies first, settle it."""
        assert task.conn is not None
        stream = task.conn.open()
        try:
            await stream.send(pb.Request(wait=pb.Empty()))
            response = await stream.next()
            if response is not None and response.HasField("exit"):
                e = response.exit
                self._exited(task, Exit(e.exit_code, e.exited_at_ns, e.oom_killed))
                return
        except ShimGone:
            pass
        finally:
            stream.close()
        await self._shim_died(task)

    async def _shim_died(self, task: Task) -> None:
        log.warning("the shim of %s died: cleaning up after it", task.id[:12])
        await _shim_delete(task)
        self._exited(
            task, _recorded_exit(task.bundle) or Exit(SHIM_DIED, time.time_ns(), error="shim died")
        )

    def _exited(self, task: Task, exit_: Exit) -> None:
        if task.exit is not None:
            return
        task.status, task.exit = "stopped", exit_
        task.exited.set()

    async def _discard(self, task: Task) -> None:
        """Stop the shim (or clean up after a dead one) and remove every trace of the task."""
        if task.watcher is not None and task.watcher is not asyncio.current_task():
            task.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task.watcher
        deleted = False
        if task.conn is not None and not task.conn.gone:
            try:
                await task.conn.call(pb.Request(delete=pb.Empty()))
                deleted = True
            except errors.DockyardError as err:
                log.warning("the shim of %s refused to delete: %s; killing it", task.id[:12], err)
        if not deleted:
            _kill_shim(task.bundle)
            await _shim_delete(task)
        if task.conn is not None:
            await task.conn.close()
        shutil.rmtree(task.bundle, ignore_errors=True)
        task.socket.unlink(missing_ok=True)
        self._tasks.pop(task.id, None)
        task.exited.set()  # a waiter's task is gone (`wait` says so)

    # -- restart ------------------------------------------------------------------------------

    async def restore(self) -> None:
        """Reconnect to every shim a previous runtime left; settle the dead ones."""
        for bundle in sorted(self._dir.iterdir()):
            if bundle.is_dir():
                await self._restore_one(bundle)

    async def _restore_one(self, bundle: Path) -> None:
        meta = _task_meta(bundle)
        task = Task(
            bundle.name,
            bundle,
            self._paths.shim_socket(bundle.name),
            meta.get("terminal", False),
            meta.get("runtime", ""),
        )
        self._tasks[task.id] = task
        task.made.set()
        if not (bundle / "shim.pid").exists():  # died mid-create: the task never existed
            await self._discard(task)
            return
        try:
            task.conn = await ShimConnection.connect(task.socket)
            state = (await task.conn.call(pb.Request(state=pb.Empty()), seconds=5)).state
        except (OSError, errors.DockyardError, TimeoutError):
            task.status = "running"
            await self._shim_died(task)
            return
        task.pid, task.status = state.pid, state.status
        if state.status == "stopped":
            self._exited(
                task, Exit(state.exit.exit_code, state.exit.exited_at_ns, state.exit.oom_killed)
            )
        elif state.status in ("running", "paused"):
            self._watch(task)
        log.info("restored task %s (%s)", task.id[:12], task.status)

    # -- the zygote (shim/zygote.py) ----------------------------------------------------------

    async def start_zygote(self) -> None:
        """Take on the zygote `main` forked, or exec one (once gRPC runs, a fork is unsafe);
        without a zygote, shims are exec'd."""
        path = zygote.socket_path(self._paths)
        if self._forked_zygote is not None:
            self._zygote, self._forked_zygote = zygote.Forked(self._forked_zygote), None
            self._zygote_socket = path
            return
        path.unlink(missing_ok=True)
        self._zygote = await asyncio.create_subprocess_exec(
            *zygote.argv(path), stdin=asyncio.subprocess.DEVNULL
        )
        for _ in range(100):
            if path.exists():
                self._zygote_socket = path
                return
            if self._zygote.returncode is not None:
                break
            await asyncio.sleep(0.05)
        log.warning("no shim zygote: shims will be exec'd")

    async def _from_zygote(self, task: Task) -> bool:
        if self._zygote_socket is None:
            return False
        request = json.dumps(
            {"id": task.id, "bundle": str(task.bundle), "socket": str(task.socket)}
        )
        try:
            async with self._zygote_lock:
                reader, writer = await asyncio.open_unix_connection(str(self._zygote_socket))
                try:
                    writer.write(request.encode() + b"\n")
                    await writer.drain()
                    reply = await asyncio.wait_for(reader.readline(), 30)
                finally:
                    writer.close()
        except (OSError, TimeoutError) as err:
            log.warning("the shim zygote did not answer (%s): exec'ing the shim", err)
            self._zygote_socket = None
            if self._zygote is not None and self._zygote.returncode is None:
                self._zygote.kill()
            self._respawn = asyncio.create_task(self.start_zygote())  # for the next shim
            return False
        if reply.strip() != b"ok":
            log.warning("the shim zygote failed: %s", reply.decode(errors="replace").strip())
            (task.bundle / "shim.pid").unlink(missing_ok=True)
            return False
        return True

    async def close(self) -> None:
        if self._zygote is not None and self._zygote.returncode is None:
            self._zygote.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._zygote.wait(), 5)
        for task in self._tasks.values():
            if task.watcher is not None:
                task.watcher.cancel()
            if task.conn is not None:
                await task.conn.close()


def _write_bundle(bundle: Path, spec: bytes, terminal: bool, runtime: str, argv: list[str]) -> None:
    bundle.mkdir(mode=0o700)  # in the state dir: atomic, not durable (api/files.py)
    write_atomic(bundle / "config.json", spec, durable=False)
    meta = {
        "terminal": terminal,
        "runtime": runtime,
        "runtime_path": argv[0] if argv else "",
        "runtime_args": argv[1:],
    }
    write_atomic(bundle / "task.json", json.dumps(meta).encode(), durable=False)


async def _call(conn: ShimConnection, request: pb.Request) -> pb.Response:
    """`conn.call`, asking the shim for its phases when the request being served records."""
    recorder = timings.current()
    request.timings = recorder is not None
    reply = await conn.call(request)
    if recorder is not None and reply.timings:
        with contextlib.suppress(ValueError):  # a report: never worth failing the call for
            recorder.extend(timings.decode(reply.timings), prefix="shim.")
    return reply


async def _to_its_end(work: Awaitable[T]) -> T:
    """Await `work`; when the caller is cancelled meanwhile, let `work` finish first (its own
    bounds hold), then raise the cancellation: a shim being started is started, and its pid in
    the bundle, before whoever cleans up looks for it."""
    job = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        with contextlib.suppress(errors.DockyardError, OSError):  # moot: the caller is gone
            await job
        raise


def _task_meta(bundle: Path) -> dict[str, Any]:
    """task.json; {} when it is missing or unreadable (written without fsync: a power cut may
    leave it empty, and then its task is dead anyway)."""
    try:
        meta = json.loads((bundle / "task.json").read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _kill_shim(bundle: Path) -> None:
    """SIGKILL the shim `bundle/shim.pid` names — if that pid is still a shim of this runtime
    (its command line names dockyard's shim and this state dir): a shim long dead, or gone
    with a reboot that kept the state dir (a /run on disk), leaves its pid to any process."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((bundle / "shim.pid").read_text())
        pidfd = os.pidfd_open(pid)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            runtime = os.fsencode(bundle.parent.parent) + b"/"  # <state>/runtime/tasks/<id>
            if b"dockyard.shim" in cmdline and runtime in cmdline:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            else:
                log.warning(
                    "pid %d of %s is no shim of ours now: not killed", pid, bundle.name[:12]
                )
        finally:
            os.close(pidfd)


def _shim_argv(command: str, task: Task) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dockyard.shim",
        command,
        "--id",
        task.id,
        "--bundle",
        str(task.bundle),
        "--socket",
        str(task.socket),
    ]


async def _shim_delete(task: Task) -> None:
    """`dockyard-shim delete`: kill what is left of the container and free its cgroup."""
    argv = _shim_argv("delete", task)
    process = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL)
    await process.wait()


def _recorded_exit(bundle: Path) -> Exit | None:
    try:
        record: dict[str, Any] = json.loads((bundle / "exit.json").read_text())
    except (OSError, ValueError):
        return None
    return Exit(record["code"], record["at_ns"], record.get("oom_killed", False))


def _check_id(kind: str, value: str) -> None:
    """An id names files in the bundle and the state dir: a path component, nothing more."""
    if not ID.fullmatch(value):
        raise errors.InvalidArgument(f"invalid {kind} id {value!r}")


def _validate_spec(spec: bytes) -> None:
    try:
        doc = json.loads(spec)
    except ValueError as err:
        raise errors.InvalidArgument(f"the task's spec is not JSON: {err}") from None
    if not isinstance(doc, dict) or not doc.get("process", {}).get("args"):
        raise errors.InvalidArgument("the task's spec has no process.args")
