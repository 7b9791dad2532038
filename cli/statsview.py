"""`dockyard stats`: docker's table (CPU %, memory usage / limit, memory %, net and block I/O,
PIDs), redrawn every second on a terminal, or once with --no-stream."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from dockyard.cli.engine import Stubs

HEADERS = {
    "Container": "CONTAINER ID",
    "ID": "CONTAINER ID",
    "Name": "NAME",
    "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT",
    "MemPerc": "MEM %",
    "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O",
    "PIDs": "PIDS",
}
DEFAULT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
CLEAR = "\x1b[2J\x1b[H"
CONTEXT = "*container.statsContext"  # the Go type docker formats a row with


def row(stats: Any, no_trunc: bool = False, typed: str = "") -> dict[str, str]:
    """A table row; `typed` is the name or ID the user gave (docker's {{.Container}})."""
    from dockyard.cli.render import human_size

    cpu_delta = stats.cpu_usage_ns - stats.pre_cpu_usage_ns
    system_delta = stats.system_cpu_ns - stats.pre_system_cpu_ns
    cpu = cpu_delta / system_delta * stats.online_cpus * 100 if system_delta > 0 else 0.0
    memory = stats.memory_usage / stats.memory_limit * 100 if stats.memory_limit else 0.0
    return {
        "ID": _id(stats.id, no_trunc),
        "Container": typed if typed and typed != stats.id else _id(stats.id, no_trunc),
        "Name": stats.name,
        "CPUPerc": f"{cpu:.2f}%",
        "MemUsage": f"{_binary(stats.memory_usage)} / {_binary(stats.memory_limit)}",
        "MemPerc": f"{memory:.2f}%",
        "NetIO": f"{human_size(stats.net_rx)} / {human_size(stats.net_tx)}",
        "BlockIO": f"{human_size(stats.block_read)} / {human_size(stats.block_write)}",
        "PIDs": str(stats.pids),
    }


def _id(full: str, no_trunc: bool) -> str:
    return full if no_trunc else full[:12]


def _binary(size: float) -> str:
    """docker's BytesSize: binary units (KiB, MiB, GiB)."""
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    i = 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.4g}{units[i]}"


async def show(
    stubs: Stubs, names: list[str], stream: bool, template: str, no_trunc: bool = False
) -> None:
    from dockyard.api.errors import FailedPrecondition
    from dockyard.cli.listing import format_rows
    from dockyard.engine.v1 import engine_pb2 as pb

    latest: dict[str, dict[str, str]] = {}

    async def follow(name: str) -> None:
        try:
            async for stats in stubs.containers.Stats(
                pb.StatsRequest(id=name, stream=stream), timeout=None
            ):
                latest[name] = row(stats, no_trunc, name)
        except FailedPrecondition:  # not running: docker shows it with zeroes
            c = await stubs.containers.Inspect(pb.InspectContainerRequest(id=name))
            latest[name] = row(pb.ContainerStats(id=c.id, name=c.name), no_trunc, name)

    if not stream:
        await asyncio.gather(*(follow(n) for n in names))
        sys.stdout.write(
            format_rows(
                [latest[n] for n in names if n in latest], template or DEFAULT, HEADERS, CONTEXT
            )
        )
        return
    tasks = [asyncio.create_task(follow(n)) for n in names]
    try:
        while not all(t.done() for t in tasks) or not tasks:
            await asyncio.sleep(1)
            text = format_rows(
                [latest[n] for n in names if n in latest], template or DEFAULT, HEADERS, CONTEXT
            )
            sys.stdout.write((CLEAR if sys.stdout.isatty() else "") + text)
            sys.stdout.flush()
    finally:
        for task in tasks:
            task.cancel()
