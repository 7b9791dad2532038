"""`TaskClient` over the runtime service's gRPC stub."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import grpc
from dockyard.api import errors
from dockyard.runtime.v1 import runtime_pb2 as pb
from dockyard.runtime.v1 import runtime_pb2_grpc
from dockyard.services.engine.clients.proxy.deadlines import LONG, READY
from dockyard.services.engine.clients.tasks import (
    TASK_STATUSES,
    CloseStdin,
    ExecEvent,
    ExecSpec,
    ExecStarted,
    ExitStatus,
    Input,
    NewTask,
    Output,
    Resize,
    Stdin,
    TaskInfo,
    TaskStats,
)
from dockyard.services.engine.convert import from_proto, to_proto
from dockyard.types.v1 import types_pb2


class TaskProxy:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = runtime_pb2_grpc.TasksStub(channel)

    async def create(self, task: NewTask) -> int:
        reply = await self._stub.Create(_create_request(task), **READY)
        return int(reply.pid)

    async def start(self, task_id: str) -> int:
        reply = await self._stub.Start(pb.StartTaskRequest(id=task_id), **READY)
        return int(reply.pid)

    async def kill(self, task_id: str, signal: int, all_processes: bool = False) -> None:
        request = pb.KillTaskRequest(id=task_id, signal=signal, all=all_processes)
        await self._stub.Kill(request, **READY)

    async def delete(self, task_id: str) -> None:
        await self._stub.Delete(pb.DeleteTaskRequest(id=task_id), **READY)

    async def wait(self, task_id: str) -> ExitStatus:
        return _exit_status(await self._stub.Wait(pb.WaitTaskRequest(id=task_id), **LONG))

    async def list_tasks(self) -> list[TaskInfo]:
        reply = await self._stub.List(pb.ListTasksRequest(), **READY)
        return [TaskInfo(t.id, t.pid, _status(t.status)) for t in reply.tasks]

    async def pause(self, task_id: str) -> None:
        await self._stub.Pause(pb.TaskRequest(id=task_id), **READY)

    async def resume(self, task_id: str) -> None:
        await self._stub.Resume(pb.TaskRequest(id=task_id), **READY)

    async def update(self, task_id: str, resources: dict[str, Any]) -> None:
        request = pb.UpdateTaskRequest(id=task_id, resources=json.dumps(resources).encode())
        await self._stub.Update(request, **READY)

    async def stats(self, task_id: str) -> TaskStats:
        return from_proto(TaskStats, await self._stub.Stats(pb.TaskRequest(id=task_id), **READY))

    async def pids(self, task_id: str) -> list[int]:
        reply = await self._stub.Pids(pb.TaskRequest(id=task_id), **READY)
        return list(reply.pids)

    async def attach(
        self, task_id: str, stdin: bool, inputs: AsyncIterator[Input]
    ) -> AsyncIterator[Output]:
        start = pb.AttachStart(id=task_id, stdin=stdin, stdout=True, stderr=True)
        responses = aiter(self._stub.Attach(_attach_requests(start, inputs), **LONG))
        first = await anext(responses, None)
        if first is None or not first.HasField("attached"):
            raise errors.Internal(f"the runtime did not acknowledge the attach to {task_id[:12]}")
        return _outputs(responses)

    async def exec(self, spec: ExecSpec, inputs: AsyncIterator[Input]) -> AsyncIterator[ExecEvent]:
        start = pb.ExecStart(
            id=spec.task_id,
            exec_id=spec.exec_id,
            process=json.dumps(spec.process).encode(),
            terminal=spec.terminal,
            stdin=spec.stdin,
            detach=spec.detach,
        )
        if spec.size is not None:
            start.size.CopyFrom(_resize(spec.size))
        async for response in self._stub.Exec(_exec_requests(start, inputs), **LONG):
            yield _exec_event(response)


def _create_request(task: NewTask) -> pb.CreateTaskRequest:
    io = task.io
    request = pb.CreateTaskRequest(
        id=task.id,
        spec=json.dumps(task.spec).encode(),
        rootfs=[to_proto(m, types_pb2.Mount()) for m in task.rootfs],
        io=pb.IOConfig(
            terminal=io.terminal,
            stdin=io.stdin,
            log_path=io.log_path,
            log=pb.LogOptions(max_size=io.log_max_size, max_files=io.log_max_files),
        ),
        runtime=task.runtime,
    )
    if io.console_size is not None:
        request.io.console_size.CopyFrom(_resize(io.console_size))
    return request


def _status(status: int) -> str:
    name = pb.TaskStatus.Name(status).removeprefix("TASK_STATUS_").lower()
    return name if name in TASK_STATUSES else "unknown"


def _exit_status(status: pb.ExitStatus) -> ExitStatus:
    return ExitStatus(
        exit_code=status.exit_code,
        exited_at=status.exited_at.ToDatetime(tzinfo=UTC) if status.HasField("exited_at") else None,
        oom_killed=status.oom_killed,
        error=status.error,
    )


def _resize(size: Resize) -> pb.Resize:
    return pb.Resize(width=size.width, height=size.height)


def _input(item: Input, stdin: bool) -> dict[str, Any] | None:
    """The request fields for one input; None for stdin the process was not given."""
    if isinstance(item, Resize):
        return {"resize": _resize(item)}
    if not stdin:
        return None
    if isinstance(item, Stdin):
        return {"stdin": item.data}
    return {"close_stdin": True} if isinstance(item, CloseStdin) else None


async def _attach_requests(
    start: pb.AttachStart, inputs: AsyncIterator[Input]
) -> AsyncIterator[pb.AttachRequest]:
    yield pb.AttachRequest(start=start)
    with contextlib.suppress(asyncio.CancelledError):  # the call ended: stop reading inputs
        async for item in inputs:
            fields = _input(item, start.stdin)
            if fields is not None:
                yield pb.AttachRequest(**fields)


async def _exec_requests(
    start: pb.ExecStart, inputs: AsyncIterator[Input]
) -> AsyncIterator[pb.ExecRequest]:
    yield pb.ExecRequest(start=start)
    async for item in inputs:
        fields = _input(item, stdin=True)
        if fields is not None:
            yield pb.ExecRequest(**fields)


async def _outputs(responses: AsyncIterator[pb.AttachResponse]) -> AsyncIterator[Output]:
    async for chunk in responses:
        if chunk.HasField("stderr"):
            yield Output("stderr", chunk.stderr)
        elif chunk.HasField("stdout"):
            yield Output("stdout", chunk.stdout)


def _exec_event(response: pb.ExecResponse) -> ExecEvent:
    kind = response.WhichOneof("msg")
    if kind == "pid":
        return ExecStarted(response.pid)
    if kind == "exit":
        return _exit_status(response.exit)
    if kind == "stderr":
        return Output("stderr", response.stderr)
    return Output("stdout", response.stdout)
