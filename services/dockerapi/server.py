"""The Docker API process: its listeners, and how it starts and stops.

Lifecycle, as every service's (`dockyard.api.bootstrap`): parse --root/--state/--config → take
`<state>/dockerapi.lock` → dial the engine → listen → serve until SIGTERM/SIGINT → stop.

Listeners: always `<state>/docker.sock` (created 0660, owned by root, as dockerd makes its
socket; the supervisor takes "it answers" for "ready"), plus daemon.json's `hosts`:
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
import ssl
import sys
from urllib.parse import urlsplit

from aiohttp import web
from dockyard.api import bootstrap, errors
from dockyard.api.bootstrap import ServiceOptions
from dockyard.api.config import DaemonConfig
from dockyard.services.dockerapi.engine import Engine
from dockyard.services.dockerapi.execs import EXECS
from dockyard.services.dockerapi.router import build_app

log = logging.getLogger(__name__)

NAME = "dockerapi"
SOCKET_MODE = 0o660
SHUTDOWN_SECONDS = 1.5  # aiohttp waits this for handlers, then as long again once cancelled


def main(argv: list[str] | None = None) -> None:
    options = bootstrap.parse_args(NAME, argv)
    logging.basicConfig(
        level=logging.DEBUG if options.debug else logging.INFO,
        format=f"%(asctime)s %(levelname)s {NAME}[%(process)d] %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        asyncio.run(serve(options, listeners(options)))
    except errors.DockyardError as err:
        sys.exit(f"dockyard-{NAME}: {err}")


async def serve(options: ServiceOptions, found: list[Listener]) -> None:
    options.paths.state.mkdir(parents=True, exist_ok=True, mode=0o711)
    lock = bootstrap.lock_file(options.paths.state / f"{NAME}.lock", NAME)
    engine = Engine(options.paths)
    runner = web.AppRunner(
        build_app(engine),
        handle_signals=False,
        access_log=None,
        shutdown_timeout=SHUTDOWN_SECONDS,  # streams (events, logs -f, attach) never end alone
    )
    try:
        await runner.setup()
        for listener in found:
            await _start(runner, listener)
        log.info("serving the Docker API on %s", ", ".join(f"{k}://{w}" for k, w, _ in found))
        await _until_signalled()
        log.info("stopping")
    finally:
        await runner.cleanup()
        await EXECS.close()
        await engine.close()
        for kind, where, _ in found:
            if kind == "unix":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(where)
        os.close(lock)


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


async def _start(runner: web.AppRunner, listener: Listener) -> None:
    kind, where, context = listener
    if kind == "unix":
        os.makedirs(os.path.dirname(where), mode=0o711, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(where)  # stale: the lock proves no other copy of us owns it
        # bound with a umask that leaves no moment at which others could connect
        old = os.umask(0o117)
        try:
            await web.UnixSite(runner, where).start()
        finally:
            os.umask(old)
        if os.geteuid() == 0:
            os.chown(where, 0, 0)
        os.chmod(where, SOCKET_MODE)
        return
    split = urlsplit(f"tcp://{where}")
    if not split.port:
        raise errors.InvalidArgument(f"invalid host tcp://{where}: a port is required")
    await web.TCPSite(runner, split.hostname or "0.0.0.0", split.port, ssl_context=context).start()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
