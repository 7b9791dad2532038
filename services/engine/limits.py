"""Resource limits as docker validates them and as the OCI spec expresses them.

`--memory 6MB` is the floor, `--memory-swap` counts memory + swap (-1: no swap limit; unset
with a memory limit: twice the memory, docker's default), `--cpus` becomes a CFS quota over a
100 ms period, `--pids-limit` ≤ 0 means unlimited, `--oom-kill-disable` becomes the memory
cgroup's disableOOMKiller and `--oom-score-adj` (-1000..1000) the process' oomScoreAdj;
`--memory-reservation` (≥ 6MB, ≤ the limit) a soft limit, `--memory-swappiness` 0..100 (-1: unset). Ulimits become process rlimits; the shim never
raises one above its own hard limit (the host refuses, and the engine's is the ceiling).
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.model import Resources, ThrottleDevice, Ulimit

MIN_MEMORY = 6 * 1024 * 1024
# the cgroup v1 cpu controller's real-time budget (none on cgroup v2, as dockerd finds)
REALTIME_FILE = Path("/sys/fs/cgroup/cpu/cpu.rt_runtime_us")
CFS_PERIOD = 100_000  # microseconds
ULIMITS = (
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
    "as",
)


KERNEL_MEMORY_DEPRECATED = (  # moby v20.10 daemon/daemon_unix.go verifyPlatformContainerResources
    "Specifying a kernel memory limit is deprecated and will be removed in a future release."
)
KERNEL_MEMORY_DISCARDED = (
    "Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. "
    "Limitation discarded."
)
KMEM_FILE = Path("/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes")
BLKIO_WEIGHT_DISCARDED = (
    "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."
)
BLKIO_WEIGHT_DEVICE_DISCARDED = (
    "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. "
    "Weight-device discarded."
)


def discarded(resources: Resources) -> list[str]:
    """Drop what docker 20.10 drops with a warning; the warnings, for the create and update
    replies. A kernel memory limit is warned about as deprecated (since Linux 5.4), and dropped
    where the memory cgroup has no kmem file (v2, newer kernels); where it has one, it is kept
    in the record as dockerd keeps it, and applied by nobody (runc 1.1 ignores it too)."""
    warnings = []
    if resources.kernel_memory > 0:
        warnings.append(KERNEL_MEMORY_DEPRECATED)
    if resources.kernel_memory > 0 and not KMEM_FILE.exists():
        resources.kernel_memory = 0
        warnings.append(KERNEL_MEMORY_DISCARDED)
    if 0 < resources.kernel_memory < MIN_MEMORY:
        raise InvalidArgument("Minimum kernel memory limit allowed is 6MB")
    if resources.blkio_weight > 0 and not _has_blkio_weight():
        resources.blkio_weight = 0
        warnings.append(BLKIO_WEIGHT_DISCARDED)
    if resources.blkio_weight_device and not _has_blkio_weight():
        resources.blkio_weight_device = []
        warnings.append(BLKIO_WEIGHT_DEVICE_DISCARDED)
    return warnings


def _has_blkio_weight() -> bool:
    """v1's blkio.weight (CFQ's; gone with it from newer kernels) or v2's io controller."""
    if Path("/sys/fs/cgroup/blkio/blkio.weight").exists():
        return True
    with contextlib.suppress(OSError):
        return "io" in Path("/sys/fs/cgroup/cgroup.controllers").read_text().split()
    return False


def validate(resources: Resources) -> None:
    if resources.memory and resources.memory < MIN_MEMORY:
        raise InvalidArgument("Minimum memory limit allowed is 6MB")
    swap = resources.memory_swap
    if swap > 0 and (not resources.memory or swap < resources.memory):
        raise InvalidArgument(
            "Minimum memoryswap limit should be larger than memory limit, see usage"
        )
    cpus = os.cpu_count() or 1
    if resources.nano_cpus < 0 or resources.nano_cpus > cpus * 10**9:
        raise InvalidArgument(
            f"Range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available"
        )
    if resources.nano_cpus and (resources.cpu_quota or resources.cpu_period):
        raise InvalidArgument("Conflicting options: Nano CPUs and CPU Period cannot both be set")
    if resources.cpu_shares < 0:
        raise InvalidArgument("invalid CPU shares: must be positive")
    if resources.cpuset_cpus:
        _check_cpuset(resources.cpuset_cpus, cpus)
    if resources.cpuset_mems:
        _check_mems(resources.cpuset_mems)
    _check_realtime(resources)
    _check_memory_extras(resources)
    if resources.blkio_weight and not 10 <= resources.blkio_weight <= 1000:
        raise InvalidArgument("Range of blkio weight is from 10 to 1000")
    if not -1000 <= resources.oom_score_adj <= 1000:  # moby 20.10 daemon/daemon_unix.go
        raise InvalidArgument(
            f"Invalid value {resources.oom_score_adj}, range for oom score adj is [-1000, 1000]"
        )
    for ulimit in resources.ulimits:
        if ulimit.name not in ULIMITS:
            raise InvalidArgument(f"invalid ulimit type: {ulimit.name}")
        if min(ulimit.soft, ulimit.hard) < -1:  # -1 is unlimited; nothing is below it
            raise InvalidArgument(
                f"invalid ulimit argument: {ulimit.name}={ulimit.soft}:{ulimit.hard}"
            )
        if _amount(ulimit.soft) > _amount(ulimit.hard):
            raise InvalidArgument(
                f"ulimit soft limit must be less than or equal to hard limit: {ulimit.soft} > {ulimit.hard}"
            )
        _check_ceiling(ulimit)


def _check_memory_extras(resources: Resources) -> None:
    """moby v20.10 daemon/daemon_unix.go verifyPlatformContainerResources' words."""
    reservation, swappiness = resources.memory_reservation, resources.memory_swappiness
    if 0 < reservation < MIN_MEMORY:
        raise InvalidArgument("Minimum memory reservation allowed is 6MB")
    if resources.memory > 0 and reservation > 0 and resources.memory < reservation:
        raise InvalidArgument(
            "Minimum memory limit can not be less than memory reservation limit, see usage"
        )
    if swappiness is not None and not -1 <= swappiness <= 100:
        raise InvalidArgument(
            f"Invalid value: {swappiness}, valid memory swappiness range is 0-100"
        )


def _check_ceiling(ulimit: Ulimit) -> None:
    """Containers inherit the engine's hard limits and cannot get more (no CAP_SYS_RESOURCE)."""
    kind = getattr(resource, f"RLIMIT_{ulimit.name.upper()}", None)
    if kind is None:
        return
    hard = resource.getrlimit(kind)[1]
    if hard != resource.RLIM_INFINITY and _amount(ulimit.hard) > hard:
        wanted = "unlimited" if ulimit.hard == -1 else ulimit.hard
        raise InvalidArgument(
            f"ulimit {ulimit.name}: hard limit {wanted} is above the engine's own hard limit {hard}"
        )


def _amount(limit: int) -> float:
    return math.inf if limit == -1 else limit


def _check_realtime(resources: Resources) -> None:
    """moby v20.10's checks of --cpu-rt-period and --cpu-rt-runtime (verifyPlatformContainer-
    Resources). The cgroup's real-time budget comes from its parent's: where the parent has
    none (the host's default below the root), the kernel refuses the runtime at start, as
    runc's write is refused under dockerd without --cpu-rt-runtime."""
    period, runtime = resources.cpu_realtime_period, resources.cpu_realtime_runtime
    if (period > 0 or runtime > 0) and not REALTIME_FILE.exists():
        what = "period" if period > 0 else "runtime"
        raise InvalidArgument(f"Your kernel does not support cgroup cpu real-time {what}")
    if period and runtime and runtime > period:
        raise InvalidArgument("cpu real-time runtime cannot be higher than cpu real-time period")


def _check_cpuset(text: str, cpus: int) -> None:
    wanted: set[int] = set()
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            wanted |= set(range(int(low), int(high or low) + 1))
    except ValueError:
        raise InvalidArgument(f"invalid value {text} for cpuset cpus") from None
    if max(wanted, default=0) >= cpus:
        raise InvalidArgument(
            f"Requested CPUs are not available - requested {text}, available: 0-{cpus - 1}"
        )


def _check_mems(text: str) -> None:
    """moby v20.10 daemon/daemon_unix.go's words; the nodes are the root cpuset's."""
    try:
        wanted = _nodes(text)
    except ValueError:
        raise InvalidArgument(f"Invalid value {text} for cpuset mems") from None
    available = _available_mems()
    if not wanted <= _nodes(available):
        raise InvalidArgument(
            f"Requested memory nodes are not available - requested {text}, available: {available}"
        )


def _nodes(text: str) -> set[int]:
    nodes: set[int] = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        if int(low) < 0 or int(high or low) < int(low):
            raise ValueError(text)
        nodes |= set(range(int(low), int(high or low) + 1))
    return nodes


def _available_mems() -> str:
    for path in (
        "/sys/fs/cgroup/cpuset/cpuset.mems",
        "/sys/fs/cgroup/cpuset.mems.effective",
        "/sys/devices/system/node/online",
    ):
        with contextlib.suppress(OSError):
            return Path(path).read_text().strip()
    return "0"


def oci_resources(resources: Resources) -> dict[str, Any]:
    """The OCI linux.resources (without devices) for `resources`."""
    out: dict[str, Any] = {}
    if resources.memory:
        swap = resources.memory_swap or 2 * resources.memory
        out["memory"] = {"limit": resources.memory, **({"swap": swap} if swap > 0 else {})}
    if resources.oom_kill_disable:
        out.setdefault("memory", {})["disableOOMKiller"] = True
    if resources.memory_reservation > 0:
        out.setdefault("memory", {})["reservation"] = resources.memory_reservation
    if resources.memory_swappiness is not None and resources.memory_swappiness >= 0:
        out.setdefault("memory", {})["swappiness"] = resources.memory_swappiness
    cpu: dict[str, Any] = {}
    if resources.cpu_shares:
        cpu["shares"] = resources.cpu_shares
    if resources.nano_cpus:
        cpu["period"] = CFS_PERIOD
        cpu["quota"] = resources.nano_cpus * CFS_PERIOD // 10**9
    else:
        if resources.cpu_period:
            cpu["period"] = resources.cpu_period
        if resources.cpu_quota:
            cpu["quota"] = resources.cpu_quota
    if resources.cpuset_cpus:
        cpu["cpus"] = resources.cpuset_cpus
    if resources.cpuset_mems:
        cpu["mems"] = resources.cpuset_mems
    if resources.cpu_realtime_period:
        cpu["realtimePeriod"] = resources.cpu_realtime_period
    if resources.cpu_realtime_runtime:
        cpu["realtimeRuntime"] = resources.cpu_realtime_runtime
    if cpu:
        out["cpu"] = cpu
    block_io = _block_io(resources)
    if block_io:
        out["blockIO"] = block_io
    if resources.pids_limit:
        out["pids"] = {"limit": resources.pids_limit if resources.pids_limit > 0 else -1}
    return out


def _block_io(resources: Resources) -> dict[str, Any]:
    throttles = {
        "throttleReadBpsDevice": resources.device_read_bps,
        "throttleWriteBpsDevice": resources.device_write_bps,
        "throttleReadIOPSDevice": resources.device_read_iops,
        "throttleWriteIOPSDevice": resources.device_write_iops,
    }
    out: dict[str, Any] = {
        key: [_throttle(d) for d in devices] for key, devices in throttles.items() if devices
    }
    if resources.blkio_weight:
        out["weight"] = resources.blkio_weight
    if resources.blkio_weight_device:
        out["weightDevice"] = [
            {**_throttle(d, "weight"), "weight": d.rate} for d in resources.blkio_weight_device
        ]
    return out


def _throttle(device: ThrottleDevice, key: str = "rate") -> dict[str, int]:
    """The device's major:minor, as moby v20.10 daemon/daemon_unix.go getBlkioThrottleDevices
    finds them (a stat of the host's path; its error in Go's words)."""
    try:
        rdev = os.stat(device.path).st_rdev
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise InvalidArgument(f"stat {device.path}: {reason}") from None
    return {"major": os.major(rdev), "minor": os.minor(rdev), key: device.rate}


def rlimits(ulimits: list[Ulimit]) -> list[dict[str, Any]]:
    return [{"type": f"RLIMIT_{u.name.upper()}", "soft": u.soft, "hard": u.hard} for u in ulimits]
