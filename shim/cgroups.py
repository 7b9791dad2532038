"""A container's cgroup, on cgroup v1 (one directory per controller hierarchy) or v2 (one
unified directory), detected from the host: v2 when /sys/fs/cgroup is a cgroup2 mount.

    group = Cgroup.for_path("/dockyard/<id>")
    group.create(); group.add(pid); group.pids(); group.kill_all(SIGKILL); group.remove()

The cgroup path comes from the OCI spec's linux.cgroupsPath (cgroupfs style), read as runc's
fs managers read it: lexically cleaned first (libcontainer/utils.CleanPath: no `..` climbs above
the root, "../../x" is "x"), then an absolute path is taken from each hierarchy's root and a
relative one from the cgroup this process is in, in that hierarchy (/proc/self/cgroup): the
shim's own, as runc's is (docker's `--cgroup-parent` without a leading "/"). On a "hybrid" v1
host the unified hierarchy carries no controllers and is left alone, as docker does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def is_v2() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").exists()


def v1_hierarchies() -> dict[str, Path]:
    """Controller (or "name=…") → mount point, for every v1 hierarchy of this host."""
    found: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split(" - ")
        if len(fields) != 2 or not fields[1].startswith("cgroup "):
            continue
        mount_point = Path(fields[0].split()[4])
        options = fields[1].split()[2].split(",")
        for option in options:
            if option in _V1_CONTROLLERS or option.startswith("name="):
                found.setdefault(option, mount_point)
    return found


_V1_CONTROLLERS = {
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "blkio",
    "pids",
    "net_cls",
    "net_prio",
    "perf_event",
    "hugetlb",
    "rdma",
    "misc",
}


@dataclass(frozen=True)
class Cgroup:
    path: str  # "/dockyard/<id>"
    controllers: dict[str, Path]  # controller → its directory ("" → the unified one on v2)
    v2: bool

    @classmethod
    def for_path(cls, path: str) -> Cgroup:
        inner = clean_path(path)
        rel = inner.lstrip("/")
        if rel in ("", "."):  # a root or its own: never a container's to fill, kill and remove
            raise ValueError(f"cgroupsPath {path!r} names no cgroup of the container's own")
        own = {} if inner.startswith("/") else own_cgroups()
        if is_v2():
            return cls(path, {"": _below(CGROUP_ROOT, own.get(""), rel)}, True)
        dirs = {c: _below(m, own.get(c), rel) for c, m in v1_hierarchies().items()}
        return cls(path, dirs, False)

    @property
    def dirs(self) -> list[Path]:
        return sorted(set(self.controllers.values()))

    def controller_dir(self, controller: str) -> Path | None:
        return self.controllers[""] if self.v2 else self.controllers.get(controller)

    def create(self) -> None:
        for d in self.dirs:
            _mkdirs(d)
        if self.v2:
            _enable_controllers(self.dirs[0])

    def add(self, pid: int) -> None:
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        for d in self.dirs:
            try:
                return [int(p) for p in (d / "cgroup.procs").read_text().split()]
            except FileNotFoundError:
                continue
        return []

    def kill_all(self, signum: int = signal.SIGKILL) -> None:
        """Signal every process in the cgroup; with SIGKILL, frozen first so none escapes by
        forking, and waited for until the cgroup is empty."""
        frozen = signum == signal.SIGKILL and self.freeze(True)
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        if frozen:
            self.freeze(False)
        if signum == signal.SIGKILL:
            deadline, pause = time.monotonic() + 5, 0.0005
            while self.pids() and time.monotonic() < deadline:
                time.sleep(pause)  # killed processes are gone within a millisecond or two:
                pause = min(pause * 2, 0.01)  # look again soon, then less often

    def remove(self) -> None:
        """rmdir every directory of the cgroup; retried while the kernel still tears it down."""
        for d in self.dirs:
            for _ in range(200):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as err:
                    if err.errno != errno.EBUSY:
                        raise
                    time.sleep(0.01)

    def freeze(self, frozen: bool) -> bool:
        """Freeze (or thaw) every process of the cgroup; False when there is no freezer."""
        d = self.controller_dir("freezer")
        if d is None:
            return False
        try:
            if self.v2:
                (d / "cgroup.freeze").write_text("1" if frozen else "0")
            else:
                (d / "freezer.state").write_text("FROZEN" if frozen else "THAWED")
        except OSError:
            return False
        return True


def clean_path(path: str) -> str:
    """runc's utils.CleanPath: lexically cleaned, never above the root ("/../x" is "/x", a
    relative "../../x" is "x"); absolute stays absolute, relative relative."""
    if not path:
        return ""
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    return cleaned if path.startswith("/") else (cleaned.lstrip("/") or ".")


def own_cgroups() -> dict[str, str]:
    """Controller (or "name=…", "" for v2's unified) → this process's cgroup in it."""
    found: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _below(mount: Path, own: str | None, rel: str) -> Path:
    """`rel` under `own` (a clean cgroup path of this process; None: the hierarchy's root)."""
    return (mount / clean_path(own).lstrip("/") if own else mount) / rel


def _mkdirs(d: Path) -> None:
    """mkdir -p, copying cpuset.cpus/mems down into each new level (v1 leaves them empty)."""
    missing = []
    cursor = d
    while not cursor.exists():
        missing.append(cursor)
        cursor = cursor.parent
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):
            level.mkdir()
        for name in ("cpuset.cpus", "cpuset.mems"):
            mine, parents = level / name, level.parent / name
            if mine.exists() and not mine.read_text().strip():
                mine.write_text(parents.read_text().strip())


def _enable_controllers(d: Path) -> None:
    """On v2, make the controllers available down to `d` (cgroup.subtree_control)."""
    chain = [p for p in reversed(d.parents) if p.is_relative_to(CGROUP_ROOT) and p != d]
    for level in chain:
        available = (level / "cgroup.controllers").read_text().split()
        wanted = " ".join(
            f"+{c}" for c in available if c in ("cpu", "cpuset", "memory", "pids", "io")
        )
        if wanted:
            with contextlib.suppress(OSError):
                (level / "cgroup.subtree_control").write_text(wanted)
