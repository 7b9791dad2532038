"""The shim alone: how long a container's set-up takes, and what each shim costs in memory.

    .venv/bin/python bench/shim.py [--setups 30] [--containers 10]

Starts an engine of its own (tests/support/engine.py), runs `--containers` busybox containers
and, for the median shim, reports its PSS and private memory from /proc/<pid>/smaps_rollup and
where the private part lies, mapping by mapping, from /proc/<pid>/smaps. Then it times the
set-up alone, without the engine's other services: one running container's OCI bundle (its
cgroup and network namespace left out) is created and started `--setups` times by the shim's
own `Task`, each time in a fresh fork of this process, as the zygote forks a shim; the seccomp
program is compiled once beforehand, as the zygote does. A sample is the wall time from
`create` (fork, namespaces, rootfs, mounts, devices, pivot_root, seccomp, user, "ready") to the
end of `start` (exec), and the CPU time the container's init used until it exited.

Root only (it makes containers). Numbers only: nothing is asserted. To compare two versions,
run it in each one's worktree, alternately: a busy machine moves every figure.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import io
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.engine import Engine  # noqa: E402
from tests.support.rootfs import rootfs_tar  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--setups", type=int, default=30)
    parser.add_argument("--containers", type=int, default=10)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="dockyard-bench-shim-"))
    engine = Engine.start(base)
    try:
        tar = base / "busybox.tar"
        tar.write_bytes(rootfs_tar())
        engine.ok("import", str(tar), "busybox:latest")
        ids = [
            engine.ok("run", "-d", "busybox:latest", "sleep", "600").strip()
            for _ in range(args.containers)
        ]
        report: dict[str, Any] = memory(engine, ids)
        spec = json.loads((engine.state / "runtime" / "tasks" / ids[0] / "config.json").read_text())
        report |= setup_time(spec, base, args.setups)
    finally:
        engine.remove_all_containers()
        engine.stop()
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(report, indent=2))


def memory(engine: Engine, ids: list[str]) -> dict[str, Any]:
    shims = []
    for cid in ids:
        pid = int((engine.state / "runtime" / "tasks" / cid / "shim.pid").read_text())
        rollup = _rollup(pid)
        shims.append((rollup["Pss"], rollup["Private_Clean"] + rollup["Private_Dirty"], pid))
    shims.sort()
    pss, private, pid = shims[len(shims) // 2]
    return {
        "shims": len(shims),
        "shim_pss_kib": pss,
        "shim_private_kib": private,
        "shim_private_by_mapping_kib": dict(_private_by_mapping(pid).most_common(6)),
    }


def _rollup(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {line.split(":")[0]: int(line.split()[1]) for line in lines}


def _private_by_mapping(pid: int) -> collections.Counter[str]:
    found: collections.Counter[str] = collections.Counter()
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields[0].endswith(":"):
            if fields[0] in ("Private_Clean:", "Private_Dirty:"):
                found[name] += int(fields[1])
        else:  # a mapping's header: address perms offset dev inode [path]
            name = fields[5].rsplit("/", 1)[-1] if len(fields) > 5 else "[anonymous]"
    return found


def setup_time(spec: dict[str, Any], base: Path, setups: int) -> dict[str, Any]:
    from dockyard.shim import seccomp

    spec["linux"].pop("cgroupsPath", None)
    spec["linux"]["namespaces"] = [
        {"type": t} for t in ("pid", "ipc", "uts", "mount", "cgroup", "network")
    ]
    spec["mounts"] = [m for m in spec["mounts"] if not m["destination"].startswith("/etc/")]
    spec["process"]["args"] = ["true"]
    bundle = base / "bundle"
    bundle.mkdir()
    with tarfile.open(fileobj=io.BytesIO(rootfs_tar())) as tar:
        tar.extractall(bundle / "rootfs")  # our own busybox tar
    (bundle / "config.json").write_text(json.dumps(spec))
    if spec["linux"].get("seccomp") and hasattr(seccomp, "program_of"):
        seccomp.program_of(spec["linux"]["seccomp"])  # as the zygote does, once
    samples = [_one_setup(bundle) for _ in range(setups)]
    walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
    return {
        "setups": setups,
        "setup_wall_ms_median": round(statistics.median(walls), 1),
        "setup_wall_ms_quartiles": [round(q, 1) for q in statistics.quantiles(walls, n=4)],
        "init_cpu_ms_median": round(statistics.median(cpus), 1),
    }


def _one_setup(bundle: Path) -> tuple[float, float]:
    """(wall ms of create + start, CPU ms of the container's init) in a fresh fork."""
    from dockyard.shim.task import Task

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a shim: a child subreaper, as serve() makes one
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        task = Task("bench", bundle)
        start = time.perf_counter()
        task.create([], False, False)
        task.start()
        wall = (time.perf_counter() - start) * 1000
        _, _, usage = os.wait4(task.init.pid, 0)
        task.init.stdio.close()
        cpu = (usage.ru_utime + usage.ru_stime) * 1000
        os.write(write, f"{wall} {cpu}".encode())
        os._exit(0)
    os.close(write)
    data = os.read(read, 100)
    os.close(read)
    os.waitpid(pid, 0)
    wall, cpu = map(float, data.split())
    return wall, cpu


if __name__ == "__main__":
    main()
