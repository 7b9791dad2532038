"""The runtime's side of the shim protocol: one asyncio connection per shim.

A reader task splits incoming frames by stream into queues. `call` is a unary exchange; `open`
starts a long one (attach, wait) whose responses arrive on a `Stream` and which can carry more
requests (stdin). When the shim goes away every open stream ends with `ShimGone`, which is how
the runtime learns that a shim died.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

from dockyard.api import errors, framing
from dockyard.runtime.shim.v1 import shim_pb2 as pb
from google.protobuf.message import DecodeError

CALL_SECONDS = 60.0


class ShimGone(errors.Unavailable):
    """The shim's connection closed: the shim exited or was killed."""


class Stream:
    def __init__(self, connection: ShimConnection, stream_id: int) -> None:
        self._connection = connection
        self.id = stream_id
        self.queue: asyncio.Queue[pb.Response | None] = asyncio.Queue()

    async def send(self, request: pb.Request) -> None:
        await self._connection.send(self.id, request)

    async def next(self) -> pb.Response | None:
        """The next response; None when the stream ended; ShimGone when the shim did."""
        response = await self.queue.get()
        if response is None and self._connection.gone:
            raise ShimGone("the shim went away")
        return response

    async def responses(self) -> AsyncIterator[pb.Response]:
        while (response := await self.next()) is not None:
            yield response

    def close(self) -> None:
        self._connection.forget(self.id)


class ShimConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._streams: dict[int, Stream] = {}
        self._ids = itertools.count(1, 2)
        self._write_lock = asyncio.Lock()
        self.gone = False
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, path: Path) -> ShimConnection:
        reader, writer = await asyncio.open_unix_connection(str(path))
        return cls(reader, writer)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    def open(self) -> Stream:
        stream = Stream(self, next(self._ids))
        self._streams[stream.id] = stream
        if self.gone:
            stream.queue.put_nowait(None)
        return stream

    def forget(self, stream_id: int) -> None:
        self._streams.pop(stream_id, None)

    async def send(self, stream_id: int, request: pb.Request) -> None:
        if self.gone:
            raise ShimGone("the shim went away")
        async with self._write_lock:
            self._writer.write(framing.encode(stream_id, request.SerializeToString()))
            try:
                await self._writer.drain()
            except OSError as err:
                raise ShimGone(f"the shim went away: {err}") from None

    async def call(self, request: pb.Request, seconds: float = CALL_SECONDS) -> pb.Response:
        """One request, one response; a shim error is raised as the class it names."""
        stream = self.open()
        try:
            await stream.send(request)
            async with asyncio.timeout(seconds):
                response = await stream.next()
        finally:
            stream.close()
        if response is None:
            raise ShimGone("the shim closed the stream")
        raise_error(response)
        return response

    async def _read(self) -> None:
        decoder = framing.Decoder()
        try:
            while data := await self._reader.read(64 * 1024):
                for frame in decoder.feed(data):
                    self._deliver(frame)
        except (OSError, framing.FrameError, DecodeError):
            pass  # a shim that closed, or sent what is not a response: gone either way
        finally:
            self.gone = True
            for stream in self._streams.values():
                stream.queue.put_nowait(None)

    def _deliver(self, frame: framing.Frame) -> None:
        stream = self._streams.get(frame.stream)
        if stream is None:
            return
        if frame.payload:
            response = pb.Response()
            response.ParseFromString(frame.payload)
            if response.WhichOneof("r") is not None:
                stream.queue.put_nowait(response)
        if frame.end:
            stream.queue.put_nowait(None)


def raise_error(response: pb.Response) -> None:
    if response.HasField("error"):
        cls = errors.by_name(response.error.kind) or errors.Internal
        raise cls(response.error.message)
