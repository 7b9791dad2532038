"""`POST /build`'s query parameters for the RUN steps' containers and the build's cache
sources and platform, read as dockerd 20.10's newImageBuildOptions reads them
(api/server/router/build/build_routes.go):

    memory memswap cpushares cpuperiod cpuquota   numbers; one that does not parse is 0
    cpusetcpus cpusetmems cgroupparent isolation  text (isolation checked by the engine)
    shmsize                                       a number; one that does not parse: 400
    extrahosts securityopt                        repeated ("name:ip"; any security option
                                                  refused, as dockerd on Linux refuses it)
    ulimits cachefrom outputs                     JSON ([{"Name","Soft","Hard"}], [names],
                                                  outputs parsed and ignored: BuildKit's)
    platform                                      passed on (the engine parses it)
    squash                                        refused: no experimental mode here
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi import params

NUMBERS = {"memory": "memory", "memswap": "memory_swap", "cpushares": "cpu_shares",
           "cpuperiod": "cpu_period", "cpuquota": "cpu_quota"}  # fmt: skip


SECURITY_OPT_REFUSED = (
    "The daemon on this platform does not support setting security options on build"
)


def host_config(request: web.Request) -> engine_pb2.HostConfig:
    """The RUN steps' HostConfig; what dockerd refuses before it reads the body refused here
    too (the engine says the same), so the reply comes before the context is sent."""
    query = request.query
    isolation = query.get("isolation", "")
    if "securityopt" in query:
        raise errors.InvalidArgument(SECURITY_OPT_REFUSED)
    if isolation.lower() not in ("", "default"):
        raise errors.InvalidArgument(f'Unsupported isolation: "{isolation}"')
    resources = engine_pb2.Resources(
        cpuset_cpus=query.get("cpusetcpus", ""),
        cpuset_mems=query.get("cpusetmems", ""),
        ulimits=[_ulimit(u) for u in _json(request, "ulimits", "error reading ulimit settings")],
    )
    for name, field in NUMBERS.items():
        setattr(resources, field, _number_or_zero(query.get(name, "")))
    return engine_pb2.HostConfig(
        resources=resources,
        extra_hosts=query.getall("extrahosts", []),
        security_opt=query.getall("securityopt", []),
        shm_size=_shm_size(query.get("shmsize", "")),
        isolation=isolation,
        cgroup_parent=query.get("cgroupparent", ""),
    )


def cache_from(request: web.Request) -> list[str]:
    names = _json(request, "cachefrom", "error reading cachefrom")
    if not all(isinstance(name, str) for name in names):
        raise errors.InvalidArgument("error reading cachefrom: want a list of strings")
    _json(request, "outputs", "error reading outputs")  # BuildKit's: read, then left alone
    return list(names)


def squash(request: web.Request) -> bool:
    if params.flag(request, "squash"):  # postBuild's check, before the body is read
        raise errors.InvalidArgument("squash is only supported with experimental mode")
    return False


def _number_or_zero(text: str) -> int:
    """httputils.Int64ValueOrZero: what does not parse is 0."""
    try:
        value = int(text)
    except ValueError:
        return 0
    return value if -(1 << 63) <= value < 1 << 63 else 0


def _shm_size(text: str) -> int:
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise errors.InvalidArgument(
            f'strconv.ParseInt: parsing "{text}": invalid syntax'
        ) from None


def _json(request: web.Request, name: str, context: str) -> list[Any]:
    raw = request.query.get(name, "")
    try:
        value = json.loads(raw) if raw else []
    except ValueError as err:
        raise errors.InvalidArgument(f"{context}: {err}") from None
    if value is None:  # docker 20.10's CLI sends "null" for no ulimits: Go's nil slice
        return []
    if not isinstance(value, list):
        raise errors.InvalidArgument(f"{context}: want a JSON array")
    return value


def _ulimit(doc: Any) -> engine_pb2.Ulimit:
    fields = params.Fields(doc, "ulimits")
    return engine_pb2.Ulimit(
        name=fields.text("Name"), soft=fields.number("Soft"), hard=fields.number("Hard")
    )
