"""Dockyard's headline figures, measured side by side with docker's when docker is installed.

    .venv/bin/python bench/run.py [--runs 20] [--containers 20] [--only run,memory,ports]

- run:     wall time of `dockyard run --rm busybox true`, a whole CLI round trip (median, p90)
- memory:  PSS of the per-container supervisor (dockyard's shim, docker's containerd-shim)
           with N sleeping containers, per container
- ports:   requests per second through a published port on 127.0.0.1 (wrk, busybox httpd)

Dockyard runs in a temporary root/state of its own (its own engine, stopped afterwards); docker
is used only when `docker info` answers, with the same busybox rootfs imported into it. Results
go to stdout and to bench/results/<date>.json. Numbers, never pass/fail: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.engine import Engine  # noqa: E402
from tests.support.rootfs import rootfs_tar  # noqa: E402

IMAGE = "busybox:latest"


def timed(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


def pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def pids_matching(predicate: Callable[[str], bool]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if cmd and predicate(cmd):
                found.append(int(entry.name))
    return found


# -- dockyard -------------------------------------------------------------------------------


@contextmanager
def dockyard_engine() -> Iterator[Engine]:
    base = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    engine = Engine.start(base)
    try:
        tar = base / "busybox.tar"
        tar.write_bytes(rootfs_tar())
        engine.ok("import", str(tar), IMAGE)
        yield engine
    finally:
        engine.remove_all_containers()
        engine.stop()
        engine.remove_cgroup_parent()
        shutil.rmtree(base, ignore_errors=True)


def dockyard_run(engine: Engine, runs: int) -> dict[str, float]:
    argv = [
        str(Path(sys.executable).parent / "dockyard"),
        "-H",
        engine.host,
        "run",
        "--rm",
        IMAGE,
        "true",
    ]
    timed(argv, 2)  # warm the page cache and the services' code paths
    return summary(timed(argv, runs))


def dockyard_memory(engine: Engine, count: int) -> dict[str, float]:
    ids = [engine.ok("run", "-d", IMAGE, "sleep", "3600").strip() for _ in range(count)]
    time.sleep(1)
    shims = pids_matching(
        lambda cmd: "dockyard" in cmd and "shim" in cmd and str(engine.state) in cmd
    )
    total = sum(pss_kib(pid) for pid in shims)
    engine.cli("rm", "-f", *ids)
    return {
        "containers": count,
        "shims": len(shims),
        "pss_per_container_kib": round(total / max(count, 1)),
    }


# -- docker ---------------------------------------------------------------------------------


def docker_available() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True).returncode == 0
    )


def docker_prepare() -> None:
    with tempfile.NamedTemporaryFile(suffix=".tar") as tar:
        tar.write(rootfs_tar())
        tar.flush()
        subprocess.run(
            ["docker", "import", tar.name, "dockyard-bench-busybox:latest"],
            check=True,
            capture_output=True,
        )


def docker_run(runs: int) -> dict[str, float]:
    argv = ["docker", "run", "--rm", "dockyard-bench-busybox:latest", "true"]
    timed(argv, 2)
    return summary(timed(argv, runs))


def docker_memory(count: int) -> dict[str, float]:
    ids = [
        subprocess.run(
            ["docker", "run", "-d", "dockyard-bench-busybox:latest", "sleep", "3600"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for _ in range(count)
    ]
    time.sleep(1)
    shims = pids_matching(lambda cmd: "containerd-shim" in cmd)
    total = sum(pss_kib(pid) for pid in shims)
    subprocess.run(["docker", "rm", "-f", *ids], check=True, capture_output=True)
    return {
        "containers": count,
        "shims": len(shims),
        "pss_per_container_kib": round(total / max(count, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--only", default="run,memory")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    results: dict[str, object] = {"date": datetime.now(UTC).isoformat(), "host": os.uname().release}
    with dockyard_engine() as engine:
        if "run" in wanted:
            results["dockyard_run_rm"] = dockyard_run(engine, args.runs)
        if "memory" in wanted:
            results["dockyard_memory"] = dockyard_memory(engine, args.containers)
    if docker_available():
        docker_prepare()
        if "run" in wanted:
            results["docker_run_rm"] = docker_run(args.runs)
        if "memory" in wanted:
            results["docker_memory"] = docker_memory(args.containers)
    else:
        results["docker"] = "not available (`docker info` failed): no side-by-side figures"
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
