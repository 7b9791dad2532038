"""`dockyard-shim start|delete --id ID --bundle DIR --socket PATH`: a container's shim.

`start`:
The launcher binds the shim's socket, forks the long-lived server into a new session, writes
the server's pid to `<bundle>/shim.pid` and exits: the runtime that exec'd it reaps it at once,
and the server, orphaned, is adopted by the nearest child subreaper (`dockyard daemon`'s
supervisor) or init. The server keeps running when every service dies, and exits only when the
runtime deletes its task.

`delete` cleans up after a shim that died (containerd's `shim delete`): it kills whatever is
left of the container through its cgroup, removes the cgroup and the socket.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
from pathlib import Path

from dockyard.api.files import write_atomic


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dockyard-shim")
    parser.add_argument("command", choices=["start", "delete"])
    parser.add_argument("--id", required=True)
    parser.add_argument("--bundle", required=True, type=Path)
    parser.add_argument("--socket", required=True, type=Path)
    args = parser.parse_args(argv)
    if args.command == "delete":
        _delete(args.bundle, args.socket)
        return
    listener = _listen(args.socket)
    pid = os.fork()
    if pid:
        _write_pid(args.bundle / "shim.pid", pid)
        os._exit(0)
    _daemonize(args.bundle)
    try:
        from dockyard.shim.server import serve

        serve(args.id, args.bundle, listener)
    finally:
        args.socket.unlink(missing_ok=True)
    os._exit(0)


def _delete(bundle: Path, sock: Path) -> None:
    import json
    import signal

    from dockyard.shim.cgroups import Cgroup

    try:
        spec = json.loads((bundle / "config.json").read_text())
    except (OSError, ValueError):
        spec = {}
    path = spec.get("linux", {}).get("cgroupsPath")
    if path:
        group = Cgroup.for_path(path)
        group.kill_all(signal.SIGKILL)
        group.remove()
    else:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((bundle / "init.pid").read_text()), signal.SIGKILL)
    from dockyard.shim import oci

    oci.delete_leftovers(bundle, bundle.name)
    sock.unlink(missing_ok=True)


def _listen(path: Path) -> socket.socket:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(16)
    return listener


def _daemonize(bundle: Path) -> None:
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    log = os.open(bundle / "shim.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    os.chdir("/")
    sys.stdout = sys.stderr


def _write_pid(path: Path, pid: int) -> None:
    write_atomic(path, f"{pid}\n", durable=False)  # the state dir (api/files.py)


if __name__ == "__main__":
    main()
