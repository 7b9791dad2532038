"""The attached side of `run`, `create` and `start -a`: pulling a missing image with progress,
streaming stdin in and output out, a terminal in raw mode with -t, and the exit code.

Output is written as raw bytes the moment it arrives. Stdin is read by a thread (so a pipe, a
file and a terminal all work) and sent in chunks; its end closes the container's stdin. With
-t, the client's terminal is put in raw mode (restored on every way out), its size is sent at
start and on every SIGWINCH, and Ctrl-P Ctrl-Q detaches, as docker does. Without -t, SIGINT and
SIGTERM are passed on to the container (docker's --sig-proxy).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from dockyard.cli.engine import Stubs
from dockyard.cli.names import familiar
from dockyard.cli.progress import PullPrinter

DETACH_KEYS = b"\x10\x11"  # Ctrl-P Ctrl-Q


async def pull_if_missing(
    stubs: Stubs, image: str, platform: Any = None, always: bool = False, quiet: bool = False
) -> None:
    """create's pull: of a missing image (or of another platform than asked), or `always`
    (--pull always: docker's progress without "Unable to find image"); `quiet` (-q) says
    nothing of it, as docker's."""
    from dockyard.api.errors import NotFound
    from dockyard.images.v1 import images_pb2

    try:
        found = await stubs.images.Inspect(images_pb2.GetImageRequest(ref=image))
        if not always and (platform is None or _of_platform(found, platform)):
            return
    except NotFound:
        pass
    if not always and not quiet:
        sys.stderr.write(f"Unable to find image '{display(image)}' locally\n")
    printer = PullPrinter(sys.stderr)
    from dockyard.cli.auth import lookup

    request = images_pb2.PullRequest(ref=image, auth=lookup(image), platform=platform)
    async for progress in stubs.images.Pull(request, timeout=None):
        if not quiet:
            printer.show(progress)
    if not quiet:
        printer.done()
    if platform is not None:  # a registry with one manifest gives the one it has
        pulled = await stubs.images.Inspect(images_pb2.GetImageRequest(ref=image))
        if not _of_platform(pulled, platform):
            wanted = "/".join(
                p for p in (platform.os, platform.architecture, platform.variant) if p
            )
            raise NotFound(
                f"image with reference {image} was found but does not match the specified "
                f"platform: wanted {wanted}, actual: {pulled.os}/{pulled.architecture}"
            )


def _of_platform(image: Any, platform: Any) -> bool:
    """--platform: an image of another platform is as good as missing (docker pulls)."""
    wanted = (platform.os, platform.architecture, platform.variant)
    have = (image.os, image.architecture, image.variant)
    return all(not w or w == h for w, h in zip(wanted, have, strict=True))


def display(image: str) -> str:
    """docker's form in "Unable to find image …": the familiar name with its tag."""
    name = familiar(image)
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in name else f"{name}:latest"


async def run_stream(
    stubs: Stubs,
    request: Any,
    detach: bool,
    interactive: bool,
    tty: bool,
    platform: Any = None,
    keys: bytes = DETACH_KEYS,
    created: Callable[[str], None] | None = None,
    pull: str = "missing",
    quiet: bool = False,
    sig_proxy: bool = True,
) -> int:
    """`run`: the stream to the engine; `keys` detach a terminal session, `created` is told
    the new container's ID (--cidfile); `quiet` (-q) hides a pull, `sig_proxy` passes SIGINT
    and SIGTERM on to the container (--sig-proxy, off with -t)."""
    from dockyard.api.errors import DockyardError
    from dockyard.cli import timings
    from dockyard.cli.auth import lookup
    from dockyard.cli.client import CREATED
    from dockyard.engine.v1 import engine_pb2 as pb

    options = pb.RunOptions(
        create=request,
        detach=detach,
        auth=lookup(request.config.image),
        platform=platform,
        pull=pull,
    )
    raw = tty and interactive and sys.stdin.isatty()
    if tty:
        width, height = terminal_size()
        options.size.CopyFrom(pb.Resize(width=width, height=height))
    inputs: asyncio.Queue[Any] = asyncio.Queue()
    inputs.put_nowait(pb.RunInput(options=options))
    session = _Session(stubs, inputs, raw, created)
    session.missing_only = pull != "always"  # "Unable to find image" before a pull's progress
    session.quiet, session.sig_proxy = quiet, sig_proxy
    session.print_id = detach or not (request.config.attach_stdout or request.config.attach_stderr)
    with raw_mode(raw):
        if interactive and not detach:
            read_stdin(inputs, raw, pb.RunInput, keys)
        call = stubs.containers.Run(
            drain(inputs), timeout=None, metadata=timings.request_metadata()
        )
        try:
            code = await session.follow(call, detach, request)
        except DockyardError as err:
            if session.container_id:
                err.add_note(CREATED)
            raise
    await timings.collect(call)
    return code


class _Session:
    def __init__(
        self,
        stubs: Stubs,
        inputs: asyncio.Queue[Any],
        raw: bool,
        created: Callable[[str], None] | None = None,
    ) -> None:
        from dockyard.engine.v1 import engine_pb2 as pb

        self._message_type = pb.RunInput
        self._created = created
        self.print_id = False  # detached, or attached to no output (-a stdin): say the ID
        self._stubs = stubs
        self._inputs = inputs
        self._raw = raw
        self.container_id = ""
        self.missing_only = True
        self.quiet = False
        self.sig_proxy = True

    async def follow(self, outputs: AsyncIterator[Any], detach: bool, request: Any) -> int:
        printer: PullPrinter | None = None
        out, err = sys.stdout.buffer, sys.stderr.buffer
        async for message in outputs:
            kind = message.WhichOneof("msg")
            if kind == "stdout" or kind == "stderr":
                stream = out if kind == "stdout" else err
                stream.write(message.stdout if kind == "stdout" else message.stderr)
                stream.flush()
            elif kind == "pull" and not self.quiet:
                if printer is None:
                    if self.missing_only:
                        image = display(request.config.image)
                        sys.stderr.write(f"Unable to find image '{image}' locally\n")
                    printer = PullPrinter(sys.stderr)
                printer.show(message.pull)
            elif kind == "container_id":
                self._started(message.container_id, detach, printer)
            elif kind == "warning":
                sys.stderr.write(f"WARNING: {message.warning}\n")
            elif kind == "exited":
                return int(message.exited.status_code)
        return 0

    def _started(self, container_id: str, detach: bool, printer: PullPrinter | None) -> None:
        if printer is not None:
            printer.done()
        self.container_id = container_id
        if self._created is not None:
            self._created(container_id)
        if self.print_id:
            print(container_id, flush=True)
        if detach:
            return
        elif self._raw:
            watch_size(self._inputs, self._message_type)
        elif self.sig_proxy:
            self._proxy_signals()

    def _proxy_signals(self) -> None:
        self._pending = proxy_signals(self._stubs, self.container_id)


def proxy_signals(stubs: Stubs, container_id: str) -> set[asyncio.Task[Any]]:
    """SIGINT and SIGTERM passed on to the container (docker's ForwardAllSignals); the set
    holds the kill calls under way."""
    from dockyard.engine.v1 import engine_pb2 as pb

    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[Any]] = set()

    def forward(name: str) -> None:
        request = pb.KillContainerRequest(id=container_id, signal=name)
        task = loop.create_task(stubs.containers.Kill(request))
        pending.add(task)
        task.add_done_callback(pending.discard)

    for signum, name in ((signal.SIGINT, "INT"), (signal.SIGTERM, "TERM")):
        with contextlib.suppress(ValueError, RuntimeError):
            loop.add_signal_handler(signum, forward, name)
    return pending


def watch_size(inputs: asyncio.Queue[Any], message_type: Any) -> None:
    """Send the terminal's size whenever it changes (SIGWINCH)."""
    from dockyard.engine.v1 import engine_pb2 as pb

    def resized() -> None:
        width, height = terminal_size()
        inputs.put_nowait(message_type(resize=pb.Resize(width=width, height=height)))

    with contextlib.suppress(ValueError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGWINCH, resized)


async def drain(inputs: asyncio.Queue[Any]) -> AsyncIterator[Any]:
    while True:
        item = await inputs.get()
        if item is None:
            return
        yield item


def read_stdin(
    inputs: asyncio.Queue[Any], raw: bool, message_type: Any, keys: bytes = DETACH_KEYS
) -> None:
    """A thread reads fd 0 and queues chunks; EOF (or the detach `keys` with a tty) ends it."""
    loop = asyncio.get_running_loop()

    def put(item: Any) -> None:
        loop.call_soon_threadsafe(inputs.put_nowait, item)

    def reader() -> None:
        tail = b""  # the last bytes read, for a key sequence split between two reads
        while True:
            try:
                chunk = os.read(0, 64 * 1024)
            except OSError:
                chunk = b""
            if raw and keys and keys in tail + chunk:
                sys.stderr.write("\r\nread escape sequence\r\n")
                os._exit(0)
            if not chunk:
                put(message_type(close_stdin=True))
                return
            tail = (tail + chunk)[-(len(keys) - 1) :] if len(keys) > 1 else b""
            put(message_type(stdin=chunk))

    threading.Thread(target=reader, name="stdin", daemon=True).start()


def check_tty(interactive: bool, tty: bool) -> None:
    """-it needs a terminal on stdin, as docker's CheckTty."""
    if interactive and tty and not os.isatty(0):
        sys.stderr.write("the input device is not a TTY\n")
        sys.exit(1)


def terminal_size() -> tuple[int, int]:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
        return size.columns, size.lines
    except OSError:
        return 80, 24


@contextlib.contextmanager
def raw_mode(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(0)
    tty.setraw(0, termios.TCSANOW)  # not TCSAFLUSH (the default): keep what was typed ahead
    try:
        yield
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)


async def relay(outputs: Any) -> int:
    """Write stdout/stderr as they come; return the `exited` code (0 when there is none)."""
    async for message in outputs:
        kind = message.WhichOneof("msg")
        if kind in ("stdout", "stderr"):
            stream = sys.stdout.buffer if kind == "stdout" else sys.stderr.buffer
            stream.write(getattr(message, kind))
            stream.flush()
        elif kind == "exited":
            return int(message.exited.status_code)
    return 0


async def start_attached(stubs: Stubs, name: str) -> int:
    """`start -a`: start, stream the output written since, return the exit code."""
    from dockyard.engine.v1 import engine_pb2 as pb

    since = time.time_ns()
    found = await stubs.containers.Inspect(pb.InspectContainerRequest(id=name))
    await stubs.containers.Start(pb.StartContainerRequest(id=name))
    if not found.config.tty:  # docker's start -a: signals proxied unless a terminal
        _pending = proxy_signals(stubs, found.id)
    request = pb.LogsRequest(id=name, follow=True, stdout=True, stderr=True)
    request.since.FromNanoseconds(since)
    async for entry in stubs.containers.Logs(request, timeout=None):
        stream = sys.stdout.buffer if entry.stream == "stdout" else sys.stderr.buffer
        stream.write(entry.data)
        stream.flush()
    reply = await stubs.containers.Wait(pb.WaitContainerRequest(id=name), timeout=None)
    return int(reply.status_code)


async def start_interactive(stubs: Stubs, name: str, keys: bytes) -> int:
    """`start -i`: attach (stdin too) before the start, as docker's start does, then relay
    until the container ends (or the detach `keys` on a terminal); its exit code."""
    from dockyard.engine.v1 import engine_pb2 as pb

    found = await stubs.containers.Inspect(pb.InspectContainerRequest(id=name))
    stdin, tty = found.config.open_stdin, found.config.tty
    raw = stdin and tty and sys.stdin.isatty()
    inputs: asyncio.Queue[Any] = asyncio.Queue()
    options = pb.AttachOptions(id=found.id, stdin=stdin, stdout=True, stderr=True)
    options.before_start = True
    inputs.put_nowait(pb.AttachInput(options=options))
    outputs = stubs.containers.Attach(drain(inputs), timeout=None)
    await anext(aiter(outputs))  # `attached`: in place before the process runs
    await stubs.containers.Start(pb.StartContainerRequest(id=found.id))
    if not tty:
        _pending = proxy_signals(stubs, found.id)
    with raw_mode(raw):
        if stdin:
            read_stdin(inputs, raw, pb.AttachInput, keys)
        if raw:
            width, height = terminal_size()
            inputs.put_nowait(pb.AttachInput(resize=pb.Resize(width=width, height=height)))
            watch_size(inputs, pb.AttachInput)
        await relay(outputs)
    reply = await stubs.containers.Wait(pb.WaitContainerRequest(id=found.id), timeout=None)
    return int(reply.status_code)
