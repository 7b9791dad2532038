"""Parsing docker's flag values: -e, --env-file, --log-opt, --restart, --format."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dockyard.cli.engine import die


def env(values: list[str], files: list[Path]) -> list[str]:
    """`--env-file` entries first, then `-e`; "KEY" alone takes the value from our environment."""
    entries: list[str] = []
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except OSError as err:
            die(f"open {path}: {err.strerror.lower() if err.strerror else err}", 125)
        entries += [
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        ]
    entries += values
    out = []
    for entry in entries:
        key, sep, _ = entry.partition("=")
        if not key:
            die(f"invalid environment variable: {entry}", 125)
        if sep:
            out.append(entry)
        elif key in os.environ:
            out.append(f"{key}={os.environ[key]}")
    return out


def key_values(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not key:
            die(f"invalid {what}: {value}", 125)
        out[key] = rest if sep else ""
    return out


def size(text: str, what: str) -> int:
    """docker's RAMInBytes: "512m", "1g", "100000" (bytes); "-1" where unlimited is allowed."""
    import re

    if text.strip() == "-1":
        return -1
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmgtp]?)i?b?", text.strip(), re.IGNORECASE)
    if match is None:
        die(f'invalid argument "{text}" for "{what}" flag: invalid size: \'{text}\'', 125)
    number, unit = match.groups()
    return int(float(number) * 1024 ** "bkmgtp".index(unit.lower() or "b"))


def ulimit(text: str) -> tuple[str, int, int]:
    name, _sep, values = text.partition("=")
    soft, _, hard = values.partition(":")
    try:
        return name, int(soft), int(hard or soft)
    except ValueError:
        die(f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit argument: {text}', 125)


def resources(
    memory: str,
    memory_swap: str,
    cpus: float,
    cpu_shares: int,
    cpu_period: int,
    cpu_quota: int,
    cpuset_cpus: str,
    pids_limit: int,
    ulimits: list[str],
) -> Any:
    from dockyard.engine.v1 import engine_pb2 as pb

    result = pb.Resources(
        memory=size(memory, "--memory") if memory else 0,
        memory_swap=size(memory_swap, "--memory-swap") if memory_swap else 0,
        nano_cpus=round(cpus * 1e9),
        cpu_shares=cpu_shares,
        cpu_period=cpu_period,
        cpu_quota=cpu_quota,
        cpuset_cpus=cpuset_cpus,
        pids_limit=pids_limit,
    )
    for text in ulimits:
        name, soft, hard = ulimit(text)
        result.ulimits.add(name=name, soft=soft, hard=hard)
    return result


def tmpfs(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        path, _, opts = value.partition(":")
        out[path] = opts
    return out


def restart_policy(value: str) -> tuple[str, int]:
    name, _, count = value.partition(":")
    if count and not count.isdigit():
        die(f"invalid restart policy: maximum retry count must be an integer: {value}", 125)
    return name, int(count or 0)


def ports(values: list[str]) -> list[Any]:
    """docker's -p: [ip:][hostPort:]containerPort[/tcp|/udp] → PortBinding messages."""
    from dockyard.engine.v1 import engine_pb2 as pb

    bindings = []
    for value in values:
        spec, _, protocol = value.partition("/")
        protocol = protocol or "tcp"
        host_ip, host_port, container_port = "", "", spec
        if spec.count(":") == 1:
            host_port, container_port = spec.split(":")
        elif spec.count(":") == 2:
            host_ip, host_port, container_port = spec.split(":")
        elif spec.count(":") > 2:
            die(f"invalid port format for --publish: {value}")
        if "-" in container_port or "-" in host_port:
            die(f"port ranges are not supported: {value}")
        if (
            protocol not in ("tcp", "udp")
            or not container_port.isdigit()
            or (host_port and not host_port.isdigit())
        ):
            die(f"invalid port format for --publish: {value}")
        bindings.append(
            pb.PortBinding(
                container_port=f"{int(container_port)}/{protocol}",
                host_ip=host_ip,
                host_port=str(int(host_port)) if host_port else "",
            )
        )
    return bindings


def extra_hosts(values: list[str]) -> list[str]:
    """--add-host NAME:IP (or NAME=IP), checked."""
    import ipaddress

    out = []
    for value in values:
        sep = "=" if "=" in value else ":"
        name, _, address = value.partition(sep)
        try:
            ipaddress.ip_address(address.strip("[]") if address != "host-gateway" else "127.0.0.1")
        except ValueError:
            die(f"invalid IP address in add-host: {address!r}")
        if not name:
            die(f"bad format for add-host: {value!r}")
        out.append(f"{name}:{address.strip('[]')}")
    return out
