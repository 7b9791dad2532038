"""The runtime's gRPC adapter (dockyard.runtime.v1.Tasks): convert, call `tasks`, convert."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from dockyard.api import errors
from dockyard.api.config import DaemonConfig
from dockyard.runtime.shim.v1 import shim_pb2
from dockyard.runtime.v1 import runtime_pb2 as pb
from dockyard.runtime.v1 import runtime_pb2_grpc
from dockyard.services.runtime import realtime
from dockyard.services.runtime.runtimes import oci_runtime
from dockyard.services.runtime.shim_client import Stream
from dockyard.services.runtime.tasks import Exit, Task, Tasks
from google.protobuf import empty_pb2

Context = Any
_STATUS = {
    "paused": pb.TASK_STATUS_PAUSED,
    "created": pb.TASK_STATUS_CREATED,
    "running": pb.TASK_STATUS_RUNNING,
    "stopped": pb.TASK_STATUS_STOPPED,
}


class TasksServicer(runtime_pb2_grpc.TasksServicer):
    def __init__(self, tasks: Tasks, config: DaemonConfig | None = None) -> None:
        self._tasks = tasks
        self._config = config or DaemonConfig()

    async def Create(
        self, request: pb.CreateTaskRequest, context: Context
    ) -> pb.CreateTaskResponse:
        argv = oci_runtime(request.runtime, self._config)
        io = request.io
        create = shim_pb2.Create(
            rootfs=[
                shim_pb2.Mount(type=m.type, source=m.source, options=list(m.options))
                for m in request.rootfs
            ],
            terminal=io.terminal,
            stdin=io.stdin,
            log_path=io.log_path,
            log_max_size=io.log.max_size,
            log_max_files=io.log.max_files,
            width=io.console_size.width,
            height=io.console_size.height,
        )
        realtime.give_budget(request.spec, self._config)
        task = await self._tasks.create(request.id, request.spec, create, request.runtime, argv)
        return pb.CreateTaskResponse(pid=task.pid)

    async def Start(self, request: pb.StartTaskRequest, context: Context) -> pb.StartTaskResponse:
        task = await self._tasks.start(request.id)
        return pb.StartTaskResponse(pid=task.pid)

    async def Kill(self, request: pb.KillTaskRequest, context: Context) -> empty_pb2.Empty:
        await self._tasks.kill(request.id, request.signal, request.all)
        return empty_pb2.Empty()

    async def Delete(
        self, request: pb.DeleteTaskRequest, context: Context
    ) -> pb.DeleteTaskResponse:
        task = await self._tasks.delete(request.id)
        return pb.DeleteTaskResponse(exit=_exit(task.exit), pid=task.pid)

    async def Get(self, request: pb.GetTaskRequest, context: Context) -> pb.Task:
        return _task(self._tasks.get(request.id))

    async def List(self, request: pb.ListTasksRequest, context: Context) -> pb.ListTasksResponse:
        return pb.ListTasksResponse(tasks=[_task(t) for t in self._tasks.all()])

    async def Wait(self, request: pb.WaitTaskRequest, context: Context) -> pb.ExitStatus:
        return _exit(await self._tasks.wait(request.id))

    async def Attach(
        self, request_iterator: AsyncIterator[pb.AttachRequest], context: Context
    ) -> AsyncIterator[pb.AttachResponse]:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("start"):
            raise errors.InvalidArgument("the first attach message must be `start`")
        stream = await self._tasks.attach(first.start.id, first.start.stdin)
        feeder = asyncio.create_task(_feed(stream, request_iterator))
        try:
            yield pb.AttachResponse(attached=True)
            async for response in stream.responses():
                if response.HasField("stdout") and first.start.stdout:
                    yield pb.AttachResponse(stdout=response.stdout)
                elif response.HasField("stderr") and first.start.stderr:
                    yield pb.AttachResponse(stderr=response.stderr)
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError, errors.DockyardError):
                await feeder
            stream.close()

    async def Pause(self, request: pb.TaskRequest, context: Context) -> empty_pb2.Empty:
        await self._tasks.pause(request.id)
        return empty_pb2.Empty()

    async def Resume(self, request: pb.TaskRequest, context: Context) -> empty_pb2.Empty:
        await self._tasks.resume(request.id)
        return empty_pb2.Empty()

    async def Update(self, request: pb.UpdateTaskRequest, context: Context) -> empty_pb2.Empty:
        await self._tasks.update(request.id, request.resources)
        return empty_pb2.Empty()

    async def Stats(self, request: pb.TaskRequest, context: Context) -> pb.TaskStats:
        stats = await self._tasks.stats(request.id)
        reply = pb.TaskStats(
            cpu_usage_ns=stats.cpu_usage_ns,
            system_cpu_ns=stats.system_cpu_ns,
            online_cpus=stats.online_cpus,
            memory_usage=stats.memory_usage,
            memory_limit=stats.memory_limit,
            memory_cache=stats.memory_cache,
            pids_current=stats.pids_current,
            pids_limit=stats.pids_limit,
            net_rx=stats.net_rx,
            net_tx=stats.net_tx,
            block_read=stats.block_read,
            block_write=stats.block_write,
        )
        reply.read.GetCurrentTime()
        return reply

    async def Pids(self, request: pb.TaskRequest, context: Context) -> pb.PidsResponse:
        return pb.PidsResponse(pids=await self._tasks.pids(request.id))

    async def Exec(
        self, request_iterator: AsyncIterator[pb.ExecRequest], context: Context
    ) -> AsyncIterator[pb.ExecResponse]:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("start"):
            raise errors.InvalidArgument("the first exec message must be `start`")
        start = first.start
        exec_ = shim_pb2.Exec(
            exec_id=start.exec_id,
            process=start.process,
            terminal=start.terminal,
            stdin=start.stdin,
            detach=start.detach,
        )
        if start.terminal and start.HasField("size"):
            exec_.width, exec_.height = start.size.width, start.size.height
        stream = await self._tasks.exec(start.id, exec_)
        feeder = asyncio.create_task(_feed(stream, request_iterator))
        try:
            if start.terminal and start.HasField("size"):  # for a shim older than the size
                resize = shim_pb2.Resize(width=start.size.width, height=start.size.height)
                await stream.send(shim_pb2.Request(resize=resize))
            async for response in stream.responses():
                yield _exec_response(response)
        finally:
            feeder.cancel()
            with contextlib.suppress(asyncio.CancelledError, errors.DockyardError):
                await feeder
            stream.close()


async def _feed(stream: Stream, requests: AsyncIterator[Any]) -> None:
    async for request in requests:
        kind = request.WhichOneof("msg")
        if kind == "stdin":
            await stream.send(shim_pb2.Request(stdin=request.stdin))
        elif kind == "resize":
            resize = shim_pb2.Resize(width=request.resize.width, height=request.resize.height)
            await stream.send(shim_pb2.Request(resize=resize))
        elif kind == "close_stdin":
            await stream.send(shim_pb2.Request(close_stdin=shim_pb2.Empty()))


def _exec_response(response: shim_pb2.Response) -> pb.ExecResponse:
    kind = response.WhichOneof("r")
    if kind == "error":
        cls = errors.by_name(response.error.kind) or errors.Internal
        raise cls(response.error.message)
    if kind == "exec_started":
        return pb.ExecResponse(pid=response.exec_started)
    if kind == "stdout":
        return pb.ExecResponse(stdout=response.stdout)
    if kind == "stderr":
        return pb.ExecResponse(stderr=response.stderr)
    exit_ = response.exit
    status = pb.ExitStatus(exit_code=exit_.exit_code)
    status.exited_at.FromNanoseconds(exit_.exited_at_ns)
    return pb.ExecResponse(exit=status)


def _exit(exit_: Exit | None) -> pb.ExitStatus:
    if exit_ is None:
        return pb.ExitStatus()
    status = pb.ExitStatus(exit_code=exit_.code, oom_killed=exit_.oom_killed, error=exit_.error)
    status.exited_at.FromNanoseconds(exit_.at_ns)
    return status


def _task(task: Task) -> pb.Task:
    message = pb.Task(
        id=task.id,
        pid=task.pid,
        status=_STATUS.get(task.status, pb.TASK_STATUS_UNKNOWN),
        terminal=task.terminal,
        bundle=str(task.bundle),
        runtime=task.runtime,
    )
    if task.exit is not None:
        message.exit.CopyFrom(_exit(task.exit))
    return message
