"""One attached session (attach or exec start): the client's bytes become the engine stream's
stdin messages, the engine's output becomes frames (or raw terminal bytes) to the client.

When the client's input ends (it half-closed): without a terminal, the process's stdin is
closed if `close_stdin` (docker's StdinOnce; always for exec) and the output goes on; with a
terminal the session ends, the process's stdin left open — as dockerd does. When the engine's
output ends, or the connection is lost, the session ends.

Resizes (`POST …/resize`) reach a live session through `Terminals`, keyed by container or
exec ID.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

from dockyard.api import errors
from dockyard.services.dockerapi.hijack import STDERR, STDOUT, Hijacked, frame

Message = Any  # an engine AttachInput or ExecInput


class Inputs:
    """The engine stream's requests: the options first, then what `put` adds, until `end`."""

    def __init__(self, first: Message) -> None:
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue()
        self._queue.put_nowait(first)

    def put(self, message: Message) -> None:
        self._queue.put_nowait(message)

    def end(self) -> None:
        self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[Message]:
        while (message := await self._queue.get()) is not None:
            yield message


class Terminals:
    """Live sessions by container or exec ID, for resizes."""

    def __init__(self) -> None:
        self._live: defaultdict[str, set[Inputs]] = defaultdict(set)

    def add(self, key: str, inputs: Inputs) -> None:
        self._live[key].add(inputs)

    def discard(self, key: str, inputs: Inputs) -> None:
        self._live[key].discard(inputs)
        if not self._live[key]:
            del self._live[key]

    def resize(self, key: str, make: Callable[[], Message]) -> bool:
        """Send a resize to every live session of `key`; False when there is none."""
        for inputs in self._live.get(key, ()):
            inputs.put(make())
        return key in self._live


TERMINALS = Terminals()


async def relay(
    client: Hijacked,
    outputs: AsyncIterator[Message],
    inputs: Inputs,
    message_type: Any,
    tty: bool,
    close_stdin: bool,
) -> None:
    """Run the session until the output ends, the terminal's input ends or the client goes."""
    pump = asyncio.create_task(_pump_input(client, inputs, message_type, tty, close_stdin))
    lost = asyncio.create_task(client.lost.wait())
    copy = asyncio.create_task(_copy_output(client, outputs, tty))
    try:
        await asyncio.wait({copy, lost, pump}, return_when=asyncio.FIRST_COMPLETED)
        if pump.done() and not pump.result() and not copy.done():
            await asyncio.wait({copy, lost}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pump, lost, copy):
            task.cancel()
        await asyncio.gather(pump, lost, copy, return_exceptions=True)
        inputs.end()


async def _pump_input(
    client: Hijacked, inputs: Inputs, message_type: Any, tty: bool, close_stdin: bool
) -> bool:
    """Forward the client's bytes; True when the session should end with the input."""
    while data := await client.read():
        inputs.put(message_type(stdin=data))
    if tty:
        return True
    if close_stdin:
        inputs.put(message_type(close_stdin=True))
    return False


async def _copy_output(client: Hijacked, outputs: AsyncIterator[Message], tty: bool) -> None:
    with contextlib.suppress(ConnectionError, errors.Cancelled):
        async for message in outputs:
            kind = message.WhichOneof("msg")
            if kind not in ("stdout", "stderr"):
                continue
            data = getattr(message, kind)
            await client.write(data if tty else frame(STDOUT if kind == "stdout" else STDERR, data))
