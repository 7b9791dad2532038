"""`dockyard daemon start|stop|status`: the engine's supervisor, as a background process.

`start` runs `python -m dockyard.services.supervisor` detached (its output appended to
`<root>/logs/supervisor.log`) and returns once every service answers; `status` reads the
supervisor's `<state>/supervisor.json`; `stop` sends it SIGTERM and waits for it to exit.
Containers keep running across a stop and start (their shims outlive the services).
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
ROOT = typer.Option(None, "--root", help="persistent data dir (env DOCKYARD_ROOT)")
STATE_DIR = typer.Option(None, "--state", help="runtime state dir (env DOCKYARD_STATE)")


def _paths(root: str | None, state: str | None) -> Any:
    from dockyard.api.paths import Paths

    return Paths.from_env(root, state)


def _status(state: Path) -> dict[str, Any]:
    try:
        return json.loads((state / "supervisor.json").read_text())
    except (OSError, ValueError):
        return {}


def _live_pid(state: Path) -> int:
    try:
        pid = int((state / "supervisor.pid").read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return 0


@app.command()
def start(
    root: str = ROOT,
    state: str = STATE_DIR,
    config: str = typer.Option(None, "--config", help="daemon.json (env DOCKYARD_CONFIG)"),
    debug: bool = typer.Option(False, "--debug", help="log at debug level"),
) -> None:
    """Start the engine in the background; return once every service answers."""
    paths = _paths(root, state)
    if _live_pid(paths.state):
        print(f"dockyard daemon is already running (state dir {paths.state})")
        return
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
    print(f"dockyard daemon started (pid {process.pid}; engine at unix://{paths.socket('engine')})")


def _wait_started(process: subprocess.Popen[bytes], paths: Any) -> None:
    deadline = time.time() + START_SECONDS
    while time.time() < deadline:
        if process.poll() is not None:
            _fail_start(paths, f"the supervisor exited with {process.returncode}")
        services = _status(paths.state).get("services", {})
        if services and all(s["state"] == "running" for s in services.values()):
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
    paths = _paths(root, state)
    pid = _live_pid(paths.state)
    if not pid:
        print("dockyard daemon is not running")
        return
    if stop_containers:
        _stop_containers(paths.state)
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + STOP_SECONDS
    while time.time() < deadline:
        if not _live_pid(paths.state) or not Path(f"/proc/{pid}").exists():
            print("dockyard daemon stopped")
            return
        time.sleep(0.05)
    sys.stderr.write(f"dockyard daemon (pid {pid}) did not stop within {STOP_SECONDS:.0f}s\n")
    sys.exit(1)


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
    """Show each service's process and state; exit 1 unless all run."""
    from dockyard.cli.render import table

    paths = _paths(root, state)
    doc = _status(paths.state)
    if not _live_pid(paths.state) or not doc:
        print("dockyard daemon is not running")
        sys.exit(1)
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
    if not all(s["state"] == "running" for s in services.values()):
        sys.exit(1)
