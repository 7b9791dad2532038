"""One process the shim supervises (the container's init, or an exec): its stdio, who listens.

Output read from the process's pipes (or pty master) goes to its json-file log (the init's
only) and to every attached stream; stdin from attached streams is buffered and written as the
pipe accepts it. The process is *done* once it has exited and its output has drained: only then
are waits answered and attach streams ended, so nothing it wrote is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.shim.logfile import JsonLog


@dataclass
class ExitRecord:
    code: int
    at_ns: int
    oom_killed: bool = False


@dataclass
class Stdio:
    stdin: int | None = None  # our end: we write
    stdout: int | None = None  # our end: we read
    stderr: int | None = None
    master: int | None = None  # a pty master, when terminal (read and write)

    def outputs(self) -> list[int]:
        return [fd for fd in (self.stdout, self.stderr, self.master) if fd is not None]

    def input(self) -> int | None:
        return self.master if self.master is not None else self.stdin

    def resize(self, width: int, height: int) -> None:
        """The pty's window size (a process on it gets SIGWINCH); nothing without a pty."""
        if self.master is not None:
            size = struct.pack("HHHH", height, width, 0, 0)
            with contextlib.suppress(OSError):
                fcntl.ioctl(self.master, termios.TIOCSWINSZ, size)

    def close(self) -> None:
        for fd in (self.stdin, self.stdout, self.stderr, self.master):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.stdin = self.stdout = self.stderr = self.master = None


Listener = tuple[object, int]  # (client, stream id)


@dataclass
class Process:
    id: str  # "" for the init, the exec ID otherwise
    pid: int = 0
    stdio: Stdio = field(default_factory=Stdio)
    log: JsonLog | None = None
    exit: ExitRecord | None = None
    open_outputs: set[int] = field(default_factory=set)
    attaches: dict[Listener, bool] = field(default_factory=dict)  # listener → forwards stdin
    waits: list[Listener] = field(default_factory=list)
    stdin_buffer: bytes = b""
    stdin_closing: bool = False
    finished: bool = False

    def output_started(self) -> None:
        self.open_outputs = set(self.stdio.outputs())

    def stream_of(self, fd: int) -> str:
        return "stderr" if fd == self.stdio.stderr else "stdout"

    def record(self, data: bytes, fd: int) -> None:
        if self.log is not None:
            self.log.write(self.stream_of(fd), data)

    def output_ended(self, fd: int) -> bool:
        """Forget `fd`; True once no output is left open."""
        self.open_outputs.discard(fd)
        if not self.open_outputs and self.log is not None:
            self.log.flush()
        return not self.open_outputs

    def reaped(self, status: int) -> None:
        code = os.waitstatus_to_exitcode(status)
        self.exit = ExitRecord(code if code >= 0 else 128 - code, time.time_ns())

    @property
    def done(self) -> bool:
        return self.exit is not None and not self.open_outputs

    def queue_stdin(self, data: bytes) -> None:
        self.stdin_buffer += data

    def flush_stdin(self) -> bool:
        """Write what we can; True when the buffer is empty (BlockingIOError: try later)."""
        fd = self.stdio.input()
        if fd is None:
            self.stdin_buffer = b""
            return True
        try:
            while self.stdin_buffer:
                self.stdin_buffer = self.stdin_buffer[os.write(fd, self.stdin_buffer) :]
        except BlockingIOError:
            return False
        except OSError:  # the process closed its end
            self.stdin_buffer = b""
        if self.stdin_closing and self.stdio.stdin is not None and not self.stdin_buffer:
            os.close(self.stdio.stdin)
            self.stdio.stdin = None
        return True

    def drop_listener(self, matches: Callable[[Listener], bool]) -> None:
        for listener in [k for k in self.attaches if matches(k)]:
            del self.attaches[listener]
        self.waits = [w for w in self.waits if not matches(w)]
