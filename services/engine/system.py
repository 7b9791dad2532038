"""`dockyard version` and `dockyard info`: facts about the engine and the host it runs on."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
from pathlib import Path

from dockyard import __version__
from dockyard.api.bootstrap import ServiceOptions
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.engine.backends import READY, Backends
from dockyard.services.engine.lifecycle import available_runtimes
from dockyard.services.engine.store import ContainerStore

API_VERSION = "1.0"
GOARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def version() -> engine_pb2.VersionResponse:
    return engine_pb2.VersionResponse(
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


async def info(
    options: ServiceOptions, store: ContainerStore, backends: Backends
) -> engine_pb2.InfoResponse:
    containers = store.list()
    images = await backends.images.List(images_pb2.ListImagesRequest(), **READY)
    statuses = [c.state.status for c in containers]
    return engine_pb2.InfoResponse(
        containers=len(containers),
        containers_running=statuses.count("running"),
        containers_paused=statuses.count("paused"),
        containers_stopped=len(containers) - statuses.count("running") - statuses.count("paused"),
        images=len(images.images),
        driver="overlayfs",
        cgroup_driver="cgroupfs",
        cgroup_version=cgroup_version(),
        kernel_version=os.uname().release,
        operating_system=_os_name(),
        os_type="linux",
        architecture=os.uname().machine,
        ncpu=os.cpu_count() or 1,
        mem_total=_mem_total(),
        root_dir=str(options.paths.root),
        state_dir=str(options.paths.state),
        name=socket.gethostname(),
        server_version=__version__,
        insecure_registries=list(options.config.insecure_registries),
        runtimes=available_runtimes(options.config),
        default_runtime=options.config.default_runtime,
        services=await _health(backends),
    )


async def _health(backends: Backends) -> dict[str, str]:
    async def probe(name: str) -> tuple[str, str]:
        try:
            await asyncio.wait_for(backends.channels[name].channel_ready(), 2)
            return name, "ok"
        except TimeoutError:
            return name, "unavailable"

    results = await asyncio.gather(*(probe(n) for n in backends.channels))
    return dict(results)


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
