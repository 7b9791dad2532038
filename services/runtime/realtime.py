"""The real-time budget of a real-time container's parent cgroups, as dockerd's daemon options
--cpu-rt-period and --cpu-rt-runtime give it (daemon.json's `cpu-rt-period`, `cpu-rt-runtime`).

A cgroup may hand its children only the real-time runtime it has itself, and below the root the
host's default is none: a container asking for `--cpu-rt-runtime` is refused by the kernel. So,
when the config names a budget and a container asks for real-time scheduling, each cgroup above
the container's in the v1 cpu hierarchy is made (if missing) and given the configured period
and runtime, from the top down, before the container's own is written. Nothing is done
otherwise: the host's settings stay as they are. cgroup v2 has no such files; dockerd refuses
the options there, and so does this.
"""

from __future__ import annotations

import json
from pathlib import Path

from dockyard.api.config import DaemonConfig
from dockyard.api.errors import FailedPrecondition, InvalidArgument

CPU_ROOT = Path("/sys/fs/cgroup/cpu")


def give_budget(spec: bytes, config: DaemonConfig) -> None:
    """Before the task for `spec` is made: its parents' real-time budget (see above)."""
    if not (config.cpu_rt_period or config.cpu_rt_runtime):
        return
    linux = json.loads(spec).get("linux", {})
    cpu = linux.get("resources", {}).get("cpu", {})
    if not (cpu.get("realtimePeriod") or cpu.get("realtimeRuntime")):
        return
    if not (CPU_ROOT / "cpu.rt_runtime_us").exists():
        raise InvalidArgument(
            "daemon-scoped cpu-rt-period and cpu-rt-runtime are not implemented for cgroup v2"
        )
    for directory in parents(linux.get("cgroupsPath", "")):
        directory.mkdir(exist_ok=True)
        if config.cpu_rt_period:
            _write(directory / "cpu.rt_period_us", config.cpu_rt_period)
        if config.cpu_rt_runtime:
            _write(directory / "cpu.rt_runtime_us", config.cpu_rt_runtime)


def parents(cgroups_path: str, own: Path | None = None) -> list[Path]:
    """The cgroups above the container's, top first: an absolute path from the hierarchy's
    root, a relative one below `own` (this process's cpu cgroup, where the runtime puts it)."""
    parts = [p for p in cgroups_path.split("/") if p][:-1]
    base = CPU_ROOT if cgroups_path.startswith("/") else (own or _own_cpu_cgroup())
    return [base.joinpath(*parts[: n + 1]) for n in range(len(parts))]


def _own_cpu_cgroup() -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            return CPU_ROOT / path.lstrip("/")
    return CPU_ROOT


def _write(path: Path, value: int) -> None:
    try:
        path.write_text(str(value))
    except OSError as err:
        raise FailedPrecondition(
            f"cannot give {path.parent} its real-time budget ({path.name} = {value}):"
            f" {err.strerror or err}"
        ) from None
