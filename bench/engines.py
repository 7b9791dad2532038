"""The two engines the bench drives, behind one small interface.

    with dockyard_engine(base) as dockyard, docker_engine(base) as docker:
        dockyard.cli("run", "--rm", dockyard.image, "true")
        docker.pids()          # every process of the engine (not the containers' own)

`Dockyard` runs a whole engine of its own (tests/support/engine.py: temporary root and state,
its own cgroup parent and bridge). `Docker` runs a `dockerd` of its own only when docker is
installed: data-root, exec-root, pidfile and socket under temporary directories, its own
bridge (`dyb<hex>`, the first /24 of 10.181.0.0/16 no route of the host's covers yet: never
docker0's 172.17.0.0/16, nor ours, nor another bridge's on this shared machine),
`--iptables=false --ip-forward=false` (it touches no host firewall and no sysctl), stopped by
its pid at the end; its containers' cgroups under a parent of its own (`/dyb<hex>`, not
`/docker`); what it leaves (processes, mounts, the bridge, that cgroup parent, the few fixed
paths dockerd 20.10 writes whatever its flags: /etc/docker/key.json, /run/docker/plugins,
/run/containerd/s) is removed, unless it was there before. The real `docker` client drives it through DOCKER_HOST,
with a client config of its own (DOCKER_CONFIG) and the classic builder (DOCKER_BUILDKIT=0: the
28.x client has no buildx here, and 20.10's daemon builds classically by default). Nothing here
asserts anything.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.engine import Engine  # noqa: E402

DOCKER_BRIDGES = ipaddress.IPv4Network("10.181.0.0/16")  # a /24 of it, one no route covers
DOCKER_POOL = "base=10.182.0.0/16,size=24"
START_SECONDS = 60.0
HOST_PATHS = (  # dockerd 20.10 makes these whatever --data-root and --exec-root say
    Path("/etc/docker/key.json"),
    Path("/etc/docker"),
    Path("/run/docker/plugins"),
    Path("/run/docker"),
    Path("/run/containerd/s"),
    Path("/run/containerd"),
)


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
    compile_bytecode()
    engine = Engine.start(base / "dockyard")
    side = Dockyard("dockyard", [cli, "-H", engine.host], engine=engine)
    try:
        yield side
    finally:
        side.remove_all()
        engine.stop()
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()


def compile_bytecode() -> None:
    """Bytecode for every module the engine runs, as an installed engine has it (pip compiles it,
    deploy/install.sh). A developer's editable venv under PYTHONDONTWRITEBYTECODE has none: each
    service would compile its sources at every start, which costs the engine ~10 MiB of idle
    memory (the compiler's leftovers) and start time that no installed engine pays."""
    import compileall
    import importlib

    for name in ("dockyard", "dockyard.services", "dockyard.cli", "dockyard.shim"):
        for where in importlib.import_module(name).__path__:
            compileall.compile_dir(where, quiet=1)


# -- docker -----------------------------------------------------------------------------------


def docker_installed() -> bool:
    return shutil.which("dockerd") is not None and shutil.which("docker") is not None


@contextmanager
def docker_engine(base: Path) -> Iterator[Docker]:
    """A dockerd of our own (see the module docstring), or nothing when docker is absent."""
    root = base / "docker"
    root.mkdir(parents=True)
    # short: dockerd puts sockets named by 64-hex ids here (a socket path has 108 bytes)
    exec_root = Path(tempfile.mkdtemp(prefix="dyb-"))
    bridge = f"dyb{secrets.token_hex(3)}"
    socket = root / "docker.sock"
    there_before = {path for path in HOST_PATHS if path.exists()}
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - lives as long as the daemon
    daemon: subprocess.Popen[bytes] | None = None
    try:
        _add_bridge(bridge)
        daemon = subprocess.Popen(
            dockerd_argv(root, exec_root, socket, bridge),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        env = {
            "DOCKER_HOST": f"unix://{socket}",
            "DOCKER_CONFIG": str(root / "client"),
            "DOCKER_BUILDKIT": "0",
        }
        side = Docker("docker", ["docker"], env, daemon=daemon, exec_root=exec_root)
        try:
            _wait_docker(side, root)
            yield side
        finally:
            side.remove_all()
    finally:
        if daemon is not None:
            _stop(daemon)
        log.close()
        _kill_left_behind(exec_root)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        _remove_cgroups(bridge)
        _unmount_under(root)
        _unmount_under(exec_root)
        shutil.rmtree(exec_root, ignore_errors=True)
        _remove_host_paths(there_before)


def dockerd_argv(root: Path, exec_root: Path, socket: Path, bridge: str) -> list[str]:
    return [
        "dockerd",
        f"--data-root={root / 'data'}",
        f"--exec-root={exec_root}",
        f"--pidfile={root / 'docker.pid'}",
        f"--host=unix://{socket}",
        f"--bridge={bridge}",
        f"--cgroup-parent=/{bridge}",  # named as the bridge: one name for what is ours
        f"--default-address-pool={DOCKER_POOL}",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
        "--ip-forward=false",
    ]


def _add_bridge(name: str) -> None:
    network = free_subnet(DOCKER_BRIDGES, _routes())
    for args in (
        ["link", "add", name, "type", "bridge"],
        ["addr", "add", f"{network[1]}/{network.prefixlen}", "dev", name],
        ["link", "set", name, "up"],
    ):
        subprocess.run(["ip", *args], check=True, capture_output=True)


def free_subnet(
    pool: ipaddress.IPv4Network, taken: list[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network:
    """The first /24 of `pool` that overlaps nothing in `taken` (a bridge whose subnet another
    interface routes already would be unreachable from the host: its proxy could not connect)."""
    for candidate in pool.subnets(new_prefix=24):
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise RuntimeError(f"no free /24 left in {pool} for dockerd's bridge")


def _routes() -> list[ipaddress.IPv4Network]:
    out = subprocess.run(["ip", "-o", "-4", "route"], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        with contextlib.suppress(ValueError):
            found.append(ipaddress.IPv4Network(line.split()[0], strict=False))
    return found


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
            _check_pidfile(root / "docker.pid", side.daemon.pid)
            return
        time.sleep(0.1)
    raise TimeoutError("dockerd did not answer")


def _check_pidfile(path: Path, pid: int) -> None:
    """The daemon we started is the one serving the socket (not one that was there already)."""
    written = path.read_text().strip() if path.exists() else ""
    if written != str(pid):
        raise RuntimeError(f"dockerd's pidfile says {written or 'nothing'}, we started {pid}")


def _kill_left_behind(exec_root: Path) -> None:
    """containerd and shims of ours (their command lines name our exec-root) that outlived
    dockerd, killed by pid."""
    for pid, cmdline in processes():
        if str(exec_root) in cmdline and pid != os.getpid():
            print(f"bench: killing {pid} left behind by dockerd: {cmdline}", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _remove_host_paths(there_before: set[Path]) -> None:
    """What dockerd made outside its own directories (HOST_PATHS), unless it was there before
    it started (a directory only when empty: another docker may use it)."""
    for path in HOST_PATHS:
        if path in there_before or not path.exists():
            continue
        with contextlib.suppress(OSError):
            path.rmdir() if path.is_dir() else path.unlink()


def _remove_cgroups(parent: str) -> None:
    """The cgroup parent of our containers, in every hierarchy (empty once they are removed:
    their own cgroups first, should one be left)."""
    for hierarchy in Path("/sys/fs/cgroup").glob(f"*/{parent}"):
        for child in sorted(hierarchy.glob("**/"), key=lambda p: len(str(p)), reverse=True):
            with contextlib.suppress(OSError):
                child.rmdir()
    with contextlib.suppress(OSError):  # a unified (cgroup v2) host
        Path("/sys/fs/cgroup", parent).rmdir()


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
