"""How a service process starts, serves on its UNIX socket and stops; and how it dials others.

Each service's `__main__` is one call:

    def main() -> None:
        bootstrap.run("images", setup)

where `setup(server, options)` is an async context manager that registers the service's
servicers on `server` and owns its resources while it serves (databases, clients, tasks).

Lifecycle: parse --root/--state/--config → configure logging → make the root, state, data
and runtime dirs and the databases private (`private.py`; again once set up) → take the
single-instance lock (`<state>/<service>.lock`, so a second copy for the same state dir refuses
to start) → enter setup → bind the socket (replacing a stale one) → serve → on SIGTERM or SIGINT stop accepting
calls and give those in flight a grace period → leave setup, which releases its resources →
remove the socket. The socket is bound last, so "the socket listens" means "ready". While it
serves, memory freed by a burst of work goes back to the kernel once the service is quiet
(`trim.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

import grpc

from dockyard.api import errors, private, trim
from dockyard.api.config import DaemonConfig
from dockyard.api.paths import DEFAULT_CONFIG, Paths
from dockyard.api.status import ErrorInterceptor, translators
from dockyard.api.timings_rpc import TimingsInterceptor, asking

log = logging.getLogger(__name__)

GRACE_SECONDS = 3.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
)
OWN_CONNECTION = (("grpc.use_local_subchannel_pool", 1),)  # no connection shared with a sibling


@dataclass(frozen=True)
class ServiceOptions:
    name: str  # "images", "snapshots", "runtime", "network", "engine"
    paths: Paths
    config: DaemonConfig
    config_path: Path
    debug: bool = False

    @property
    def data_dir(self) -> Path:
        """The service's persistent directory, `<root>/<name>` (created at start)."""
        return self.paths.data(self.name)

    @property
    def run_dir(self) -> Path:
        """The service's runtime directory, `<state>/<name>` (created at start)."""
        return self.paths.run(self.name)


Setup = Callable[[grpc.aio.Server, ServiceOptions], AbstractAsyncContextManager[None]]


def parse_args(name: str, argv: list[str] | None = None) -> ServiceOptions:
    arguments = sys.argv[1:] if argv is None else argv
    args = _plain(arguments) or _parser(name).parse_args(arguments)
    config_arg = args.config or os.environ.get("DOCKYARD_CONFIG")
    config_path = Path(config_arg or DEFAULT_CONFIG)
    try:
        config = DaemonConfig.load(config_path, required=config_arg is not None)
    except errors.DockyardError as err:
        sys.stderr.write(f"dockyard-{name}: {err}\n")
        sys.exit(2)
    return ServiceOptions(
        name, Paths.from_env(args.root, args.state), config, config_path, args.debug
    )


def _parser(name: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"dockyard-{name}", description=f"the {name} service")
    parser.add_argument("--root", help="persistent data dir (env DOCKYARD_ROOT)")
    parser.add_argument("--state", help="runtime state dir (env DOCKYARD_STATE)")
    parser.add_argument("--config", help="daemon.json (env DOCKYARD_CONFIG)")
    parser.add_argument("--debug", action="store_true", help="log at debug level")
    return parser


def _plain(arguments: list[str]) -> argparse.Namespace | None:
    """The command line the supervisor gives its services (`--root R --state S [--config C]
    [--debug]`, each once) read without argparse, whose first use copies ~0.65 MiB of the
    preload's pages into a forked service; None for anything else (--help, a typo, --root=R),
    which argparse reads and answers."""
    values: dict[str, str | bool] = {"--root": "", "--state": "", "--config": "", "--debug": False}
    words = iter(arguments)
    for word in words:
        if word == "--debug" and values["--debug"] is False:
            values["--debug"] = True
        elif values.get(word) == "" and (value := next(words, "")) and not value.startswith("-"):
            values[word] = value
        else:
            return None
    return argparse.Namespace(
        root=values["--root"] or None,
        state=values["--state"] or None,
        config=values["--config"] or None,
        debug=values["--debug"],
    )


def run(name: str, setup: Setup, argv: list[str] | None = None) -> None:
    """Run the service `name` until SIGTERM/SIGINT (see the module docstring)."""
    options = parse_args(name, argv)
    logging.basicConfig(
        level=logging.DEBUG if options.debug else logging.INFO,
        format=f"%(asctime)s %(levelname)s {name}[%(process)d] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        asyncio.run(_serve(options, setup))
    except errors.DockyardError as err:
        sys.exit(f"dockyard-{name}: {err}")


async def _serve(options: ServiceOptions, setup: Setup) -> None:
    paths = options.paths
    for directory in (paths.root, paths.state, options.data_dir, options.run_dir):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private(options)
    lock = lock_file(options.paths.state / f"{options.name}.lock", options.name)
    socket = options.paths.socket(options.name)
    interceptors = [TimingsInterceptor(), ErrorInterceptor(options.name)]
    server = grpc.aio.server(interceptors=interceptors, options=CHANNEL_OPTIONS)
    try:
        async with setup(server, options):
            _private(options)  # and the databases the set-up has just made
            with contextlib.suppress(FileNotFoundError):
                socket.unlink()  # stale: the lock proves no other copy of us owns it
            server.add_insecure_port(f"unix://{socket}")
            await server.start()
            os.chmod(socket, 0o660)
            log.info("serving on %s", socket)
            trimming = asyncio.create_task(trim.trim_when_quiet())
            try:
                await _until_signalled()
            finally:
                trimming.cancel()
            log.info("stopping")
            await server.stop(GRACE_SECONDS)
    finally:
        with contextlib.suppress(FileNotFoundError):
            socket.unlink()
        os.close(lock)


def _private(options: ServiceOptions) -> None:
    for change in private.secure(options.paths, options.name):
        log.info("made private: %s", change)


def lock_file(path: Path, name: str) -> int:
    """Take `path`'s lock (one process per state dir) and write our pid in it; its fd."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise errors.FailedPrecondition(f"already running for state dir {path.parent}") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def dial(address: str, name: str, own_connection: bool = False) -> grpc.aio.Channel:
    """A channel to `address` ("unix:///…") whose calls raise Dockyard errors (and pass on a
    request's question for timings, timings_rpc.py).

        Call it inside a coroutine: grpc.aio binds a channel to the running loop. `name` is how
        errors name the peer ("dockyard-images at unix:///run/dockyard/images.sock").
        `own_connection`: the channel connects on its own, never taking over the connection
        of another channel of this process to the same address (gRPC shares them by default),
        which may be one to a process that has since died and not be known to be dead yet.
    """
    target = f"{name} at {address}"
    options = (*CHANNEL_OPTIONS, *(OWN_CONNECTION if own_connection else ()))
    return grpc.aio.insecure_channel(
        address, options=options, interceptors=[*translators(target), *asking()]
    )


def dial_service(paths: Paths, service: str) -> grpc.aio.Channel:
    """A channel to a sibling service of the same engine."""
    label = "dockyardd" if service == "engine" else f"dockyard-{service}"
    return dial(paths.address(service), label)
