"""`dockyard version` and `dockyard info`: facts about the engine and the host it runs on."""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass, field
from pathlib import Path

from dockyard import __version__
from dockyard.api.config import DaemonConfig
from dockyard.api.paths import Paths
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.creating import available_runtimes
from dockyard.services.engine.store import ContainerStore

API_VERSION = "1.0"
GOARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


@dataclass(frozen=True)
class Version:
    version: str
    api_version: str
    python_version: str
    os: str
    arch: str
    kernel_version: str


@dataclass(frozen=True)
class Info:
    containers: int
    containers_running: int
    containers_paused: int
    containers_stopped: int
    images: int
    driver: str
    cgroup_driver: str
    cgroup_version: str
    kernel_version: str
    operating_system: str
    os_type: str
    architecture: str
    ncpu: int
    mem_total: int
    root_dir: str
    state_dir: str
    name: str
    server_version: str
    insecure_registries: list[str] = field(default_factory=list)
    runtimes: list[str] = field(default_factory=list)
    default_runtime: str = ""
    services: dict[str, str] = field(default_factory=dict)  # service -> "ok" | "unavailable"
    security_options: list[str] = field(default_factory=list)  # docker's "name=…,key=value"


def version() -> Version:
    return Version(
        version=__version__,
        api_version=API_VERSION,
        python_version=platform.python_version(),
        os="linux",
        arch=arch(),
        kernel_version=os.uname().release,
    )


def arch() -> str:
    machine = os.uname().machine
    return GOARCH.get(machine, machine)


def cgroup_version() -> str:
    return "2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "1"


async def info(paths: Paths, config: DaemonConfig, store: ContainerStore, clients: Clients) -> Info:
    statuses = store.count_by_status()
    total, running, paused = (
        sum(statuses.values()),
        statuses.get("running", 0),
        statuses.get("paused", 0),
    )
    images = await clients.images.list_images([])
    return Info(
        containers=total,
        containers_running=running,
        containers_paused=paused,
        containers_stopped=total - running - paused,
        images=len(images),
        driver="overlayfs",
        cgroup_driver="cgroupfs",
        cgroup_version=cgroup_version(),
        kernel_version=os.uname().release,
        operating_system=_os_name(),
        os_type="linux",
        architecture=os.uname().machine,
        ncpu=os.cpu_count() or 1,
        mem_total=_mem_total(),
        root_dir=str(paths.root),
        state_dir=str(paths.state),
        name=socket.gethostname(),
        server_version=__version__,
        insecure_registries=list(config.insecure_registries),
        runtimes=available_runtimes(config),
        default_runtime=config.default_runtime,
        services=await clients.health.check(),
        security_options=security_options(),
    )


def security_options() -> list[str]:
    """What every container gets, in docker's words: its default seccomp profile, and a
    private cgroup namespace where cgroups are v2 (docker 20.10 lists those two alike)."""
    found = ["name=seccomp,profile=default"]
    return found + (["name=cgroupns"] if cgroup_version() == "2" else [])


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "Linux"


def _mem_total() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
