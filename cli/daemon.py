"""`dockyard daemon start|stop|status`: the engine's supervisor, as a background process.

`start` runs `python -m dockyard.services.supervisor` detached (its output appended to
`<root>/logs/supervisor.log`) and returns once every service answers; services that a killed
supervisor left running are adopted by the new one, so no container or client notices.
`status` reads the supervisor's `<state>/supervisor.json` or, when the supervisor is gone,
tells which services still run unsupervised. `stop` sends the supervisor SIGTERM and waits for
it to exit; with no supervisor it stops the services it finds (by the pids they record in the
state dir, checked to be ours: `dockyard.api.instances`). Containers keep running across a
stop and start (their shims outlive the services).

`status` exits as an LSB init script's `status` does (what `service docker status` gives):
0 when everything runs under its supervisor; 1 when something that should run is dead while
part of the engine runs (the supervisor was killed, or a service waits to be restarted);
3 when the engine is not running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(help="Start, stop and inspect the engine's services", no_args_is_help=True)

START_SECONDS = 60.0
STOP_SECONDS = 60.0
SERVICE_GRACE = 10.0  # as the supervisor gives each service
NOT_RUNNING = 3  # LSB: "program is not running"
UP = ("running", "listening")  # listening: the Docker API front, started by its first client
DEAD = 1  # LSB: "program is dead and /var/run pid file exists"
ROOT = typer.Option(None, "--root", help="persistent data dir (env DOCKYARD_ROOT)")
STATE_DIR = typer.Option(None, "--state", help="runtime state dir (env DOCKYARD_STATE)")


def _paths(root: str | None, state: str | None) -> Any:
    from dockyard.api.paths import Paths

    return Paths.from_env(root, state)


def _status(state: Path) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads((state / "supervisor.json").read_text())
        return found
    except (OSError, ValueError):
        return {}


@app.command()
def start(
    root: str = ROOT,
    state: str = STATE_DIR,
    config: str = typer.Option(None, "--config", help="daemon.json (env DOCKYARD_CONFIG)"),
    debug: bool = typer.Option(False, "--debug", help="log at debug level"),
) -> None:
    """Start the engine in the background; return once every service answers."""
    from dockyard.api import instances

    paths = _paths(root, state)
    if instances.running(paths, instances.SUPERVISOR):
        print(f"dockyard daemon is already running (state dir {paths.state})")
        return
    orphans = instances.running_services(paths)
    argv = [
        sys.executable,
        "-m",
        "dockyard.services.supervisor",
        "--root",
        str(paths.root),
        "--state",
        str(paths.state),
    ]
    if config or os.environ.get("DOCKYARD_CONFIG"):
        argv += ["--config", os.path.abspath(config or os.environ["DOCKYARD_CONFIG"])]
    if debug:
        argv.append("--debug")
    log = paths.log("supervisor")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )
    _wait_started(process, paths)
    adopted = f"; adopted the running {', '.join(orphans)}" if orphans else ""
    print(
        f"dockyard daemon started (pid {process.pid}{adopted}; "
        f"engine at unix://{paths.socket('engine')})"
    )


def _wait_started(process: subprocess.Popen[bytes], paths: Any) -> None:
    deadline = time.time() + START_SECONDS
    while time.time() < deadline:
        if process.poll() is not None:
            _fail_start(paths, f"the supervisor exited with {process.returncode}")
        doc = _status(paths.state)  # a killed supervisor's is there until the new one writes
        services = doc.get("services", {}) if doc.get("pid") == process.pid else {}
        if services and all(s["state"] in UP for s in services.values()):
            return
        time.sleep(0.05)
    _fail_start(paths, f"the services did not all start within {START_SECONDS:.0f}s")


def _fail_start(paths: Any, why: str) -> None:
    logs = sorted((paths.root / "logs").glob("*.log"))
    tail = []
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()[-5:]
        tail += [f"  {log.name}: {line}" for line in lines]
    sys.stderr.write(f"dockyard daemon failed to start: {why}\n" + "\n".join(tail) + "\n")
    sys.exit(1)


@app.command()
def stop(
    root: str = ROOT,
    state: str = STATE_DIR,
    stop_containers: bool = typer.Option(
        False, "--stop-containers", help="stop every container first (restart policies hold)"
    ),
) -> None:
    """Stop the engine's services (containers keep running unless --stop-containers)."""
    from dockyard.api import instances

    paths = _paths(root, state)
    supervisor = instances.pin(paths, instances.SUPERVISOR)
    if supervisor is None and not instances.running_services(paths):
        print("dockyard daemon is not running")
        return
    if stop_containers:
        _stop_containers(paths.state)
    if supervisor is None:
        _stop_unsupervised(paths)
    else:
        supervisor.signal(signal.SIGTERM)
        gone = supervisor.exited(STOP_SECONDS)
        supervisor.close()
        if not gone:
            sys.stderr.write(
                f"dockyard daemon (pid {supervisor.pid}) did not stop within {STOP_SECONDS:.0f}s\n"
            )
            sys.exit(1)
    print("dockyard daemon stopped")


def _stop_unsupervised(paths: Any) -> None:
    """Stop the services a killed supervisor left, in reverse start order (engine first)."""
    from dockyard.api import instances
    from dockyard.api.paths import SERVICES

    print("the supervisor is gone: stopping the services it left running")
    for name in reversed(SERVICES):
        service = instances.pin(paths, name)
        if service is not None:
            if not service.terminate(SERVICE_GRACE):
                sys.stderr.write(f"{name} (pid {service.pid}) did not stop\n")
            service.close()
    for leftover in ("supervisor.json", "supervisor.pid"):
        (paths.state / leftover).unlink(missing_ok=True)


def _stop_containers(state: Path) -> None:
    """Stop every running container through the engine, all at once (docker's shutdown)."""
    import asyncio

    from dockyard.cli.engine import Stubs, call
    from dockyard.cli.state import STATE
    from dockyard.engine.v1 import engine_pb2 as pb

    STATE.host = f"unix://{state / 'dockyard.sock'}"

    async def work(stubs: Stubs) -> int:
        listed = await stubs.containers.List(pb.ListContainersRequest())
        ids = [c.id for c in listed.containers]
        await asyncio.gather(
            *(stubs.containers.Stop(pb.StopContainerRequest(id=i, shutdown=True)) for i in ids)
        )
        return len(ids)

    stopped = call("daemon stop", work)
    print(f"stopped {stopped} container{'s' if stopped != 1 else ''}")


@app.command()
def status(root: str = ROOT, state: str = STATE_DIR) -> None:
    """Show each service's process and state; exit 0 if all run, 1 if part does, 3 if none."""
    from dockyard.api import instances

    paths = _paths(root, state)
    doc = _status(paths.state)
    if instances.running(paths, instances.SUPERVISOR) and doc:
        _show_supervised(doc)
        return
    services = instances.running_services(paths)
    if not services:
        print("dockyard daemon is not running")
        sys.exit(NOT_RUNNING)
    _show_unsupervised(doc, services)
    sys.exit(DEAD)


def _show_supervised(doc: dict[str, Any]) -> None:
    from dockyard.cli.render import table

    rows = [["SERVICE", "PID", "STATE", "RESTARTS", "SINCE"]]
    services = doc.get("services", {})
    for name, service in services.items():
        rows.append(
            [
                name,
                str(service["pid"] or "-"),
                service["state"],
                str(service["restarts"]),
                service["since"],
            ]
        )
    sys.stdout.write(f"supervisor pid {doc['pid']}, root {doc['root']}, state {doc['state']}\n")
    sys.stdout.write(table(rows))
    if not all(s["state"] in UP for s in services.values()):
        sys.exit(DEAD)


def _show_unsupervised(doc: dict[str, Any], services: dict[str, int]) -> None:
    from dockyard.api.paths import SERVICES
    from dockyard.cli.render import table

    was = f" (pid {doc['pid']})" if doc.get("pid") else ""
    sys.stdout.write(
        f"the supervisor{was} is not running: {len(services)} of {len(SERVICES)} services run "
        "unsupervised (`dockyard daemon start` adopts them, `dockyard daemon stop` stops them)\n"
    )
    rows = [["SERVICE", "PID", "STATE"]]
    for name in SERVICES:
        pid = services.get(name, 0)
        rows.append([name, str(pid or "-"), "running (unsupervised)" if pid else "stopped"])
    sys.stdout.write(table(rows))
