"""The two engines the bench drives, behind one small interface.

    with dockyard_engine(base) as dockyard, docker_engine(base) as docker:
        dockyard.cli("run", "--rm", dockyard.image, "true")
        docker.pids()          # every process of the engine (not the containers' own)

`Dockyard` runs a whole engine of its own (tests/support/engine.py: temporary root and state,
its own cgroup parent and bridge). `Docker` runs a `dockerd` of its own only when docker is
installed: data-root, exec-root, pidfile and socket under a temporary directory, its own
bridge (`dyb<hex>`, 10.181.0.1/24: collides with neither docker0's 172.17.0.0/16 nor ours),
`--iptables=false` (it touches no host firewall), stopped and removed at the end. The real
`docker` client drives it through DOCKER_HOST. Nothing here asserts anything.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.engine import Engine  # noqa: E402

DOCKER_BRIDGE_CIDR = "10.181.0.1/24"
DOCKER_POOL = "base=10.182.0.0/16,size=24"
START_SECONDS = 60.0


@dataclass
class Side:
    """One engine as the bench sees it: a name, a command line, its processes."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    image: str = ""  # the busybox reference this engine runs
    big_image: str = ""  # the ~60 MB image's reference
    state: dict[str, object] = field(default_factory=dict)  # what a scenario's set-up made

    def command(self, *args: str) -> list[str]:
        return [*self.argv, *args]

    def full_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def cli(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env=self.full_env(),
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{self.name} {' '.join(args)}: {done.returncode}\n{done.stderr}")
        return done.stdout

    def pids(self) -> list[int]:
        raise NotImplementedError

    def remove_all(self) -> None:
        ids = self.cli("ps", "-aq", "--no-trunc", check=False).split()
        if ids:
            self.cli("rm", "-f", *ids, check=False)


@dataclass
class Dockyard(Side):
    engine: Engine | None = None

    def pids(self) -> list[int]:
        """The supervisor and every process it is the ancestor of (services, zygote, shims),
        less the containers' own processes (they are the same for both engines)."""
        assert self.engine is not None
        return outside_containers(descendants(self.engine.process.pid))


@dataclass
class Docker(Side):
    daemon: subprocess.Popen[bytes] | None = None
    exec_root: Path = Path()

    def pids(self) -> list[int]:
        """dockerd, its containerd, and the shims serving its containers."""
        assert self.daemon is not None
        found = descendants(self.daemon.pid)
        marker = str(self.exec_root)
        for pid, cmdline in processes():
            if "containerd-shim" in cmdline and marker in cmdline and pid not in found:
                found += [pid, *descendants(pid)]
        return outside_containers(found)


# -- dockyard ---------------------------------------------------------------------------------


@contextmanager
def dockyard_engine(base: Path, cli: str) -> Iterator[Dockyard]:
    """A whole engine of our own; `cli` is the `dockyard` command to drive it with."""
    (base / "dockyard").mkdir(parents=True, exist_ok=True)
    engine = Engine.start(base / "dockyard")
    side = Dockyard("dockyard", [cli, "-H", engine.host], engine=engine)
    try:
        yield side
    finally:
        side.remove_all()
        engine.stop()
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()


# -- docker -----------------------------------------------------------------------------------


def docker_installed() -> bool:
    return shutil.which("dockerd") is not None and shutil.which("docker") is not None


@contextmanager
def docker_engine(base: Path) -> Iterator[Docker]:
    """A dockerd of our own (see the module docstring), or nothing when docker is absent."""
    root = base / "docker"
    root.mkdir(parents=True)
    bridge = f"dyb{secrets.token_hex(3)}"
    _add_bridge(bridge)
    socket = root / "docker.sock"
    exec_root = Path(f"/run/dyb-{secrets.token_hex(3)}")  # dockerd keeps its sockets short
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - lives as long as the daemon
    daemon = subprocess.Popen(
        dockerd_argv(root, exec_root, socket, bridge),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    side = Docker(
        "docker",
        ["docker"],
        {"DOCKER_HOST": f"unix://{socket}"},
        daemon=daemon,
        exec_root=exec_root,
    )
    try:
        _wait_docker(side, root)
        yield side
    finally:
        side.remove_all()
        _stop(daemon)
        log.close()
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        _unmount_under(root)
        _unmount_under(exec_root)
        shutil.rmtree(exec_root, ignore_errors=True)


def dockerd_argv(root: Path, exec_root: Path, socket: Path, bridge: str) -> list[str]:
    return [
        "dockerd",
        f"--data-root={root / 'data'}",
        f"--exec-root={exec_root}",
        f"--pidfile={root / 'docker.pid'}",
        f"--host=unix://{socket}",
        f"--bridge={bridge}",
        f"--default-address-pool={DOCKER_POOL}",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
    ]


def _add_bridge(name: str) -> None:
    for args in (
        ["link", "add", name, "type", "bridge"],
        ["addr", "add", DOCKER_BRIDGE_CIDR, "dev", name],
        ["link", "set", name, "up"],
    ):
        subprocess.run(["ip", *args], check=True, capture_output=True)


def _wait_docker(side: Docker, root: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert side.daemon is not None
        if side.daemon.poll() is not None:
            raise RuntimeError(f"dockerd exited:\n{(root / 'dockerd.log').read_text()[-3000:]}")
        if (
            subprocess.run(
                side.command("info"), env={**os.environ, **side.env}, capture_output=True
            ).returncode
            == 0
        ):
            return
        time.sleep(0.1)
    raise TimeoutError("dockerd did not answer")


def _stop(daemon: subprocess.Popen[bytes]) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def _unmount_under(path: Path) -> None:
    targets = [
        line.split()[4]
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if line.split()[4].startswith(str(path))
    ]
    for target in sorted(targets, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True, check=False)


# -- processes --------------------------------------------------------------------------------


def processes() -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            found.append((int(entry.name), cmdline))
    return found


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (through /proc/<pid>/task/*/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def outside_containers(pids: list[int]) -> list[int]:
    """Those of `pids` in our own pid namespace (a container's processes are in theirs)."""
    ours = os.readlink("/proc/self/ns/pid")
    kept = []
    for pid in pids:
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == ours:
                kept.append(pid)
        except OSError:
            continue
    return kept
