"""`run -it` and `exec -it` on a real pseudo-terminal: size, resize, Ctrl-C, Ctrl-P Ctrl-Q."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Iterator

import pytest

from tests.support.engine import CLI, Engine
from tests.support.terminals import read_until, until_shown

pytestmark = pytest.mark.integration


class Terminal:
    """The CLI on the slave side of a pty we hold the master of, as a user's terminal."""

    def __init__(self, engine: Engine, *args: str, rows: int = 31, cols: int = 97) -> None:
        self.master, slave = pty.openpty()
        self.set_size(rows, cols, fd=slave)
        self.process = subprocess.Popen(
            [CLI, "-H", engine.host, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.seen = b""

    def set_size(self, rows: int, cols: int, fd: int | None = None) -> None:
        fcntl.ioctl(
            self.master if fd is None else fd,
            termios.TIOCSWINSZ,
            struct.pack("HHHH", rows, cols, 0, 0),
        )

    def resize(self, rows: int, cols: int) -> None:
        self.set_size(rows, cols)
        self.process.send_signal(signal.SIGWINCH)  # what the terminal emulator's kernel does

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def expect(self, token: bytes, seconds: float = 20) -> bytes:
        before, self.seen = read_until(self.master, self.seen, token, seconds)
        return before

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(engine: Engine) -> Iterator[list[Terminal]]:
    made: list[Terminal] = []
    yield made
    for term in made:
        term.close()


def test_run_it_size_resize_ctrl_c_and_detach(
    engine: Engine, busybox: str, terminal: list[Terminal]
) -> None:
    term = Terminal(engine, "run", "-it", "--name", "shell", busybox, "sh")
    terminal.append(term)
    term.expect(b"# ")
    term.type(b"stty size\r")
    term.expect(b"31 97")
    term.resize(40, 120)
    until_shown(term, b"stty size\r", b"40 120")
    term.type(b"sleep 600\r")
    time.sleep(0.5)
    term.type(b"\x03")  # Ctrl-C reaches the process in the container
    term.type(b"echo status-$?\r")
    term.expect(b"status-130")
    term.type(b"\x10\x11")  # Ctrl-P Ctrl-Q: detach, the container keeps running
    assert term.process.wait(timeout=20) == 0
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "shell") == "true\n"
    assert engine.cli("exec", "shell", "tty").stdout.startswith("not a tty")  # no -t: no pty
    pts = Terminal(engine, "exec", "-it", "shell", "sh", "-c", "stty size; tty", rows=12, cols=34)
    terminal.append(pts)
    pts.expect(b"12 34")
    pts.expect(b"/dev/pts/")
    assert pts.process.wait(timeout=20) == 0


def test_exit_of_a_tty_container_ends_the_client_with_its_code(
    engine: Engine, busybox: str, terminal: list[Terminal]
) -> None:
    term = Terminal(
        engine, "run", "--rm", "-it", busybox, "sh", "-c", "read line; echo got-$line; exit 5"
    )
    terminal.append(term)
    term.type(b"typed\r")  # typed ahead, before the container even runs: kept
    term.expect(b"got-typed")
    assert term.process.wait(timeout=20) == 5


def test_start_ai_attaches_stdin_with_its_detach_keys(
    engine: Engine, busybox: str, terminal: list[Terminal]
) -> None:
    """docker's start -ai: stdin attached before the start, the terminal's size, and
    --detach-keys in place of Ctrl-P Ctrl-Q."""
    engine.ok("create", "-it", "--name", "started-shell", busybox, "sh")
    term = Terminal(
        engine, "start", "-ai", "--detach-keys", "ctrl-x,y", "started-shell", rows=21, cols=77
    )
    terminal.append(term)
    term.expect(b"# ")
    term.type(b"stty size\r")
    term.expect(b"21 77")
    term.type(b"\x10\x11")  # Ctrl-P Ctrl-Q: no longer the keys
    term.type(b"\x15echo $((6*7))\r")  # Ctrl-U first: whatever they did to the line goes
    term.expect(b"42")
    assert term.process.poll() is None
    term.type(b"\x18y")  # Ctrl-X y: detach, the container keeps running
    assert term.process.wait(timeout=20) == 0
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "started-shell") == "true\n"


def test_start_i_feeds_stdin_without_a_terminal(engine: Engine, busybox: str) -> None:
    engine.ok("create", "-i", "--name", "started-cat", busybox, "sh", "-c", "cat; exit 3")
    done = engine.cli("start", "-i", "started-cat", input="piped in\n")
    assert (done.returncode, done.stdout) == (3, "piped in\n")
    bad = engine.cli("start", "-a", "--detach-keys", "ctrl-", "started-cat")
    assert (bad.returncode, bad.stderr) == (
        1,
        "Error response from daemon: Invalid detach keys (ctrl-) provided\n",
    )
    assert engine.ok("inspect", "-f", "{{.State.Status}}", "started-cat") == "exited\n"
