"""A container's resource limits and usage, through its cgroup (v1 controller files or v2).

`apply` writes the OCI runtime-spec `linux.resources` (memory, swap and v1's OOM-killer switch
(v2 has none), the soft limit and swappiness, CPU shares, quota and
period, cpuset CPUs and memory nodes, block devices' bps/iops throttles, pids, and the device rules: v1's devices.allow/deny, v2's eBPF program made by
`devicefilter`); `stats` reads what docker's `stats`
shows; `oom_killed` tells whether the kernel's OOM killer struck in the cgroup.
Limits the kernel refuses (EINVAL, EBUSY) raise `ResourceError` with the file and the value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dockyard.shim import devicefilter
from dockyard.shim.cgroups import Cgroup

UNLIMITED_V1 = 9223372036854771712  # what v1 reports for "no limit" (PAGE_COUNTER_MAX pages)


THROTTLES_V1 = {
    "throttleReadBpsDevice": "read_bps_device",
    "throttleWriteBpsDevice": "write_bps_device",
    "throttleReadIOPSDevice": "read_iops_device",
    "throttleWriteIOPSDevice": "write_iops_device",
}
THROTTLES_V2 = {
    "throttleReadBpsDevice": "rbps",
    "throttleWriteBpsDevice": "wbps",
    "throttleReadIOPSDevice": "riops",
    "throttleWriteIOPSDevice": "wiops",
}


class ResourceError(Exception):
    pass


def apply(group: Cgroup, resources: dict[str, Any]) -> None:
    if group.v2:
        _apply_v2(group, resources)
    else:
        _apply_v1(group, resources)


def _write(directory: Path | None, name: str, value: object) -> None:
    if directory is None or not (directory / name).exists():
        return
    try:
        (directory / name).write_text(str(value))
    except OSError as err:
        raise ResourceError(f"cannot set {name} to {value}: {err.strerror or err}") from None


def _apply_v1(group: Cgroup, resources: dict[str, Any]) -> None:
    memory = resources.get("memory", {})
    mem_dir = group.controller_dir("memory")
    if "limit" in memory or "swap" in memory:
        limit, swap = memory.get("limit", -1), memory.get("swap")
        try:  # memsw must stay >= the memory limit: the order of the writes matters
            _write(mem_dir, "memory.limit_in_bytes", limit)
            if swap is not None:
                _write(mem_dir, "memory.memsw.limit_in_bytes", swap)
        except ResourceError:
            if swap is None:
                raise
            _write(mem_dir, "memory.memsw.limit_in_bytes", swap)
            _write(mem_dir, "memory.limit_in_bytes", limit)
    if memory.get("disableOOMKiller"):
        _write(mem_dir, "memory.oom_control", 1)
    if memory.get("reservation"):
        _write(mem_dir, "memory.soft_limit_in_bytes", memory["reservation"])
    if "swappiness" in memory:
        _write(mem_dir, "memory.swappiness", memory["swappiness"])
    cpu = resources.get("cpu", {})
    cpu_dir = group.controller_dir("cpu")
    if cpu.get("shares"):
        _write(cpu_dir, "cpu.shares", cpu["shares"])
    if cpu.get("period"):
        _write(cpu_dir, "cpu.cfs_period_us", cpu["period"])
    if "quota" in cpu:
        _write(cpu_dir, "cpu.cfs_quota_us", cpu["quota"] if cpu["quota"] > 0 else -1)
    _realtime(cpu_dir, cpu.get("realtimePeriod", 0), cpu.get("realtimeRuntime", 0))
    if cpu.get("cpus"):
        _write(group.controller_dir("cpuset"), "cpuset.cpus", cpu["cpus"])
    if cpu.get("mems"):
        _write(group.controller_dir("cpuset"), "cpuset.mems", cpu["mems"])
    if "pids" in resources:
        limit = resources["pids"].get("limit", 0)
        _write(group.controller_dir("pids"), "pids.max", limit if limit > 0 else "max")
    block_io = resources.get("blockIO", {})
    if block_io.get("weight"):
        _write(group.controller_dir("blkio"), "blkio.weight", block_io["weight"])
    for device in block_io.get("weightDevice", []):
        line = f"{device['major']}:{device['minor']} {device['weight']}"
        _write(group.controller_dir("blkio"), "blkio.weight_device", line)
    for key, name in THROTTLES_V1.items():
        for device in block_io.get(key, []):
            line = f"{device['major']}:{device['minor']} {device['rate']}"
            _write(group.controller_dir("blkio"), f"blkio.throttle.{name}", line)
    if "devices" in resources:
        _devices_v1(group.controller_dir("devices"), resources["devices"])


def _realtime(cpu_dir: Path | None, period: int, runtime: int) -> None:
    """cpu.rt_period_us and cpu.rt_runtime_us hang together (the runtime fits in the period,
    and the children's runtimes in the parent's): a period the kernel refuses before the new
    runtime is in place is written again after it."""
    again = False
    if period:
        try:
            _write(cpu_dir, "cpu.rt_period_us", period)
        except ResourceError:
            if not runtime:
                raise
            again = True
    if runtime:
        _write(cpu_dir, "cpu.rt_runtime_us", runtime)
        if again:
            _write(cpu_dir, "cpu.rt_period_us", period)


def _devices_v1(directory: Path | None, rules: list[dict[str, Any]]) -> None:
    if directory is None or not (directory / "devices.allow").exists():  # never unfiltered
        raise ResourceError("cannot apply the device rules: this host has no devices cgroup")
    for rule in rules:
        kind = rule.get("type", "a")
        major, minor = rule.get("major", "*"), rule.get("minor", "*")
        line = "a" if kind == "a" else f"{kind} {major}:{minor} {rule.get('access', 'rwm')}"
        _write(directory, "devices.allow" if rule.get("allow") else "devices.deny", line)


def _apply_v2(group: Cgroup, resources: dict[str, Any]) -> None:
    d = group.controllers[""]
    memory = resources.get("memory", {})
    if "limit" in memory:
        limit = memory["limit"]
        _write(d, "memory.max", limit if limit > 0 else "max")
        if "swap" in memory:
            swap = memory["swap"]
            _write(d, "memory.swap.max", max(swap - limit, 0) if swap > 0 and limit > 0 else "max")
    if memory.get("reservation"):
        _write(d, "memory.low", memory["reservation"])  # v2 has no swappiness file
    cpu = resources.get("cpu", {})
    if cpu.get("shares"):
        _write(d, "cpu.weight", 1 + ((cpu["shares"] - 2) * 9999) // 262142)
    if "quota" in cpu or cpu.get("period"):
        quota = cpu.get("quota", -1)
        _write(d, "cpu.max", f"{quota if quota > 0 else 'max'} {cpu.get('period') or 100000}")
    if cpu.get("cpus"):
        _write(d, "cpuset.cpus", cpu["cpus"])
    if cpu.get("mems"):
        _write(d, "cpuset.mems", cpu["mems"])
    if "pids" in resources:
        limit = resources["pids"].get("limit", 0)
        _write(d, "pids.max", limit if limit > 0 else "max")
    block_io = resources.get("blockIO", {})
    if block_io.get("weight"):  # 10..1000 → 1..10000, as runc converts it
        _write(d, "io.weight", 1 + (block_io["weight"] - 10) * 9999 // 990)
    for device in block_io.get("weightDevice", []):
        weight = 1 + (device["weight"] - 10) * 9999 // 990
        _write(d, "io.weight", f"{device['major']}:{device['minor']} {weight}")
    for key, name in THROTTLES_V2.items():
        for device in block_io.get(key, []):
            _write(d, "io.max", f"{device['major']}:{device['minor']} {name}={device['rate']}")
    if "devices" in resources:
        _devices_v2(d, resources["devices"])


def _devices_v2(directory: Path, rules: list[dict[str, Any]]) -> None:
    """No devices controller on v2: without its program the container opens any device."""
    try:
        devicefilter.attach(directory, rules)
    except (devicefilter.DeviceFilterError, OSError) as err:
        raise ResourceError(f"cannot apply the device rules to the cgroup: {err}") from None


def _read(directory: Path | None, name: str) -> str:
    if directory is None:
        return ""
    try:
        return (directory / name).read_text().strip()
    except OSError:
        return ""


def _int(text: str, default: int = 0) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _keyed(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = _int(parts[1])
    return out


def stats(group: Cgroup, init_pid: int) -> dict[str, int]:
    result = _stats_v2(group) if group.v2 else _stats_v1(group)
    total = _host_memory()
    if not result["memory_limit"] or result["memory_limit"] >= UNLIMITED_V1:
        result["memory_limit"] = total
    result.update(_net(init_pid))
    result["system_cpu_ns"] = _system_cpu_ns()
    result["online_cpus"] = os.cpu_count() or 1
    return result


def _stats_v1(group: Cgroup) -> dict[str, int]:
    memory = group.controller_dir("memory")
    usage = _int(_read(memory, "memory.usage_in_bytes"))
    cache = _keyed(_read(memory, "memory.stat")).get("total_inactive_file", 0)
    pids_max = _read(group.controller_dir("pids"), "pids.max")
    read, write = 0, 0
    for line in _read(
        group.controller_dir("blkio"), "blkio.throttle.io_service_bytes"
    ).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "Read":
            read += _int(parts[2])
        elif len(parts) == 3 and parts[1] == "Write":
            write += _int(parts[2])
    return {
        "cpu_usage_ns": _int(_read(group.controller_dir("cpuacct"), "cpuacct.usage")),
        "memory_usage": max(usage - cache, 0),
        "memory_cache": cache,
        "memory_limit": _int(_read(memory, "memory.limit_in_bytes")),
        "pids_current": _int(_read(group.controller_dir("pids"), "pids.current")),
        "pids_limit": 0 if pids_max in ("", "max") else _int(pids_max),
        "block_read": read,
        "block_write": write,
    }


def _stats_v2(group: Cgroup) -> dict[str, int]:
    d = group.controllers[""]
    memory_stat = _keyed(_read(d, "memory.stat"))
    usage = _int(_read(d, "memory.current"))
    cache = memory_stat.get("inactive_file", 0)
    limit = _read(d, "memory.max")
    pids_max = _read(d, "pids.max")
    read = write = 0
    for line in _read(d, "io.stat").splitlines():
        fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
        read += _int(fields.get("rbytes", "0"))
        write += _int(fields.get("wbytes", "0"))
    return {
        "cpu_usage_ns": _keyed(_read(d, "cpu.stat")).get("usage_usec", 0) * 1000,
        "memory_usage": max(usage - cache, 0),
        "memory_cache": cache,
        "memory_limit": 0 if limit in ("", "max") else _int(limit),
        "pids_current": _int(_read(d, "pids.current")),
        "pids_limit": 0 if pids_max in ("", "max") else _int(pids_max),
        "block_read": read,
        "block_write": write,
    }


def oom_killed(group: Cgroup) -> bool:
    if group.v2:
        return _keyed(_read(group.controllers[""], "memory.events")).get("oom_kill", 0) > 0
    return (
        _keyed(_read(group.controller_dir("memory"), "memory.oom_control")).get("oom_kill", 0) > 0
    )


def _net(pid: int) -> dict[str, int]:
    rx = tx = 0
    try:
        lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    except OSError:
        lines = []
    for line in lines:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if name.strip() != "lo" and len(fields) >= 9:
            rx += _int(fields[0])
            tx += _int(fields[8])
    return {"net_rx": rx, "net_tx": tx}


def _system_cpu_ns() -> int:
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0
    ticks = sum(_int(v) for v in first[:8])
    return ticks * 10**9 // os.sysconf("SC_CLK_TCK")


def _host_memory() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
