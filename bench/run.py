"""Dockyard's headline figures, measured side by side with docker's when docker is installed.

    .venv/bin/python bench/run.py [--runs 20] [--containers 20] [--only run,memory,ports]

- run:     wall time of `dockyard run --rm busybox true`, a whole CLI round trip (median, p90)
- memory:  PSS of the per-container supervisor (dockyard's shim, docker's containerd-shim)
           with N sleeping containers, per container
- ports:   requests per second through a published port on 127.0.0.1 (wrk, busybox httpd),
           beside the same server reached directly at its container address (the NAT's cost)

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
from tests.support.registry import free_port  # noqa: E402
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
        engine.remove_network_leftovers()
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


WEB = "mkdir -p /www && echo bench > /www/index.html && exec httpd -f -p 80 -h /www"


def wrk(url: str, seconds: int) -> dict[str, float]:
    """Requests per second by `wrk -t2 -c16` (busybox httpd closes every connection)."""
    for _ in range(50):  # the server needs a moment to listen
        if subprocess.run(["curl", "-fs", url], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    rps = next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    return {"requests_per_second": round(float(rps))}


def dockyard_ports(engine: Engine, seconds: int) -> dict[str, object]:
    port = free_port()
    engine.ok(
        "run", "-d", "--name", "bench-web", "-p", f"127.0.0.1:{port}:80", IMAGE, "sh", "-c", WEB
    )
    address = engine.ok("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "bench-web").strip()
    try:
        return {
            "published_127.0.0.1": wrk(f"http://127.0.0.1:{port}/", seconds),
            "direct_container_ip": wrk(f"http://{address}/", seconds),
        }
    finally:
        engine.cli("rm", "-f", "bench-web")


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


def docker_ports(seconds: int) -> dict[str, object]:
    port = free_port()
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--name",
            "bench-web",
            "-p",
            f"127.0.0.1:{port}:80",
            "dockyard-bench-busybox:latest",
            "sh",
            "-c",
            WEB,
        ],
        check=True,
        capture_output=True,
    )
    try:
        return {"published_127.0.0.1": wrk(f"http://127.0.0.1:{port}/", seconds)}
    finally:
        subprocess.run(["docker", "rm", "-f", "bench-web"], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--only", default="run,memory,ports")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    results: dict[str, object] = {"date": datetime.now(UTC).isoformat(), "host": os.uname().release}
    with dockyard_engine() as engine:
        if "run" in wanted:
            results["dockyard_run_rm"] = dockyard_run(engine, args.runs)
        if "memory" in wanted:
            results["dockyard_memory"] = dockyard_memory(engine, args.containers)
        if "ports" in wanted and shutil.which("wrk"):
            results["dockyard_ports"] = dockyard_ports(engine, args.seconds)
    if docker_available():
        docker_prepare()
        if "run" in wanted:
            results["docker_run_rm"] = docker_run(args.runs)
        if "memory" in wanted:
            results["docker_memory"] = docker_memory(args.containers)
        if "ports" in wanted and shutil.which("wrk"):
            results["docker_ports"] = docker_ports(args.seconds)
    else:
        results["docker"] = "not available (`docker info` failed): no side-by-side figures"
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
