"""What the terminal tests (the dockyard CLI's and the docker CLI's) share."""

from __future__ import annotations

import os
import select
import time
from typing import Protocol


class Typed(Protocol):
    """A terminal a test types into and reads from (a pty's master side)."""

    def type(self, text: bytes) -> None: ...
    def expect(self, token: bytes, seconds: float = ...) -> bytes: ...


def until_shown(t: Typed, command: bytes, token: bytes, seconds: float = 30) -> None:
    """`command` typed again until `token` shows: the client passes a resize on (SIGWINCH, then
    a request to the engine) while the shell reads on, so a first try may see the old size."""
    deadline = time.monotonic() + seconds
    while True:
        t.type(command)
        try:
            t.expect(token, seconds=1)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def read_until(master: int, seen: bytes, token: bytes, seconds: float) -> tuple[bytes, bytes]:
    """Read a pty's master side until `token` shows in what it showed (`seen` so far): what
    came before the token, and what came after it (the next read's start)."""
    deadline = time.monotonic() + seconds
    while token not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{token!r} never came; the terminal showed {seen!r}")
        ready, _, _ = select.select([master], [], [], min(left, 0.2))
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:  # the client closed the terminal
                raise AssertionError(
                    f"{token!r} never came; the terminal showed {seen!r}"
                ) from None
    before, _, after = seen.partition(token)
    return before, after
