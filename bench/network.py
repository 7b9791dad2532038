"""The network service's share of a run: its RPCs timed one by one, and `run --rm` beside them.

    .venv/bin/python bench/network.py [--runs 30] [--containers 0]

Starts an engine of its own (temporary root and state, stopped afterwards), imports the
offline busybox rootfs, then times, each `--runs` times (median, p90, min in ms):

- run_rm:               `dockyard run --rm busybox true`, the whole CLI round trip
- create/remove_bridge: CreateSandbox / RemoveSandbox on the default bridge, no ports
- create/remove_port:   the same with one published port (host port chosen by the kernel)
- remove_absent:        RemoveSandbox of a sandbox that is gone (the engine asks twice)
- connect/disconnect:   a user network added to and taken from a live sandbox

`--containers N` first starts N sleeping containers (with a published port each), so that
the cost of a change can be seen not to grow with what else exists. Numbers only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dockyard.api.bootstrap import dial  # noqa: E402
from dockyard.network.v1 import network_pb2 as pb  # noqa: E402
from dockyard.network.v1 import network_pb2_grpc  # noqa: E402

from tests.support.engine import CLI, Engine  # noqa: E402
from tests.support.rootfs import rootfs_tar  # noqa: E402


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p90_ms": round(ordered[max(int(len(ordered) * 0.9) - 1, 0)] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def rpcs(engine: Engine, runs: int) -> dict[str, dict[str, float]]:
    channel = dial(f"unix://{engine.state / 'network.sock'}", "dockyard-network")
    stub = network_pb2_grpc.NetworksStub(channel)
    await stub.CreateNetwork(pb.CreateNetworkRequest(name="benchnet"))
    times: dict[str, list[float]] = {}
    port = pb.PortBinding(protocol="tcp", container_port=80)
    for _ in range(runs):
        for name, ports in (("bridge", []), ("port", [port])):
            cid = secrets.token_hex(32)
            request = pb.CreateSandboxRequest(container_id=cid, mode="bridge", ports=ports)
            remove = pb.RemoveSandboxRequest(container_id=cid)
            times.setdefault(f"create_{name}", []).append(
                await timed(lambda r=request: stub.CreateSandbox(r))
            )
            if name == "bridge":
                connect = pb.ConnectRequest(
                    container_id=cid, endpoint=pb.EndpointRequest(network="benchnet")
                )
                disconnect = pb.DisconnectRequest(container_id=cid, network="benchnet")
                times.setdefault("connect", []).append(
                    await timed(lambda r=connect: stub.Connect(r))
                )
                times.setdefault("disconnect", []).append(
                    await timed(lambda r=disconnect: stub.Disconnect(r))
                )
            times.setdefault(f"remove_{name}", []).append(
                await timed(lambda r=remove: stub.RemoveSandbox(r))
            )
            times.setdefault("remove_absent", []).append(
                await timed(lambda r=remove: stub.RemoveSandbox(r))
            )
    await stub.RemoveNetwork(pb.NetworkRequest(id="benchnet"))
    await channel.close()
    return {name: summary(values) for name, values in times.items()}


def run_rm(engine: Engine, runs: int) -> dict[str, float]:
    argv = [CLI, "-H", engine.host, "run", "--rm", "busybox", "true"]
    times = []
    for i in range(runs + 2):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 2:  # two to warm the caches
            times.append(time.perf_counter() - start)
    return summary(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--containers", type=int, default=0)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="dockyard-bench-network-"))
    engine = Engine.start(base)
    try:
        tar = base / "busybox.tar"
        tar.write_bytes(rootfs_tar())
        engine.ok("import", str(tar), "busybox:latest")
        for _ in range(args.containers):
            engine.ok("run", "-d", "-p", "80", "busybox", "sleep", "3600")
        results = {"containers": args.containers, "run_rm": run_rm(engine, args.runs)}
        results |= asyncio.run(rpcs(engine, args.runs))
        print(json.dumps(results, indent=2))
    finally:
        engine.remove_all_containers()
        engine.stop()
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
