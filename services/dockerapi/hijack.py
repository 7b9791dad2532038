"""Connections taken over for attach and exec start, and docker's stream framing.

A client asks with `Connection: Upgrade` and `Upgrade: tcp`; the answer is `101 UPGRADED`, and
from then on the connection carries raw bytes: the client's stdin one way, the process's output
the other. Without a terminal the output is multiplexed, each chunk behind an 8-byte header
(stream 1 stdout or 2 stderr, three zero bytes, the size as a big-endian uint32); with one it
is the terminal's raw bytes. Logs use the same framing over a plain chunked reply.

The client half-closes its side when its stdin ends (the docker CLI does, after `docker run -i`
reads EOF) and still reads the output: asyncio would close the whole connection on that EOF, so
the transport gets a protocol of ours that keeps it open and tells the reader instead, and that
passes everything else (flow control, the loss of the connection) on to aiohttp's.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from aiohttp import web

RAW = "application/vnd.docker.raw-stream"
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
STDIN, STDOUT, STDERR = 0, 1, 2


def frame(stream: int, data: bytes) -> bytes:
    """One multiplexed frame: [stream, 0, 0, 0, size (big-endian uint32)] + data."""
    return struct.pack(">BxxxL", stream, len(data)) + data


def content_type(tty: bool, version: tuple[int, int]) -> str:
    return RAW if tty or version < (1, 42) else MULTIPLEXED


def wants_upgrade(request: web.Request) -> bool:
    connection = request.headers.get("Connection", "").lower()
    return "upgrade" in connection and request.headers.get("Upgrade", "").lower() == "tcp"


class _Sink:
    """Where the client's bytes go: aiohttp's parser interface (the bytes it had buffered
    after the request) and ours (from the transport) feed one StreamReader."""

    def __init__(self) -> None:
        self.reader = asyncio.StreamReader()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if data:
            self.reader.feed_data(data)
        return False, b""

    def feed_eof(self) -> None:
        if not self.reader.at_eof():
            self.reader.feed_eof()


class _KeepOpen(asyncio.Protocol):
    """The transport's protocol once hijacked: see the module docstring."""

    def __init__(self, inner: Any, sink: _Sink, lost: asyncio.Event) -> None:
        self._inner = inner
        self._sink = sink
        self._lost = lost

    def data_received(self, data: bytes) -> None:
        self._sink.feed_data(data)

    def eof_received(self) -> bool:
        self._sink.feed_eof()
        return True  # keep our side open: the output goes on

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._sink.feed_eof()
        self._lost.set()
        self._inner.connection_lost(exc)


class Hijacked:
    """A connection after `101 UPGRADED` (or, for a client that did not ask to upgrade, a
    plain 200 reply streaming the output, with no input)."""

    def __init__(self, response: web.StreamResponse, reader: asyncio.StreamReader | None) -> None:
        self.response = response
        self._reader = reader
        self.lost = asyncio.Event()

    @classmethod
    async def accept(cls, request: web.Request, media_type: str) -> Hijacked:
        if not wants_upgrade(request):
            response = web.StreamResponse(headers={"Content-Type": RAW})
            await response.prepare(request)
            return cls(response, None)
        headers = {"Content-Type": media_type, "Connection": "Upgrade", "Upgrade": "tcp"}
        response = web.StreamResponse(status=101, reason="UPGRADED", headers=headers)
        response.force_close()  # after the stream, the connection ends (no next request)
        await response.prepare(request)
        sink = _Sink()
        hijacked = cls(response, sink.reader)
        protocol, transport = request.protocol, request.transport
        protocol.set_parser(sink)  # type: ignore[arg-type]  # bytes it already buffered
        if transport is not None:
            transport.set_protocol(_KeepOpen(protocol, sink, hijacked.lost))
        return hijacked

    async def read(self) -> bytes:
        """The client's next bytes; b"" once it has closed its side (or never had one)."""
        if self._reader is None:
            return b""
        return await self._reader.read(64 * 1024)

    async def write(self, data: bytes) -> None:
        await self.response.write(data)

    async def close(self) -> web.StreamResponse:
        """End the output (the connection closes after it)."""
        await self.response.write_eof()
        return self.response
