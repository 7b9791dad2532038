"""What the terminal tests (the dockyard CLI's and the docker CLI's) share."""

from __future__ import annotations

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
