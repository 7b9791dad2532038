"""The volume endpoints: list (filters), create, inspect, remove (a volume in use is a 409),
prune (anonymous volumes; every unused one with the `all` filter, API 1.42+, and always before
1.42, as dockerd)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.api.gotime import rfc3339
from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import UNARY
from dockyard.services.dockerapi.router import Routes, engine_of, param, version_of
from dockyard.volumes.v1 import volumes_pb2

LIST_FILTERS = ("dangling", "driver", "label", "name")
PRUNE_FILTERS = ("label", "label!", "all")
ALL_FROM = (1, 42)
"""Before this API version prune removes every unused volume, named ones too (dockerd adds
the `all` filter for older clients, such as docker CLI 20.10)."""


def register(routes: Routes) -> None:
    routes.add("GET", "/volumes", list_volumes)
    routes.add("POST", "/volumes/create", create)
    routes.add("POST", "/volumes/prune", prune)
    routes.add("GET", "/volumes/{name}", inspect)
    routes.add("DELETE", "/volumes/{name}", remove)


def volume_json(v: volumes_pb2.Volume) -> dict[str, Any]:
    """docker's Volume object (`UsageData` only when the engine measured it: system df)."""
    doc: dict[str, Any] = {
        "CreatedAt": rfc3339(v.created).split(".")[0].removesuffix("Z") + "Z",  # seconds
        "Driver": v.driver,
        "Labels": dict(v.labels) or None,
        "Mountpoint": v.mountpoint,
        "Name": v.name,
        "Options": dict(v.options) or None,
        "Scope": "local",
    }
    if v.HasField("usage"):
        doc["UsageData"] = {"Size": v.usage.size, "RefCount": v.usage.ref_count}
    return doc


async def list_volumes(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - set(LIST_FILTERS))
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    message = engine_pb2.ListVolumesRequest(filters=params.pairs(wanted, LIST_FILTERS))
    reply = await engine_of(request).volumes.List(message, **UNARY)
    return replies.reply({"Volumes": [volume_json(v) for v in reply.volumes], "Warnings": None})


async def create(request: web.Request) -> web.StreamResponse:
    body = params.Fields(await params.body(request))
    message = volumes_pb2.CreateVolumeRequest(
        name=body.text("Name"),
        driver=body.text("Driver"),
        options=body.text_map("DriverOpts"),
        labels=body.text_map("Labels"),
    )
    volume = await engine_of(request).volumes.Create(message, **UNARY)
    return replies.reply(volume_json(volume), 201)


async def inspect(request: web.Request) -> web.StreamResponse:
    message = volumes_pb2.GetVolumeRequest(name=param(request, "name"))
    return replies.reply(volume_json(await engine_of(request).volumes.Inspect(message, **UNARY)))


async def remove(request: web.Request) -> web.StreamResponse:
    message = engine_pb2.RemoveVolumeRequest(
        name=param(request, "name"), force=params.flag(request, "force")
    )
    await engine_of(request).volumes.Remove(message, **UNARY)
    return replies.no_content()


async def prune(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - set(PRUNE_FILTERS))
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    everything = version_of(request) < ALL_FROM or any(
        v in params.TRUE for v in wanted.get("all", [])
    )
    message = engine_pb2.PruneVolumesRequest(
        all=everything,
        filters=params.pairs(wanted, ("label", "label!")),
    )
    reply = await engine_of(request).volumes.Prune(message, **UNARY)
    return replies.reply(
        {"VolumesDeleted": list(reply.removed) or None, "SpaceReclaimed": reply.space_reclaimed}
    )
