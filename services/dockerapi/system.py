"""The system endpoints: `/_ping`, `/version`, `/info`, `/events`, `/system/df`.

`HEAD /_ping` must carry `Api-Version` (without it the docker CLI falls back to API 1.24) and
`Builder-Version: 1` (the classic builder: Dockyard has no BuildKit). Events are docker's JSON
messages with the legacy `status`/`id`/`from` fields compose 1.29 reads.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.api.containerjson import summary
from dockyard.api.gotime import rfc3339_ns
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import STREAM, UNARY
from dockyard.services.dockerapi.images import image_summary
from dockyard.services.dockerapi.router import (
    API_VERSION,
    MIN_VERSION,
    Routes,
    engine_of,
    version_of,
    without_engine,
)
from dockyard.services.dockerapi.volumes import volume_json
from google.protobuf import empty_pb2

EVENT_KEYS = ("container", "event", "image", "label", "type")  # the engine filters these
LOCAL_EVENT_KEYS = ("network", "volume", "scope", "daemon")  # and this front these


def register(routes: Routes) -> None:
    routes.add("GET", "/_ping", ping)
    routes.add("GET", "/version", version)
    routes.add("GET", "/info", info)
    routes.add("GET", "/events", events)
    routes.add("GET", "/system/df", disk_usage)
    for kind in ("swarm", "nodes", "services", "tasks", "secrets", "configs"):
        for method in ("GET", "POST", "DELETE"):
            routes.add(method, f"/{kind}", _no_swarm)
            routes.add(method, f"/{kind}/{{rest*}}", _no_swarm)


@without_engine
async def ping(request: web.Request) -> web.StreamResponse:
    headers = {
        "Builder-Version": "1",
        "Swarm": "inactive",
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
    }
    body = b"" if request.method == "HEAD" else b"OK"
    return web.Response(body=body, headers=headers, content_type="text/plain")


async def version(request: web.Request) -> web.StreamResponse:
    v = await engine_of(request).system.Version(empty_pb2.Empty(), **UNARY)
    details = {
        "ApiVersion": API_VERSION,
        "MinAPIVersion": MIN_VERSION,
        "GitCommit": v.git_commit or "unknown",
        "GoVersion": f"python{v.python_version}",
        "Os": v.os,
        "Arch": v.arch,
        "KernelVersion": v.kernel_version,
        "BuildTime": "",
        "Experimental": "false",
    }
    return replies.reply(
        {
            "Platform": {"Name": "Dockyard"},
            "Components": [{"Name": "Engine", "Version": v.version, "Details": details}],
            "Version": v.version,
            **{k: v for k, v in details.items() if k != "Experimental"},
        }
    )


async def info(request: web.Request) -> web.StreamResponse:
    i = await engine_of(request).system.Info(empty_pb2.Empty(), **UNARY)
    return replies.reply(info_json(i))


def info_json(i: engine_pb2.InfoResponse) -> dict[str, Any]:
    return {
        "ID": _daemon_id(i.root_dir),
        "Containers": i.containers,
        "ContainersRunning": i.containers_running,
        "ContainersPaused": i.containers_paused,
        "ContainersStopped": i.containers_stopped,
        "Images": i.images,
        "Driver": i.driver,
        "DriverStatus": [],
        "Plugins": {
            "Volume": ["local"],
            "Network": ["bridge", "host", "macvlan", "null"],
            "Authorization": None,
            "Log": ["json-file"],
        },
        "MemoryLimit": True,
        "SwapLimit": True,
        "CpuCfsPeriod": True,
        "CpuCfsQuota": True,
        "CPUShares": True,
        "CPUSet": True,
        "PidsLimit": True,
        "IPv4Forwarding": True,
        "BridgeNfIptables": _sysctl_on("net/bridge/bridge-nf-call-iptables"),
        "BridgeNfIp6tables": _sysctl_on("net/bridge/bridge-nf-call-ip6tables"),
        "Debug": False,
        "OomKillDisable": i.cgroup_version == "1",  # memory.oom_control exists only on v1
        "SystemTime": rfc3339_ns(time.time_ns()),
        "LoggingDriver": "json-file",
        "CgroupDriver": i.cgroup_driver,
        "CgroupVersion": i.cgroup_version,
        "NEventsListener": 0,
        "KernelVersion": i.kernel_version,
        "OperatingSystem": i.operating_system,
        "OSVersion": "",
        "OSType": i.os_type,
        "Architecture": i.architecture,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "InsecureRegistryCIDRs": ["127.0.0.0/8", *i.insecure_registries],
            "IndexConfigs": {},
            "Mirrors": [],
        },
        "NCPU": i.ncpu,
        "MemTotal": i.mem_total,
        "DockerRootDir": i.root_dir,
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": i.name,
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": i.server_version,
        "Runtimes": {name: {"path": name} for name in i.runtimes},
        "DefaultRuntime": i.default_runtime,
        "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "Error": ""},
        "LiveRestoreEnabled": True,
        "Isolation": "",
        "SecurityOptions": list(i.security_options),
        "Warnings": None,
    }


def _sysctl_on(key: str) -> bool:
    """Whether /proc/sys/`key` is 1 (docker's client warns about a bridge-nf setting off)."""
    try:
        return Path("/proc/sys", key).read_text().strip() == "1"
    except OSError:
        return False


def _daemon_id(root: str) -> str:
    """A stable ID per engine (docker's is a random one kept in its root dir)."""
    digest = hashlib.sha256(root.encode()).hexdigest()
    return "-".join(digest[i : i + 8] for i in range(0, 32, 8)).upper()


async def events(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - set(EVENT_KEYS) - set(LOCAL_EVENT_KEYS))
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    query = engine_pb2.EventsRequest(filters=params.pairs(wanted, EVENT_KEYS))
    for name in ("since", "until"):
        if request.query.get(name):
            getattr(query, name).FromNanoseconds(params.timestamp_ns(request.query[name], name))
    if not request.query.get("since") and request.query.get("until"):
        query.since.FromNanoseconds(time.time_ns())
    stream = replies.JsonStream(request)
    await stream.start()  # docker flushes the headers at once: clients wait for them
    async for event in engine_of(request).system.Events(query, **STREAM):
        if _wanted_here(event, wanted):
            await stream.send(event_json(event))
    return await stream.finish()


def _wanted_here(event: engine_pb2.Event, wanted: dict[str, list[str]]) -> bool:
    for key in ("network", "volume"):
        if key in wanted and (
            event.type != key
            or not any(
                event.actor_id.startswith(v) or event.attributes.get("name") == v
                for v in wanted[key]
            )
        ):
            return False
    if "scope" in wanted and "local" not in wanted["scope"]:
        return False
    return not ("daemon" in wanted and event.type != "daemon")


def event_json(event: engine_pb2.Event) -> dict[str, Any]:
    ns = event.time.ToNanoseconds()
    message: dict[str, Any] = {}
    if event.type in ("container", "image"):  # the fields before API 1.22, still read
        message = {"status": event.action, "id": event.actor_id}
        if event.type == "container" and "image" in event.attributes:
            message["from"] = event.attributes["image"]
    return message | {
        "Type": event.type,
        "Action": event.action,
        "Actor": {"ID": event.actor_id, "Attributes": dict(event.attributes)},
        "scope": event.scope or "local",
        "time": ns // 10**9,
        "timeNano": ns,
    }


async def disk_usage(request: web.Request) -> web.StreamResponse:
    engine = engine_of(request)
    images = await engine.images.List(images_pb2.ListImagesRequest(), **UNARY)
    listing = await engine.containers.List(
        engine_pb2.ListContainersRequest(all=True, size=True), **UNARY
    )
    volumes = await engine.volumes.List(engine_pb2.ListVolumesRequest(usage=True), **UNARY)
    users: dict[str, int] = {}
    for c in listing.containers:
        users[c.image] = users.get(c.image, 0) + 1
    return replies.reply(
        {
            "LayersSize": sum(i.size for i in images.images),
            "Images": [
                image_summary(i, version_of(request))
                | {"Containers": users.get(i.id, 0), "SharedSize": 0}
                for i in images.images
            ],
            "Containers": [summary(c, version_of(request)) for c in listing.containers],
            "Volumes": [volume_json(v) for v in volumes.volumes],
            "BuildCache": [],
        }
    )


async def _no_swarm(request: web.Request) -> web.StreamResponse:
    """Dockyard is one engine, never a swarm node (docker answers this when not in a swarm)."""
    raise errors.Unavailable(
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
        "to connect this node to swarm and try again."
    )
