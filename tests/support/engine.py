"""A whole Dockyard engine for integration tests, in its own temp root and state dirs.

    engine = Engine.start(tmp_dir)
    result = engine.cli("run", "--rm", "busybox", "echo", "hi")
    engine.leaks()   # what this engine left behind: mounts, processes, cgroups, netns files
    engine.snapshot_dirs()  # its layers' directories, once removals' trash is deleted
    engine.stop()

The engine runs under its supervisor (`python -m dockyard.services.supervisor`), exactly as
`dockyard daemon start` runs it, with a cgroup parent of its own so that two engines (or a
test engine and a real one) never share cgroups. The CLI is the installed `dockyard` command,
run as a user would run it (a new process per command), pointed at this engine with -H.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.api.paths import DEEP_STATE_SHIMS, Paths

VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "dockyard")
START_SECONDS = 60.0
UP = ("running", "listening")  # listening: the Docker API front, until a client connects


@dataclass
class Engine:
    root: Path
    state: Path
    config: Path
    cgroup_parent: str
    process: subprocess.Popen[bytes]
    python: str = sys.executable  # the interpreter of the venv that runs it (bench: another's)
    other_cgroups: list[Path] = field(default_factory=list)  # --cgroup-parent's (watch_cgroups)

    @classmethod
    def start(
        cls, base: Path, config: dict[str, object] | None = None, python: str = sys.executable
    ) -> Engine:
        root, state = base / "root", base / "state"
        cgroup_parent = f"dockyard-test-{secrets.token_hex(4)}"
        config_path = base / "daemon.json"
        defaults = {"cgroup-parent": cgroup_parent, "bridge": f"dyt{secrets.token_hex(4)}"}
        config_path.write_text(json.dumps({**defaults, **(config or {})}))
        process = _spawn(root, state, config_path, python)
        engine = cls(root, state, config_path, cgroup_parent, process, python)
        try:
            engine.wait_running()
        except BaseException:
            engine.stop()  # an engine that did not come up must not outlive the test run
            raise
        return engine

    @property
    def host(self) -> str:
        return f"unix://{self.state / 'dockyard.sock'}"

    def status(self) -> dict[str, object]:
        try:
            return json.loads((self.state / "supervisor.json").read_text())  # type: ignore[no-any-return]
        except (FileNotFoundError, ValueError):
            return {}

    def service_pid(self, name: str) -> int:
        return int(self.status()["services"][name]["pid"])  # type: ignore[index]

    def wait_running(self, timeout: float = START_SECONDS) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the supervisor exited:\n{self.log_tail()}")
            services = self.status().get("services", {})
            if services and all(s["state"] in UP for s in services.values()):  # type: ignore[union-attr]
                return
            time.sleep(0.05)
        raise TimeoutError(f"the engine did not start:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for log in sorted((self.root / "logs").glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(out)

    def cli(
        self,
        *args: str,
        input: bytes | str | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `dockyard -H <this engine> ARGS...` and return what it did (text mode)."""
        data = input.decode() if isinstance(input, bytes) else input
        return subprocess.run(
            [CLI, "-H", self.host, *args],
            input=data,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            stdin=None if data is not None else subprocess.DEVNULL,
        )

    def ok(self, *args: str, **kwargs: object) -> str:
        """`cli` that must succeed; returns stdout."""
        result = self.cli(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, (
            f"dockyard {' '.join(args)} -> {result.returncode}\n{result.stderr}"
        )
        return result.stdout

    def shut_down(self) -> list[str]:
        """An engine of a test's own, done with: its containers removed, the engine stopped,
        its cgroup parent and network leftovers cleaned; what it leaked (to assert on)."""
        self.remove_all_containers()
        self.stop()
        leaks = self.leaks()
        self.remove_cgroup_parent()
        self.remove_network_leftovers()
        return leaks

    def remove_all_containers(self) -> None:
        ids = self.cli("ps", "-aq", "--no-trunc").stdout.split()
        if ids:
            self.cli("rm", "-f", *ids)

    def restart(self) -> None:
        """Start this engine again after `stop` (same root, state and config)."""
        self.process = _spawn(self.root, self.state, self.config, self.python)
        self.wait_running()
        deadline = time.time() + START_SECONDS
        while self.cli("ps").returncode != 0 and time.time() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._remove_deep_shims()

    def _remove_deep_shims(self) -> None:
        """A state dir too deep for shim sockets has them under /run/dockyard-shims/<hash>/:
        gone with a test's engine once empty, as its state dir goes (a shim still running
        keeps its socket, and the directory, for the next start)."""
        shims = Paths(self.root, self.state).shim_socket("0" * 64).parent
        if shims.parent == DEEP_STATE_SHIMS:
            with contextlib.suppress(OSError):  # missing, or a live shim's socket in it
                shims.rmdir()

    def snapshot_dirs(self, timeout: float = 30.0) -> set[Path]:
        """The snapshots service's directories, once the trash of removals already answered is
        deleted (a removed snapshot's files go after the reply: `removing-*` until then)."""
        snapshots = self.root / "snapshots" / "snapshots"
        deadline = time.monotonic() + timeout
        while True:
            found = set(snapshots.iterdir())
            trash = [p.name for p in found if p.name.startswith("removing-")]
            if not trash:
                return found
            assert time.monotonic() < deadline, f"snapshot trash not deleted: {trash}"
            time.sleep(0.05)

    # -- leak checks --------------------------------------------------------------------------

    def leaks(self) -> list[str]:
        """Everything a container could have left behind that is still here."""
        return (
            self.leaked_mounts()
            + self.leaked_processes()
            + self.leaked_cgroups()
            + self.leaked_netns()
            + self.leaked_links()
            + self.leaked_rules()
        )

    def leaked_mounts(self) -> list[str]:
        prefixes = (str(self.root), str(self.state))
        found = []
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            target = line.split()[4]
            if target.startswith(prefixes):
                found.append(f"mount {target}")
        return found

    def leaked_processes(self) -> list[str]:
        """Processes of this engine other than its supervisor and services: shims, containers."""
        services = {self.process.pid} | {
            int(s["pid"])
            for s in self.status().get("services", {}).values()  # type: ignore[union-attr]
        }
        runtime = self.status().get("services", {}).get("runtime", {}).get("pid")  # type: ignore[attr-defined]
        cli = self.status().get("services", {}).get("cli", {}).get("pid")  # type: ignore[attr-defined]
        found = []
        for pid, cmdline in _processes():
            if not _parent(pid):
                continue  # gone since it was listed (a command's child ending): not left behind
            if "dockyard.shim.zygote" in cmdline and _parent(pid) == runtime:
                continue  # the runtime's shim zygote is part of the runtime (a shim the zygote
                # forked that outlived its container is not: the supervisor, a subreaper, is
                # its parent then)
            if "dockyard.cli.commandserver" in cmdline and _parent(pid) == cli:
                continue  # the command server's spare child (or a command ending) is its own
            if pid in services or str(self.state) not in cmdline:
                continue  # a service, or another engine's
            if "dockyard.cli.commandserver" in cmdline and _gone_soon(pid):
                continue  # a command's child ending, or a spare whose server went: not left
            found.append(f"process {pid} (parent {_parent(pid)}): {cmdline}")
        found += [f"process {pid} in cgroup: {cmd}" for pid, cmd in self._cgroup_processes()]
        return found

    def leaked_cgroups(self) -> list[str]:
        """Any cgroup below the engine's parent; one named as a container below the parents
        tests gave with --cgroup-parent (those parents stay when their containers go)."""
        found = []
        for parent in Path("/sys/fs/cgroup").glob(f"*/{self.cgroup_parent}"):
            found += [f"cgroup {child}" for child in _cgroup_tree(parent)[:-1]]
        for parent in self.other_cgroups:
            found += [f"cgroup {c}" for c in _cgroup_tree(parent) if CONTAINER_ID.match(c.name)]
        return found

    def watch_cgroups(self, *parents: Path) -> None:
        """Cgroup directories a test's --cgroup-parent makes: leak checks look below them and
        remove_cgroup_parent removes them (the engine leaves parents, as runc does)."""
        self.other_cgroups += [p for p in parents if p not in self.other_cgroups]

    def leaked_netns(self) -> list[str]:
        netns = self.state / "network" / "netns"
        return [f"netns {p}" for p in netns.iterdir()] if netns.is_dir() else []

    @property
    def network_tag(self) -> str:
        """The tag naming this engine's links and rules (see services/network/networks.py)."""
        path = self.root / "network" / "tag"
        return path.read_text().strip() if path.exists() else ""

    def leaked_links(self) -> list[str]:
        """Host veth ends and user-network bridges of this engine (after every network is gone)."""
        tag = self.network_tag
        if not tag:
            return []
        names = [line.split()[0].split("@")[0] for line in _ip("-br", "link").splitlines()]
        return [f"link {n}" for n in names if n.startswith((f"v{tag}", f"dy{tag}-"))]

    def leaked_rules(self) -> list[str]:
        """Published ports left in this engine's nft table (its two DNAT maps' elements)."""
        tag = self.network_tag
        if not tag:
            return []
        found = []
        for name in ("ports_any", "ports_addr"):
            listing = subprocess.run(
                ["nft", "-j", "list", "map", "ip", f"dockyard_{tag}", name],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            for entry in json.loads(listing or '{"nftables": []}')["nftables"]:
                found += [f"nft {name} element {e}" for e in entry.get("map", {}).get("elem", [])]
        return found

    def remove_network_leftovers(self) -> None:
        """The default bridge and the rules table stay when an engine stops (as docker0 does)."""
        bridge = json.loads(self.config.read_text()).get("bridge")
        if bridge:
            subprocess.run(["ip", "link", "del", bridge], capture_output=True, check=False)
        if self.network_tag:
            subprocess.run(
                ["nft", "delete", "table", "ip", f"dockyard_{self.network_tag}"],
                capture_output=True,
                check=False,
            )
            from dockyard.services.network.forward import close_forward

            close_forward(self.network_tag)

    def _cgroup_processes(self) -> list[tuple[int, str]]:
        pids = set()
        for procs in Path("/sys/fs/cgroup").glob(f"*/{self.cgroup_parent}/*/cgroup.procs"):
            pids |= {int(p) for p in procs.read_text().split()}
        return [(pid, cmd) for pid, cmd in _processes() if pid in pids]

    def remove_cgroup_parent(self) -> None:
        parents = [*Path("/sys/fs/cgroup").glob(f"*/{self.cgroup_parent}"), *self.other_cgroups]
        for directory in (d for parent in parents for d in _cgroup_tree(parent)):
            with contextlib.suppress(FileNotFoundError):
                directory.rmdir()
        self.other_cgroups.clear()


CONTAINER_ID = re.compile(r"[0-9a-f]{64}$")


def _cgroup_tree(top: Path) -> list[Path]:
    """Every cgroup directory from `top` down, children before their parents (rmdir order)."""
    if not top.is_dir():
        return []
    below = [d for child in top.iterdir() if child.is_dir() for d in _cgroup_tree(child)]
    return [*below, top]


def _spawn(root: Path, state: Path, config: Path, python: str) -> subprocess.Popen[bytes]:
    (root / "logs").mkdir(parents=True, exist_ok=True)
    with open(root / "logs" / "supervisor.log", "ab") as log:
        return subprocess.Popen(
            [
                python,
                "-m",
                "dockyard.services.supervisor",
                "--root",
                str(root),
                "--state",
                str(state),
                "--config",
                str(config),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def _gone_soon(pid: int, seconds: float = 5.0) -> bool:
    """Whether `pid` ends within `seconds` (a command server's child still ending: its client
    returns on its exit word, before the server has reaped it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.05)
    return False


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False).stdout


def _processes() -> list[tuple[int, str]]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmd:
                out.append((int(entry.name), cmd.strip()))
    return out
