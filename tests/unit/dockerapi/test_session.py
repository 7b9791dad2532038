"""One attached session without a server: the client's half-close closes the process's stdin
(without a terminal, with StdinOnce) or ends the session (with one); output is framed without
a terminal and raw with one; a lost client ends it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi.hijack import frame
from dockyard.services.dockerapi.session import Inputs, relay


class FakeClient:
    def __init__(self, typed: list[bytes]) -> None:
        self._typed = list(typed)
        self.written = b""
        self.lost = asyncio.Event()

    async def read(self) -> bytes:
        await asyncio.sleep(0)
        return self._typed.pop(0) if self._typed else b""

    async def write(self, data: bytes) -> None:
        self.written += data


async def _outputs(*chunks: bytes, gate: asyncio.Event | None = None) -> AsyncIterator[Any]:
    if gate is not None:
        await gate.wait()
    for chunk in chunks:
        yield engine_pb2.AttachOutput(stdout=chunk)
    yield engine_pb2.AttachOutput(stderr=b"e")


async def _sent(inputs: Inputs) -> list[str]:
    return [m.WhichOneof("msg") async for m in inputs]


async def test_without_a_terminal_the_half_close_closes_stdin_and_output_goes_on() -> None:
    client, gate = FakeClient([b"in"]), asyncio.Event()
    inputs = Inputs(engine_pb2.AttachInput(options=engine_pb2.AttachOptions(id="c")))
    asyncio.get_running_loop().call_later(0.05, gate.set)  # output after the input ended
    await relay(client, _outputs(b"o", gate=gate), inputs, engine_pb2.AttachInput, False, True)
    assert client.written == frame(1, b"o") + frame(2, b"e")
    assert await _sent(inputs) == ["options", "stdin", "close_stdin"]


async def test_with_a_terminal_the_half_close_ends_the_session_stdin_left_open() -> None:
    client, gate = FakeClient([b"ls\r"]), asyncio.Event()
    inputs = Inputs(engine_pb2.AttachInput(options=engine_pb2.AttachOptions(id="c")))
    await relay(client, _outputs(b"never", gate=gate), inputs, engine_pb2.AttachInput, True, True)
    assert client.written == b""
    assert await _sent(inputs) == ["options", "stdin"]


async def test_a_terminals_output_is_raw() -> None:
    client = FakeClient([])
    inputs = Inputs(engine_pb2.AttachInput(options=engine_pb2.AttachOptions(id="c")))
    client_reads_forever = asyncio.Event()
    client.read = lambda: client_reads_forever.wait()  # type: ignore[assignment,method-assign,return-value]
    await relay(client, _outputs(b"raw"), inputs, engine_pb2.AttachInput, True, False)
    assert client.written == b"rawe"


async def test_a_lost_client_ends_the_session() -> None:
    client, gate = FakeClient([]), asyncio.Event()
    never = asyncio.Event()
    client.read = lambda: never.wait()  # type: ignore[assignment,method-assign,return-value]
    inputs = Inputs(engine_pb2.AttachInput(options=engine_pb2.AttachOptions(id="c")))
    asyncio.get_running_loop().call_later(0.05, client.lost.set)
    await asyncio.wait_for(
        relay(client, _outputs(b"x", gate=gate), inputs, engine_pb2.AttachInput, False, False), 5
    )
    assert client.written == b""
