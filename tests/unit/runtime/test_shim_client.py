"""The runtime's shim client against a scripted shim on a real UNIX socket: requests and
responses paired by stream, errors raised as the class the shim names, and a shim that goes
away ending every open stream with ShimGone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from dockyard.api import errors, framing
from dockyard.runtime.shim.v1 import shim_pb2 as pb
from dockyard.services.runtime.shim_client import ShimConnection, ShimGone

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def requests(reader: asyncio.StreamReader) -> AsyncIterator[tuple[int, pb.Request]]:
    decoder = framing.Decoder()
    while data := await reader.read(65536):
        for frame in decoder.feed(data):
            request = pb.Request()
            request.ParseFromString(frame.payload)
            yield frame.stream, request


def reply(
    writer: asyncio.StreamWriter, stream: int, response: pb.Response, end: bool = False
) -> None:
    flags = framing.END if end else 0
    writer.write(framing.encode(stream, response.SerializeToString(), flags))


@pytest.fixture
async def shim(tmp_path: Path) -> AsyncIterator[Callable[[Script], Awaitable[ShimConnection]]]:
    servers: list[asyncio.Server] = []
    connections: list[ShimConnection] = []
    handled: list[asyncio.Future[None]] = []

    async def start(script: Script) -> ShimConnection:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        handled.append(done)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await script(reader, writer)
            finally:
                writer.close()
                done.set_result(None)

        path = tmp_path / f"shim{len(servers)}.sock"
        servers.append(await asyncio.start_unix_server(serve, str(path)))
        connections.append(await ShimConnection.connect(path))
        return connections[-1]

    yield start
    for connection in connections:
        await connection.close()
    async with asyncio.timeout(5):
        await asyncio.gather(*handled)
    for server in servers:
        server.close()
        await server.wait_closed()


async def echo_pids(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers `pids` with the stream's id, `kill` with an error, `wait` only after `start`."""
    waiting: list[int] = []
    async for stream, request in requests(reader):
        kind = request.WhichOneof("op")
        if kind == "pids":
            reply(writer, stream, pb.Response(pids=pb.Pids(pids=[stream])))
        elif kind == "kill":
            error = pb.Error(kind="FailedPrecondition", message="task is not running")
            reply(writer, stream, pb.Response(error=error))
        elif kind == "wait":
            waiting.append(stream)
        elif kind == "start":
            for waiter in waiting:
                reply(writer, waiter, pb.Response(exit=pb.Exit(exit_code=3)), end=True)
            reply(writer, stream, pb.Response(state=pb.State(pid=77)))
        await writer.drain()


async def test_calls_are_paired_by_stream(
    shim: Callable[[Script], Awaitable[ShimConnection]],
) -> None:
    connection = await shim(echo_pids)
    first, second = await asyncio.gather(
        connection.call(pb.Request(pids=pb.Empty())), connection.call(pb.Request(pids=pb.Empty()))
    )
    assert first.pids.pids != second.pids.pids


async def test_a_shim_error_is_raised_as_its_class(
    shim: Callable[[Script], Awaitable[ShimConnection]],
) -> None:
    connection = await shim(echo_pids)
    with pytest.raises(errors.FailedPrecondition, match="task is not running"):
        await connection.call(pb.Request(kill=pb.Kill(signal=9)))


async def test_a_long_stream_gets_its_answer_and_its_end(
    shim: Callable[[Script], Awaitable[ShimConnection]],
) -> None:
    connection = await shim(echo_pids)
    wait = connection.open()
    await wait.send(pb.Request(wait=pb.Empty()))
    started = await connection.call(pb.Request(start=pb.Empty()))
    assert started.state.pid == 77
    assert [r.exit.exit_code async for r in wait.responses()] == [3]


async def test_a_shim_that_goes_away_ends_every_stream(
    shim: Callable[[Script], Awaitable[ShimConnection]],
) -> None:
    async def dies(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async for _ in requests(reader):
            return  # the shim dies with the connection

    connection = await shim(dies)
    wait = connection.open()
    await wait.send(pb.Request(wait=pb.Empty()))
    with pytest.raises(ShimGone):
        await wait.next()
    assert connection.gone
    with pytest.raises(ShimGone):
        await connection.call(pb.Request(state=pb.Empty()))
    with pytest.raises(ShimGone):
        await connection.open().next()


async def test_a_broken_frame_drops_the_connection(
    shim: Callable[[Script], Awaitable[ShimConnection]],
) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async for _ in requests(reader):
            writer.write(framing.HEADER.pack(framing.MAX_FRAME + 1, 1, 0))
            await writer.drain()

    connection = await shim(garbage)
    with pytest.raises(ShimGone):
        await connection.call(pb.Request(state=pb.Empty()))
    assert connection.gone


async def test_frames_for_unknown_streams_are_ignored(
    shim: Callable[[Script], Awaitable[ShimConnection]],
) -> None:
    async def stray(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async for stream, _ in requests(reader):
            reply(writer, stream + 100, pb.Response(attached=True))
            reply(writer, stream, pb.Response(attached=True))
            await writer.drain()

    connection = await shim(stray)
    response = await connection.call(pb.Request(attach=pb.Attach(stdin=True)))
    assert response.attached
