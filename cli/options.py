"""Parsing docker's flag values: -e, --env-file, --label-file, --log-opt, --restart, --format."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, NoReturn

from dockyard.cli.engine import die
from dockyard.cli.usage import FlagError, Refused


def env(values: list[str], files: list[Path]) -> list[str]:
    """`--env-file` entries first, then `-e`; "KEY" alone takes the value from our environment."""
    entries = [entry for path in files for entry in file_entries(path)] + values
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


def labels(values: list[str], files: list[Path]) -> dict[str, str]:
    """`--label-file` entries first, then `-l` (which win); "KEY" alone is an empty label."""
    entries = [entry for path in files for entry in file_entries(path)]
    return key_values(entries + values, "label")


def file_entries(path: Path) -> list[str]:
    """The KEY=VALUE lines of an --env-file or --label-file, read as docker reads them: blank
    lines and # comments skipped, leading space trimmed (the value keeps its trailing space),
    a key with space in it or a line that is not UTF-8 refused."""
    from dockyard.cli.usage import Refused

    try:
        data = path.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    except OSError as err:
        raise Refused(f"open {path}: {err.strerror.lower() if err.strerror else err}") from None
    entries = []
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            line = raw.decode().lstrip()
        except UnicodeDecodeError:
            listed = " ".join(str(byte) for byte in raw)
            raise Refused(
                f"env file {path} contains invalid utf8 bytes at line {number}: [{listed}]"
            ) from None
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not key:
            raise Refused(f"poorly formatted environment: no variable name on line '{line}'")
        if any(c in key for c in WHITESPACE):
            raise Refused(f"poorly formatted environment: variable '{key}' contains whitespaces")
        entries.append(f"{key}={value}" if sep else line)
    return entries


WHITESPACE = " \t"


def key_values(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not key:
            die(f"invalid {what}: {value}", 125)
        out[key] = rest if sep else ""
    return out


INT64 = (-(1 << 63), (1 << 63) - 1)
INT32 = (-(1 << 31), (1 << 31) - 1)


def out_of_range(text: object, what: str) -> NoReturn:
    """docker's words for a number its flag parser (strconv) cannot hold."""
    raise FlagError(
        f'invalid argument "{text}" for "{what}" flag: '
        f'strconv.ParseInt: parsing "{text}": value out of range'
    )


def integer(value: int, what: str, bounds: tuple[int, int] = INT64) -> int:
    """`value` of the int flag `what`, refused as docker does when it does not fit."""
    if not bounds[0] <= value <= bounds[1]:
        out_of_range(value, what)
    return value


def size(text: str, what: str, unlimited: bool = True) -> int:
    """docker's RAMInBytes: "512m", "1g", "100000" (bytes); "-1" where `unlimited` is allowed
    (--shm-size is a docker MemBytes: no -1)."""
    import re

    if text.strip() == "-1" and unlimited:
        return -1
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmgtp]?)i?b?", text.strip(), re.IGNORECASE)
    if match is None:
        raise FlagError(f'invalid argument "{text}" for "{what}" flag: invalid size: \'{text}\'')
    number, unit = match.groups()
    value = float(number) * 1024 ** "bkmgtp".index(unit.lower() or "b")
    if not value <= INT64[1]:  # also inf
        raise FlagError(f'invalid argument "{text}" for "{what}" flag: value out of range')
    return int(value)


def ulimit(text: str) -> tuple[str, int, int]:
    """docker's name=soft[:hard]; -1 is unlimited."""
    name, _sep, values = text.partition("=")
    soft, _, hard = values.partition(":")
    numbers = []
    for value in (soft, hard or soft):
        try:
            number = int(value)
        except ValueError:
            raise FlagError(
                f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit argument: {text}'
            ) from None
        if number > INT64[1]:
            raise FlagError(
                f'invalid argument "{text}" for "--ulimit" flag: '
                f'strconv.ParseInt: parsing "{value}": value out of range'
            )
        if number < -1:
            raise FlagError(
                f'invalid argument "{text}" for "--ulimit" flag: invalid ulimit argument: {text}'
            )
        numbers.append(number)
    return name, numbers[0], numbers[1]


def nano_cpus(cpus: float) -> int:
    """--cpus as nanoCPUs. A value past int64 is sent as the largest (or smallest), which the
    engine refuses with docker's range message, as it does any count above the host's CPUs."""
    if not math.isfinite(cpus):
        raise FlagError(
            f'invalid argument "{cpus}" for "--cpus" flag: failed to parse {cpus} as a rational number'
        )
    return max(INT64[0], min(INT64[1], round(cpus * 1e9)))


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
        memory=size(memory, "-m, --memory") if memory else 0,
        memory_swap=size(memory_swap, "--memory-swap") if memory_swap else 0,
        nano_cpus=nano_cpus(cpus),
        cpu_shares=integer(cpu_shares, "--cpu-shares"),
        cpu_period=integer(cpu_period, "--cpu-period"),
        cpu_quota=integer(cpu_quota, "--cpu-quota"),
        cpuset_cpus=cpuset_cpus,
        pids_limit=integer(pids_limit, "--pids-limit"),
    )
    for text in ulimits:
        name, soft, hard = ulimit(text)
        result.ulimits.add(name=name, soft=soft, hard=hard)
    return result


def memory_extras(resources: Any, reservation: str, swappiness: int) -> None:
    """--memory-reservation and --memory-swappiness (-1: unset), checked as docker/cli v20.10's
    cli/command/container/opts.go does."""
    if reservation:
        resources.memory_reservation = size(reservation, "--memory-reservation", False)
    swappiness = integer(swappiness, "--memory-swappiness")
    if swappiness != -1 and not 0 <= swappiness <= 100:
        raise Refused(f"invalid value: {swappiness}. Valid memory swappiness range is 0-100")
    if swappiness != -1:
        resources.memory_swappiness = swappiness


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
