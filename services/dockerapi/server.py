"""The Docker API process: its listeners, and how it starts and stops.

Lifecycle, as every service's (`dockyard.api.bootstrap`), but activated by its first client as
docker's `docker.socket` activates dockerd: parse --root/--state/--config → take
`<state>/dockerapi.lock` → its listening sockets → dial the engine, build the application →
serve until SIGTERM/SIGINT → stop. Started by the supervisor, which listens for it and starts
it on a first connection, it is handed its sockets (sd_listen_fds(3): fds 3, 4, … and
LISTEN_FDS/LISTEN_PID; the supervisor keeps and removes them). Started alone (`python -m`, a
systemd unit), it binds them itself and waits in poll(2) for a first client before it builds
anything (`activation`), and removes them when it stops.

Listeners: always `<state>/docker.sock` (created 0660, owned by root, as dockerd makes its
socket; the supervisor takes "it listens" for "ready"), plus daemon.json's `hosts`:
`unix:///path` sockets likewise, and `tcp://addr:port` only with `tlsverify` and the CA,
certificate and key files — a TCP listener without client certificates is refused, as dockerd
refuses one: whoever reaches the Docker API is root on this host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import sys

from aiohttp import web
from dockyard.api import bootstrap, errors
from dockyard.api.bootstrap import ServiceOptions
from dockyard.api.config import DaemonConfig
from dockyard.services.dockerapi import activation
from dockyard.services.dockerapi.engine import Engine
from dockyard.services.dockerapi.execs import EXECS
from dockyard.services.dockerapi.router import build_app

log = logging.getLogger(__name__)

NAME = "dockerapi"
SHUTDOWN_SECONDS = 1.5  # aiohttp waits this for handlers, then as long again once cancelled


def main(argv: list[str] | None = None) -> None:
    options = bootstrap.parse_args(NAME, argv)
    logging.basicConfig(
        level=logging.DEBUG if options.debug else logging.INFO,
        format=f"%(asctime)s %(levelname)s {NAME}[%(process)d] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        found = listeners(options)
        options.paths.state.mkdir(parents=True, exist_ok=True, mode=0o711)
        lock = bootstrap.lock_file(options.paths.state / f"{NAME}.lock", NAME)
        try:
            _serve_when_asked(options, found)
        finally:
            os.close(lock)
    except errors.DockyardError as err:
        sys.exit(f"dockyard-{NAME}: {err}")


def _serve_when_asked(options: ServiceOptions, found: list[Listener]) -> None:
    passed = activation.passed(len(found))
    if passed:
        _serve_passed(options, found, passed)
        return
    bound: list[socket.socket] = []
    try:
        for kind, where, _ in found:
            bound.append(activation.bind(kind, where))
        log.info("listening on %s", ", ".join(f"{k}://{w}" for k, w, _ in found))
        activation.wait_for_client(bound)
        asyncio.run(serve(options, list(zip(found, bound, strict=True))))
    except activation.Stopped as signalled:
        log.info("stopping on %s (no client came)", signalled)
    finally:
        for (kind, where, _), sock in zip(found, bound, strict=False):
            sock.close()
            if kind == "unix":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(where)


def _serve_passed(
    options: ServiceOptions, found: list[Listener], passed: list[socket.socket]
) -> None:
    """Serve on the sockets the supervisor handed over; they and their files are its, unless
    it is gone by the time we stop (killed: then no one else removes them)."""
    supervisor = os.getppid()
    log.info("a client came on the sockets the supervisor listens on")
    try:
        asyncio.run(serve(options, list(zip(found, passed, strict=True))))
    finally:
        if os.getppid() != supervisor:
            for kind, where, _ in found:
                if kind == "unix":
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(where)


async def serve(options: ServiceOptions, bound: list[tuple[Listener, socket.socket]]) -> None:
    """Serve the Docker API on the `bound` listeners until SIGTERM/SIGINT."""
    engine = Engine(options.paths)
    runner = web.AppRunner(
        build_app(engine),
        handle_signals=False,
        access_log=None,
        shutdown_timeout=SHUTDOWN_SECONDS,  # streams (events, logs -f, attach) never end alone
    )
    try:
        await runner.setup()
        for (_, _, context), sock in bound:
            await web.SockSite(runner, sock, ssl_context=context).start()
        log.info("a client came: serving the Docker API")
        await _until_signalled()
        log.info("stopping")
    finally:
        await runner.cleanup()
        await EXECS.close()
        await engine.close()


Listener = tuple[str, str, ssl.SSLContext | None]


def listeners(options: ServiceOptions) -> list[Listener]:
    """("unix", path, None) and ("tcp", "host:port", TLS context) for each listener."""
    found: list[Listener] = [("unix", str(options.paths.socket(NAME)), None)]
    for host in options.config.hosts:
        scheme, _, rest = host.partition("://")
        if scheme == "unix" and rest:
            found.append(("unix", rest, None))
        elif scheme == "tcp" and rest:
            found.append(("tcp", rest, tls_context(options.config, host)))
        else:
            raise errors.InvalidArgument(
                f"invalid host {host!r}: want unix:///path or tcp://addr:port"
            )
    return found


def tls_context(config: DaemonConfig, host: str) -> ssl.SSLContext:
    """Server TLS that requires a client certificate signed by `tlscacert`."""
    files = (config.tls_ca_cert, config.tls_cert, config.tls_key)
    if not config.tls_verify or not all(files):
        raise errors.InvalidArgument(
            f"refusing to listen on {host} without TLS client authentication: set tlsverify, "
            "tlscacert, tlscert and tlskey (whoever reaches the API is root on this host)"
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=config.tls_ca_cert)
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as err:
        raise errors.InvalidArgument(f"cannot load the TLS certificate for {host}: {err}") from None
    return context


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
