"""The `dockyard` command's client: hands the command to the engine's command server, or runs it.

Starting Python with typer, gRPC and protobuf costs ~0.3 s on every command, so (as Mercurial's
chg does) the engine keeps a preloaded *command server* (`commandserver.py`) that forks a child
per command. This client is standard library only and runs as `python -IS` (no site, no
environment, ~8 ms): it connects to `cli.sock` beside the engine's socket (the directory of
`-H`/`DOCKYARD_HOST`), sends argv, environment, working directory and umask, passes its
stdin/stdout/stderr with SCM_RIGHTS (unix(7)), forwards the signals it gets (Ctrl-C, SIGTERM,
SIGWINCH, ...) to the child through a pidfd the child sends (pidfd_send_signal(2)), and ends
as the child ended: with its exit code, or killed by its signal.

It runs the command in-process instead when no server answers (no engine; `daemon start`
itself), when the server belongs to another installation or its code changed on disk since it
started ("stale"), for `daemon ...` (those verbs start and stop the engine that hosts the
server), and when one of fds 0-2 is closed.

The same client in C (`launcher.c`, ~1 ms to start and end where this one takes ~9 ms) is
what deploy/install.sh installs as `dockyard` when a C compiler is there (`entrypoint.py`); it
runs a command in-process by exec of this module's `in_process` under `python -IS`. This script
stays the `dockyard` command without a compiler.

Wire format, both ways: frames of a 4-byte big-endian length and a marshal'ed dict (the
client and the server are one installation, so one Python; only root may connect).

    client → server   {"argv", "env", "cwd", "umask", "launcher", "ignored", "started"}
                      + fds 0, 1, 2 (argv, env, cwd, launcher: str, or the C client's bytes,
                      which the server decodes as os.fsdecode would: `text`)
    server → client   {"stale": why}, or the end of the stream: the client runs in-process
    child → client    {"pid": n} + a pidfd of the child: it runs (signals go to the pidfd)
                      {"exit": code}                        its own word, at its end
    server → client   {"exit": code, "reaped": true} or {"killed": signal, "reaped": true}
                                                            once it has reaped the child

The client ends on the first of the child's {"exit"} and the server's word (a death by a
signal is only the server's to tell): waiting for the server to reap the child would add the
child's teardown and the server's turn (~2 ms) to every command.
"""

from __future__ import annotations

import _socket as socket  # not `socket` or `signal`: their enums cost more than all the rest
import io
import marshal
import os
import struct
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from typing import Any, NoReturn
else:
    import _signal as signal

STARTED = time.time()
DEFAULT_HOST = "unix:///run/dockyard/dockyard.sock"
SOCKET_NAME = "cli.sock"
MAX_FRAME = 4 * 1024 * 1024
FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
)
IN_PROCESS_VERBS = ("daemon",)
HEADER = struct.Struct(">I")


# -- frames -----------------------------------------------------------------------------------


def send_frame(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> None:
    data = marshal.dumps(message)
    frame = HEADER.pack(len(data)) + data
    if fds:
        rights = struct.pack(f"{len(fds)}i", *fds)
        sent = sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)])
        frame = frame[sent:]
    if frame:  # nothing left: a peer that has already closed would answer EPIPE to b""
        sock.sendall(frame)


def text(value: object) -> str:
    """A str of the request as the Python client sends it: the C client sends bytes."""
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def split_frames(buffer: bytearray) -> list[dict[str, Any]]:
    """Take every whole frame off the front of `buffer`; ValueError on a malformed one."""
    frames = []
    while len(buffer) >= HEADER.size:
        (size,) = HEADER.unpack_from(buffer)
        if size > MAX_FRAME:
            raise ValueError(f"frame of {size} bytes")
        if len(buffer) < HEADER.size + size:
            break
        try:
            message = marshal.loads(bytes(buffer[HEADER.size : HEADER.size + size]))
        except (EOFError, TypeError) as err:
            raise ValueError(f"a malformed frame: {err}") from None
        del buffer[: HEADER.size + size]
        if not isinstance(message, dict):
            raise ValueError("a frame is not a dict")
        frames.append(message)
    return frames


# -- where the server is ----------------------------------------------------------------------


def global_host(args: list[str]) -> tuple[str | None, str]:
    """The -H/--host value given before the verb (or None), and the verb."""
    host = None
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in ("-H", "--host"):
            host = args[index + 1] if index + 1 < len(args) else None
            index += 2
            continue
        if arg.startswith("--host="):
            host = arg[len("--host=") :]
        elif arg.startswith("-H") and not arg.startswith("--"):
            host = arg[2:]
        elif not arg.startswith("-"):
            return host, arg
        index += 1
    return host, ""


def server_path(args: list[str], env: dict[str, str]) -> str | None:
    """`cli.sock` in the directory of the engine's socket, or None (not a UNIX socket)."""
    host, _ = global_host(args)
    address = host or env.get("DOCKYARD_HOST") or DEFAULT_HOST
    if address.startswith("unix://"):
        address = address[len("unix://") :]
    elif address.startswith("unix:"):
        address = address[len("unix:") :]
    elif "://" in address:
        return None
    return os.path.join(os.path.dirname(address) or ".", SOCKET_NAME)


def connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    return sock


def request(args: list[str]) -> dict[str, Any]:
    mask = os.umask(0o022)
    os.umask(mask)
    return {
        "argv": [sys.argv[0], *args],
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "umask": mask,
        "launcher": os.path.realpath(__file__),
        "ignored": ignored(),
        "started": STARTED,
    }


def ignored() -> list[int]:
    """Signals ignored here (`nohup` ignores SIGHUP): the child ignores them too."""
    return [s for s in (*FORWARDED, signal.SIGTSTP) if signal.getsignal(s) == signal.SIG_IGN]


def stdio_open() -> bool:
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    return True


# -- a command through the server ---------------------------------------------------------------


class Remote:
    """One command run by the server: forwards signals, then ends as the child ended."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.frames: list[dict[str, Any]] = []
        self.saved_tty = _tty_attributes()
        self.held: list[int] | None = None  # signals that came before the child ran
        self.previous: dict[int, Any] = {}
        self.received: list[int] = []  # fds that came with frames: the child's pidfd
        self.pidfd = -1

    def start(self, message: dict[str, Any]) -> bool:
        """Send the command; False when the server is stale (nothing has run). Signals are
        caught from before the request goes: those that come before the child runs are held,
        then forwarded, or (stale server) given back to this process as they came."""
        self.held = []
        self.catch_signals()
        try:  # noqa: SIM105 - contextlib costs an import
            send_frame(self.sock, message, [0, 1, 2])
        except OSError:
            pass  # the server may have run the command, finished and closed already: read on
        try:
            first = self.next_frame()
        except (OSError, ValueError):
            first = None
        held, self.held = self.held, None
        if first is None or "pid" not in first or not self.received:
            for signum, handler in self.previous.items():
                signal.signal(signum, handler)
            for signum in held:
                signal.raise_signal(signum)
            return False
        self.pidfd = self.received[0]
        for signum in held:
            self.on_signal(signum)
        return True

    def catch_signals(self) -> None:
        skip = ignored()
        for signum in (*FORWARDED, signal.SIGTSTP):
            if signum not in skip:
                self.previous[signum] = signal.signal(signum, self.on_signal)

    def on_signal(self, signum: int, frame: object = None) -> None:
        if self.held is not None:
            self.held.append(signum)
        elif signum == signal.SIGTSTP:
            self.suspend()
        else:
            self.forward(signum)

    def forward(self, signum: int) -> None:
        try:  # noqa: SIM105 - contextlib costs an import
            signal.pidfd_send_signal(self.pidfd, signum)
        except OSError:
            pass  # the child has ended: its end is on its way

    def suspend(self) -> None:
        """Ctrl-Z: stop the child, then ourselves; on `fg`, continue both. The child gets
        SIGSTOP: its process group (the engine's) is orphaned, and the kernel discards SIGTSTP
        sent to an orphaned process group (signal(7), setpgid(2))."""
        self.forward(signal.SIGSTOP)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)
        signal.signal(signal.SIGTSTP, self.on_signal)  # we run again: SIGCONT came
        self.forward(signal.SIGCONT)

    def ended(self) -> dict[str, Any]:
        """The first of the child's own {"exit"} and the server's word; {} if none came."""
        while True:
            try:
                message = self.next_frame()
            except (OSError, ValueError):
                return {}
            if message is None or "exit" in message or "killed" in message:
                return message or {}

    def next_frame(self) -> dict[str, Any] | None:
        while not self.frames:
            chunk, ancillary, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(4))
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    self.received += struct.unpack(f"{len(data) // 4}i", data[: len(data) // 4 * 4])
            if not chunk:
                return None
            self.buffer += chunk
            self.frames += split_frames(self.buffer)
        return self.frames.pop(0)

    def finish(self) -> NoReturn:
        """Wait for the child's end; exit as it did."""
        ended = self.ended()
        _restore_tty(self.saved_tty)
        if "killed" in ended:
            _die_by(int(ended["killed"]))
        code = int(ended.get("exit", 125)) & 0xFF
        if "exit" not in ended:
            sys.stderr.write(
                "dockyard: the command ended without saying how (the server went away)\n"
            )
            sys.stderr.flush()
        os._exit(code)  # nothing of ours to finalize: the interpreter's teardown costs ~2 ms


def _tty_attributes() -> list[Any] | None:
    if not os.isatty(0):
        return None
    import termios

    try:
        return termios.tcgetattr(0)
    except termios.error:
        return None


def _restore_tty(saved: list[Any] | None) -> None:
    """The child restores the terminal on every normal way out; this covers the others."""
    if saved is None:
        return
    import termios

    try:
        if termios.tcgetattr(0) != saved:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
    except termios.error:
        pass


def _die_by(signum: int) -> NoReturn:
    signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # a signal whose default is not to terminate


# -- in-process -------------------------------------------------------------------------------


def reopen_stdio(env: dict[str, str] | os._Environ[str]) -> None:
    """Make sys.stdin/stdout/stderr for fds 0-2 as Python's start-up would under `env`
    (PYTHONUNBUFFERED, PYTHONIOENCODING; `-I` ignores them, the command server never saw them)."""
    encoding, _, errors = env.get("PYTHONIOENCODING", "").partition(":")
    encoding = encoding or "utf-8"
    unbuffered = bool(env.get("PYTHONUNBUFFERED"))
    streams = {
        "stdin": _stream(0, "r", encoding, errors or "strict", False),
        "stdout": _stream(1, "w", encoding, errors or "strict", unbuffered),
        "stderr": _stream(2, "w", encoding, "backslashreplace", unbuffered),
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _stream(
    fd: int, mode: str, encoding: str, errors: str, unbuffered: bool
) -> io.TextIOWrapper | None:
    """None for a closed fd, as Python's start-up makes sys.stdin of a closed fd 0."""
    try:
        os.fstat(fd)
    except OSError:
        return None
    # the stream lives as long as the process: no context manager
    binary: Any = open(fd, mode + "b", buffering=0 if unbuffered else -1, closefd=False)  # noqa: SIM115
    interactive = os.isatty(fd)
    line_buffered = mode == "w" and (interactive or fd == 2)
    return io.TextIOWrapper(
        binary, encoding, errors, "\n", line_buffering=line_buffered, write_through=unbuffered
    )


def run_in_process(args: list[str]) -> NoReturn:
    if sys.flags.no_site:  # started as `python -IS`: find the installed packages now
        import site

        site.main()
        reopen_stdio(os.environ)
    from dockyard.cli import timings
    from dockyard.cli.main import main as cli_main

    timings.started(STARTED)

    sys.argv = [sys.argv[0], *args]
    cli_main()
    sys.exit(0)


def in_process() -> NoReturn:
    """The C client's way in (launcher.c): `python -IS -c CODE ARGV0 ARGS...` runs the command
    here; the C client has decided that, so the server is not asked again."""
    del sys.argv[0]  # "-c"
    run_in_process(sys.argv[1:])


def main() -> NoReturn:
    args = sys.argv[1:]
    _, verb = global_host(args)
    if verb in IN_PROCESS_VERBS or os.environ.get("DOCKYARD_NO_SERVER") or not stdio_open():
        run_in_process(args)
    path = server_path(args, dict(os.environ))
    sock = connect(path) if path else None
    if sock is None:
        run_in_process(args)
    remote = Remote(sock)
    if not remote.start(request(args)):
        sock.close()
        run_in_process(args)
    remote.finish()


if __name__ == "__main__":
    main()
