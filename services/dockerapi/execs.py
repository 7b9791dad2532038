"""Exec: docker's create / start / inspect / resize over the engine's one Exec stream.

Create only records the config here (docker keeps exec configs in the daemon's memory too);
start opens the engine's stream, with the client's connection hijacked (or, detached, in a
task of ours that drains it), and records the exit code for inspect. A process that cannot be
started is docker's exit code 126, its reason written to the client's stream.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import STREAM, UNARY
from dockyard.services.dockerapi.hijack import Hijacked, content_type
from dockyard.services.dockerapi.router import Routes, engine_of, param, version_of
from dockyard.services.dockerapi.session import TERMINALS, Inputs, relay

log = logging.getLogger(__name__)

KEPT = 1024  # exec records kept (the oldest finished ones go first)
CANNOT_INVOKE = 126


@dataclass
class ExecRecord:
    id: str
    container_id: str
    config: dict[str, Any]
    running: bool = False
    exit_code: int | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def cmd(self) -> list[str]:
        return self.fields.texts("Cmd")

    @property
    def fields(self) -> params.Fields:
        return params.Fields(self.config)


class Execs:
    def __init__(self) -> None:
        self._records: OrderedDict[str, ExecRecord] = OrderedDict()

    def add(self, record: ExecRecord) -> None:
        self._records[record.id] = record
        while len(self._records) > KEPT:
            oldest = next((k for k, r in self._records.items() if not r.running), None)
            if oldest is None:
                break
            del self._records[oldest]

    def get(self, exec_id: str) -> ExecRecord:
        try:
            return self._records[exec_id]
        except KeyError:
            raise errors.NotFound(f"No such exec instance: {exec_id}") from None

    async def close(self) -> None:
        tasks = [t for r in self._records.values() for t in r.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


EXECS = Execs()


def register(routes: Routes) -> None:
    routes.add("POST", "/containers/{id}/exec", create)
    routes.add("POST", "/exec/{id}/start", start)
    routes.add("POST", "/exec/{id}/resize", resize)
    routes.add("GET", "/exec/{id}/json", inspect)


async def create(request: web.Request) -> web.StreamResponse:
    body = await params.body(request)
    c = await engine_of(request).containers.Inspect(
        engine_pb2.InspectContainerRequest(id=param(request, "id")), **UNARY
    )
    if c.state.status not in ("running", "paused"):
        raise errors.FailedPrecondition(f"Container {c.id} is not running")
    if c.state.paused:
        raise errors.FailedPrecondition(
            f"Container {c.id} is paused, unpause the container before exec"
        )
    fields = params.Fields(body)
    for key in ("Env", "Cmd"):
        fields.texts(key)  # the types are checked now, not at start
    for key in ("WorkingDir", "User", "DetachKeys"):
        fields.text(key)
    record = ExecRecord(secrets.token_hex(32), c.id, body)
    if not record.cmd:
        raise errors.InvalidArgument("No exec command specified")
    EXECS.add(record)
    return replies.reply({"Id": record.id}, 201)


def _options(record: ExecRecord, body: dict[str, Any]) -> engine_pb2.ExecOptions:
    c = record.fields
    tty = body.get("Tty", c.doc.get("Tty"))
    options = engine_pb2.ExecOptions(
        id=record.container_id,
        cmd=record.cmd,
        env=c.texts("Env"),
        working_dir=c.text("WorkingDir"),
        user=c.text("User"),
        tty=bool(tty),
        stdin=c.flag("AttachStdin"),
        privileged=c.flag("Privileged"),
        exec_id=record.id,  # the engine's events and ours name the exec alike
    )
    size = body.get("ConsoleSize") or c.doc.get("ConsoleSize")
    if options.tty and size and all(size):
        options.size.height, options.size.width = int(size[0]), int(size[1])
    return options


async def start(request: web.Request) -> web.StreamResponse:
    record = EXECS.get(param(request, "id"))
    body = await params.body(request)
    if record.running or record.exit_code is not None:
        raise errors.FailedPrecondition(f"Error: Exec command {record.id} is already running")
    options = _options(record, body)
    inputs = Inputs(engine_pb2.ExecInput(options=options))
    outputs = aiter(engine_of(request).containers.Exec(aiter(inputs), **STREAM))
    first = await anext(outputs, None)  # the exec ID: the engine took it
    if first is None or first.WhichOneof("msg") != "exec_id":
        raise errors.Internal(f"the engine did not start exec {record.id[:12]}")
    record.running = True
    output = ExecOutput(record, outputs)
    if body.get("Detach"):
        inputs.end()
        output.detach()
        return web.Response(status=200)
    TERMINALS.add(record.id, inputs)
    try:
        client = await Hijacked.accept(request, content_type(options.tty, version_of(request)))
        await relay(client, output.messages(), inputs, engine_pb2.ExecInput, options.tty, True)
        return await client.close()
    finally:
        TERMINALS.discard(record.id, inputs)
        output.detach()


async def _watch_exit(record: ExecRecord, outputs: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The engine's outputs, recording the exit code; a failed start becomes docker's 126."""
    try:
        async for message in outputs:
            if message.WhichOneof("msg") == "exited":
                record.exit_code = message.exited.status_code
            yield message
    except (errors.CommandNotFound, errors.CommandNotRunnable) as err:
        record.exit_code = CANNOT_INVOKE
        yield engine_pb2.ExecOutput(stdout=f"{err}\r\n".encode())  # as dockerd reports it
    finally:
        record.running = False


class ExecOutput:
    """The engine's exec stream, read by a task of its own: the process outlives its client
    (as docker's), so once the session is over (or with none, detached) the rest of its output
    is drained and only its exit code kept, for exec inspect."""

    def __init__(self, record: ExecRecord, outputs: AsyncIterator[Any]) -> None:
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=64)
        self._attached = True
        self._task = asyncio.create_task(self._read(record, outputs))
        record.tasks.add(self._task)
        self._task.add_done_callback(record.tasks.discard)

    async def _read(self, record: ExecRecord, outputs: AsyncIterator[Any]) -> None:
        try:
            async for message in _watch_exit(record, outputs):
                if self._attached:
                    await self._queue.put(message)
        except errors.DockyardError as err:
            log.info("exec %s ended: %s", record.id[:12], err)
        finally:
            if self._attached:
                await self._queue.put(None)

    async def messages(self) -> AsyncIterator[Any]:
        while (message := await self._queue.get()) is not None:
            yield message

    def detach(self) -> None:
        """No one reads any more: drop what is queued and the rest as it comes."""
        self._attached = False
        while not self._queue.empty():
            self._queue.get_nowait()


async def resize(request: web.Request) -> web.StreamResponse:
    record = EXECS.get(param(request, "id"))
    height, width = params.integer(request, "h", 0), params.integer(request, "w", 0)
    size = engine_pb2.Resize(width=width or 0, height=height or 0)
    if not TERMINALS.resize(record.id, lambda: engine_pb2.ExecInput(resize=size)):
        raise errors.FailedPrecondition(f"Exec {record.id} is not running with a terminal")
    return web.Response(status=201)


async def inspect(request: web.Request) -> web.StreamResponse:
    record = EXECS.get(param(request, "id"))
    c = record.config
    return replies.reply(
        {
            "CanRemove": False,
            "ContainerID": record.container_id,
            "DetachKeys": c.get("DetachKeys") or "",
            "ExitCode": record.exit_code,
            "ID": record.id,
            "OpenStderr": bool(c.get("AttachStderr")),
            "OpenStdin": bool(c.get("AttachStdin")),
            "OpenStdout": bool(c.get("AttachStdout")),
            "ProcessConfig": {
                "arguments": record.cmd[1:],
                "entrypoint": record.cmd[0] if record.cmd else "",
                "privileged": bool(c.get("Privileged")),
                "tty": bool(c.get("Tty")),
                "user": c.get("User") or "",
            },
            "Running": record.running,
            "Pid": 0,
        }
    )
