"""The container endpoints that stream: attach (a hijacked connection), resize, logs (framed
like attach, over a chunked reply) and stats (one JSON document, or one a second).

Attach to a container that is not running waits for its next start (the engine puts the attach
in place before the process runs), so `docker run` and `docker start -a` lose no output.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.api.gotime import rfc3339, rfc3339_ns
from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import STREAM, UNARY
from dockyard.services.dockerapi.hijack import STDERR, STDOUT, Hijacked, content_type, frame
from dockyard.services.dockerapi.router import Routes, engine_of, param, version_of
from dockyard.services.dockerapi.session import TERMINALS, Inputs, relay


def register(routes: Routes) -> None:
    routes.add("POST", "/containers/{id}/attach", attach)
    routes.add("POST", "/containers/{id}/resize", resize)
    routes.add("GET", "/containers/{id}/logs", logs)
    routes.add("GET", "/containers/{id}/stats", stats)


async def _container(request: web.Request) -> engine_pb2.Container:
    container: engine_pb2.Container = await engine_of(request).containers.Inspect(
        engine_pb2.InspectContainerRequest(id=param(request, "id")), **UNARY
    )
    return container


async def attach(request: web.Request) -> web.StreamResponse:
    c = await _container(request)
    tty = c.config.tty
    stdin = params.flag(request, "stdin") and c.config.open_stdin
    options = engine_pb2.AttachOptions(
        id=c.id,
        stdin=stdin,
        stdout=params.flag(request, "stdout"),
        stderr=params.flag(request, "stderr"),
        before_start=True,
    )
    inputs = Inputs(engine_pb2.AttachInput(options=options))
    call = engine_of(request).containers.Attach(aiter(inputs), **STREAM)
    outputs = aiter(call)
    if params.flag(request, "stream", True):
        first = await anext(outputs, None)  # `attached`: in place before we answer
        if first is None or first.WhichOneof("msg") != "attached":
            raise errors.Internal(f"the engine did not attach to {c.id[:12]}")
    else:
        call.cancel()
    client = await Hijacked.accept(request, content_type(tty, version_of(request)))
    if params.flag(request, "logs"):
        await _replay_logs(request, c, client, options)
    if params.flag(request, "stream", True):
        TERMINALS.add(c.id, inputs)
        try:
            await relay(client, outputs, inputs, engine_pb2.AttachInput, tty, c.config.stdin_once)
        finally:
            TERMINALS.discard(c.id, inputs)
            call.cancel()
    return await client.close()


async def _replay_logs(
    request: web.Request, c: engine_pb2.Container, client: Hijacked, options: Any
) -> None:
    query = engine_pb2.LogsRequest(id=c.id, stdout=options.stdout, stderr=options.stderr)
    async for entry in engine_of(request).containers.Logs(query, **STREAM):
        data = entry.data
        await client.write(data if c.config.tty else frame(_stream_of(entry), data))


def _stream_of(entry: engine_pb2.LogEntry) -> int:
    return STDERR if entry.stream == "stderr" else STDOUT


async def resize(request: web.Request) -> web.StreamResponse:
    c = await _container(request)
    size = _size(request)
    if not TERMINALS.resize(c.id, lambda: engine_pb2.AttachInput(resize=size)):
        await _resize_alone(request, c, size)
    return web.Response(status=200)


def _size(request: web.Request) -> engine_pb2.Resize:
    height, width = params.integer(request, "h", 0), params.integer(request, "w", 0)
    if not height or not width or height < 0 or width < 0:
        raise errors.InvalidArgument("invalid terminal size: h and w must be positive")
    return engine_pb2.Resize(width=width, height=height)


async def _resize_alone(
    request: web.Request, c: engine_pb2.Container, size: engine_pb2.Resize
) -> None:
    """No session holds the terminal: a short attach carries the resize."""
    if c.state.status not in ("running", "paused"):
        raise errors.FailedPrecondition(f"Container {c.id} is not running")
    inputs = Inputs(engine_pb2.AttachInput(options=engine_pb2.AttachOptions(id=c.id)))
    inputs.put(engine_pb2.AttachInput(resize=size))
    call = engine_of(request).containers.Attach(aiter(inputs), **STREAM)
    try:
        await anext(aiter(call), None)  # `attached`: the resize went before it
    finally:
        inputs.end()
        call.cancel()


async def logs(request: web.Request) -> web.StreamResponse:
    c = await _container(request)
    query = engine_pb2.LogsRequest(
        id=c.id,
        follow=params.flag(request, "follow"),
        stdout=params.flag(request, "stdout"),
        stderr=params.flag(request, "stderr"),
        timestamps=params.flag(request, "timestamps"),
        details=params.flag(request, "details"),
        tail=request.query.get("tail", "all") or "all",
    )
    if not query.stdout and not query.stderr:
        raise errors.InvalidArgument("Bad parameters: you must choose at least one stream")
    for name in ("since", "until"):
        value = request.query.get(name, "")
        if value and value != "0":
            getattr(query, name).FromNanoseconds(params.timestamp_ns(value, name))
    if c.host_config.log_config.type == "none":
        raise errors.FailedPrecondition("configured logging driver does not support reading")
    call = engine_of(request).containers.Logs(query, **STREAM)
    tty = c.config.tty
    response = web.StreamResponse(headers={"Content-Type": content_type(tty, version_of(request))})
    await response.prepare(request)  # at once: `logs -f` of a quiet container waits for them
    with contextlib.suppress(ConnectionError, errors.DockyardError):
        async for entry in call:
            data = entry.data
            if query.timestamps:
                data = rfc3339(entry.time).encode() + b" " + data
            await response.write(data if tty else frame(_stream_of(entry), data))
    call.cancel()
    await response.write_eof()
    return response


async def stats(request: web.Request) -> web.StreamResponse:
    c = await _container(request)
    stream = params.flag(request, "stream", True) and not params.flag(request, "one-shot")
    replies_stream = replies.JsonStream(request)
    if c.state.status not in ("running", "paused"):
        await replies_stream.send(empty_stats(c))  # docker: zeroes for a stopped container
        return await replies_stream.finish()
    samples = engine_of(request).containers.Stats(
        engine_pb2.StatsRequest(id=c.id, stream=stream), **STREAM
    )
    with contextlib.suppress(ConnectionError):
        async for sample in samples:
            await replies_stream.send(stats_json(c, sample))
    samples.cancel()
    return await replies_stream.finish()


def empty_stats(c: engine_pb2.Container) -> dict[str, Any]:
    return {
        "name": f"/{c.name}",
        "id": c.id,
        "read": "0001-01-01T00:00:00Z",
        "preread": "0001-01-01T00:00:00Z",
        "pids_stats": {},
        "blkio_stats": {},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
        "memory_stats": {},
    }


def stats_json(c: engine_pb2.Container, s: engine_pb2.ContainerStats) -> dict[str, Any]:
    read_ns = s.read.ToNanoseconds()
    return {
        "name": f"/{c.name}",
        "id": c.id,
        "read": rfc3339_ns(read_ns),
        "preread": rfc3339_ns(read_ns - 10**9),
        "pids_stats": {"current": s.pids},
        "blkio_stats": {
            "io_service_bytes_recursive": [
                {"major": 0, "minor": 0, "op": "read", "value": s.block_read},
                {"major": 0, "minor": 0, "op": "write", "value": s.block_write},
            ]
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": _cpu(s.cpu_usage_ns, s.system_cpu_ns, s.online_cpus),
        "precpu_stats": _cpu(s.pre_cpu_usage_ns, s.pre_system_cpu_ns, s.online_cpus),
        "memory_stats": {
            "usage": s.memory_usage,
            "stats": {"cache": s.memory_cache},
            "limit": s.memory_limit,
        },
        "networks": {
            "eth0": {
                "rx_bytes": s.net_rx,
                "rx_packets": 0,
                "rx_errors": 0,
                "rx_dropped": 0,
                "tx_bytes": s.net_tx,
                "tx_packets": 0,
                "tx_errors": 0,
                "tx_dropped": 0,
            }
        },
    }


def _cpu(usage: int, system: int, cpus: int) -> dict[str, Any]:
    return {
        "cpu_usage": {"total_usage": usage, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
        "system_cpu_usage": system,
        "online_cpus": cpus,
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    }
