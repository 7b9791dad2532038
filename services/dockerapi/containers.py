"""The container endpoints that are one engine call each (create, start, stop, … prune) and the
list. The streaming ones (attach, logs, stats, resize) are in `streams.py`.

`docker run` calls `/wait` before `/start` and blocks until the wait's headers arrive, so wait
sends them at once; create answers 404 only for a missing image (`No such image: …`, which
makes the docker CLI, docker-py and compose pull) and 400 for anything else not found.
"""

from __future__ import annotations

from aiohttp import web
from dockyard.api import containerjson, errors
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.create_body import create_request, resources
from dockyard.services.dockerapi.engine import UNARY
from dockyard.services.dockerapi.router import Routes, engine_of, param, version_of

ENGINE_FILTERS = ("id", "name", "status", "label", "ancestor", "exited", "volume", "health")
LOCAL_FILTERS = ("before", "since", "network", "publish", "expose", "is-task")
PRUNABLE = ("created", "exited", "dead")


def register(routes: Routes) -> None:
    routes.add("GET", "/containers/json", list_containers)
    routes.add("POST", "/containers/create", create)
    routes.add("POST", "/containers/prune", prune)
    routes.add("GET", "/containers/{id}/json", inspect)
    routes.add("POST", "/containers/{id}/start", start)
    routes.add("POST", "/containers/{id}/stop", stop)
    routes.add("POST", "/containers/{id}/restart", restart)
    routes.add("POST", "/containers/{id}/kill", kill)
    routes.add("POST", "/containers/{id}/pause", pause)
    routes.add("POST", "/containers/{id}/unpause", unpause)
    routes.add("POST", "/containers/{id}/wait", wait)
    routes.add("POST", "/containers/{id}/rename", rename)
    routes.add("POST", "/containers/{id}/update", update)
    routes.add("GET", "/containers/{id}/top", top)
    routes.add("DELETE", "/containers/{id*}", remove)  # rm --link: "parent/alias"
    routes.add("GET", "/containers/{id}/changes", changes)
    from dockyard.services.dockerapi import archives, streams

    streams.register(routes)
    archives.register(routes)


CHANGE_KINDS = {"C": 0, "A": 1, "D": 2}
"""docker's archive.ChangeType: Modify, Add, Delete."""


async def changes(request: web.Request) -> web.StreamResponse:
    """`docker diff`: [{"Path", "Kind"}], or null when nothing changed (as dockerd)."""
    reply = await engine_of(request).containers.Changes(
        engine_pb2.ContainerRequest(id=_id(request)), **UNARY
    )
    found = [{"Path": c.path, "Kind": CHANGE_KINDS[c.kind]} for c in reply.changes]
    return replies.reply(found or None)


def _id(request: web.Request) -> str:
    return param(request, "id")


async def create(request: web.Request) -> web.StreamResponse:
    body = await params.body(request)
    message = create_request(body, request.query.get("name", ""))
    engine = engine_of(request)
    if request.query.get("platform"):
        await _check_platform(request, message.config.image, request.query["platform"])
    try:
        reply = await engine.containers.Create(message, **UNARY)
    except errors.NotFound as err:
        if str(err).startswith("No such image"):
            raise
        raise errors.InvalidArgument(str(err)) from None
    return replies.reply({"Id": reply.id, "Warnings": list(reply.warnings)}, 201)


async def _check_platform(request: web.Request, ref: str, wanted: str) -> None:
    """docker: an image of another platform is "not found" (so the CLI pulls the one asked)."""
    image = await engine_of(request).images.Inspect(images_pb2.GetImageRequest(ref=ref), **UNARY)
    actual = "/".join(p for p in (image.os, image.architecture, image.variant) if p)
    parts = wanted.split("/")
    if parts != actual.split("/")[: len(parts)]:
        raise errors.NotFound(
            f"No such image: {ref}: image with reference {ref} was found but does not match "
            f"the specified platform: wanted {wanted}, actual: {actual}"
        )


async def inspect(request: web.Request) -> web.StreamResponse:
    c = await engine_of(request).containers.Inspect(
        engine_pb2.InspectContainerRequest(id=_id(request), size=params.flag(request, "size")),
        **UNARY,
    )
    return replies.reply(containerjson.inspect(c, version_of(request)))


async def start(request: web.Request) -> web.StreamResponse:
    await engine_of(request).containers.Start(
        engine_pb2.StartContainerRequest(id=_id(request)), **UNARY
    )
    return replies.no_content()


def _stop_request(request: web.Request) -> engine_pb2.StopContainerRequest:
    message = engine_pb2.StopContainerRequest(id=_id(request))
    seconds = params.integer(request, "t")
    if seconds is not None:
        message.timeout = seconds
    if request.query.get("signal"):
        raise errors.InvalidArgument(
            "stop with a signal other than the container's own is not supported"
        )
    return message


async def stop(request: web.Request) -> web.StreamResponse:
    await engine_of(request).containers.Stop(_stop_request(request), **UNARY)
    return replies.no_content()


async def restart(request: web.Request) -> web.StreamResponse:
    await engine_of(request).containers.Restart(_stop_request(request), **UNARY)
    return replies.no_content()


async def kill(request: web.Request) -> web.StreamResponse:
    message = engine_pb2.KillContainerRequest(
        id=_id(request), signal=request.query.get("signal", "")
    )
    await engine_of(request).containers.Kill(message, **UNARY)
    return replies.no_content()


async def pause(request: web.Request) -> web.StreamResponse:
    await engine_of(request).containers.Pause(engine_pb2.ContainerRequest(id=_id(request)), **UNARY)
    return replies.no_content()


async def unpause(request: web.Request) -> web.StreamResponse:
    await engine_of(request).containers.Unpause(
        engine_pb2.ContainerRequest(id=_id(request)), **UNARY
    )
    return replies.no_content()


async def wait(request: web.Request) -> web.StreamResponse:
    engine = engine_of(request)
    condition = request.query.get("condition", "") or "not-running"
    # resolve the name first: a missing container is a 404, not a stream that fails
    c = await engine.containers.Inspect(
        engine_pb2.InspectContainerRequest(id=_id(request)), **UNARY
    )
    call = engine.containers.Wait(
        engine_pb2.WaitContainerRequest(id=c.id, condition=condition), timeout=None
    )
    stream = replies.JsonStream(request)
    await stream.start()
    try:
        reply = await call
    except errors.DockyardError as err:
        await stream.send({"StatusCode": -1, "Error": {"Message": str(err)}})
        return await stream.finish()
    error = {"Message": reply.error} if reply.error else None
    await stream.send({"StatusCode": reply.status_code, "Error": error})
    return await stream.finish()


async def remove(request: web.Request) -> web.StreamResponse:
    message = engine_pb2.RemoveContainerRequest(
        id=_id(request),
        force=params.flag(request, "force"),
        volumes=params.flag(request, "v"),
        link=params.flag(request, "link"),
    )
    await engine_of(request).containers.Remove(message, **UNARY)
    return replies.no_content()


async def rename(request: web.Request) -> web.StreamResponse:
    message = engine_pb2.RenameContainerRequest(id=_id(request), name=request.query.get("name", ""))
    await engine_of(request).containers.Rename(message, **UNARY)
    return replies.no_content()


async def update(request: web.Request) -> web.StreamResponse:
    body = params.Fields(await params.body(request))
    message = engine_pb2.UpdateContainerRequest(id=_id(request), resources=resources(body))
    if body.doc.get("RestartPolicy"):
        policy = body.obj("RestartPolicy")
        message.restart_policy.name = policy.text("Name")
        message.restart_policy.maximum_retry_count = policy.number("MaximumRetryCount")
    reply = await engine_of(request).containers.Update(message, **UNARY)
    return replies.reply({"Warnings": list(reply.warnings)})


async def top(request: web.Request) -> web.StreamResponse:
    message = engine_pb2.TopRequest(id=_id(request), ps_args=request.query.get("ps_args", ""))
    reply = await engine_of(request).containers.Top(message, **UNARY)
    return replies.reply(
        {"Titles": list(reply.titles), "Processes": [list(p.values) for p in reply.processes]}
    )


async def list_containers(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - set(ENGINE_FILTERS) - set(LOCAL_FILTERS))
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    limit = params.integer(request, "limit") or 0
    everything = params.flag(request, "all") or limit > 0
    found = await _list(request, wanted, everything)
    found = [c for c in found if _matches_here(c, wanted, found)]
    if limit > 0:
        found = found[:limit]
    version = version_of(request)
    return replies.reply([containerjson.summary(c, version) for c in found])


async def _list(
    request: web.Request, wanted: dict[str, list[str]], everything: bool
) -> list[engine_pb2.Container]:
    message = engine_pb2.ListContainersRequest(
        all=everything,
        filters=params.pairs(wanted, ENGINE_FILTERS),
        size=params.flag(request, "size"),
    )
    reply = await engine_of(request).containers.List(message, **UNARY)
    return list(reply.containers)


def _matches_here(
    c: engine_pb2.Container, wanted: dict[str, list[str]], every: list[engine_pb2.Container]
) -> bool:
    """The filters the engine does not apply: before/since (by creation), network, ports;
    and labels, which must all match (the engine takes any of one key's values)."""
    for key, values in wanted.items():
        if key == "label" and not all(_has_label(c, v) for v in values):
            return False
        if key in ("before", "since"):
            for ref in values:
                other = next((o for o in every if _names(o, ref)), None)
                if other is None:
                    return False
                newer = (c.created.seconds, c.created.nanos) > (
                    other.created.seconds,
                    other.created.nanos,
                )
                if newer != (key == "since") or c.id == other.id:
                    return False
        elif (
            (
                key == "network"
                and not any(
                    e.network in values or e.network_id in values
                    for e in c.network_settings.networks
                )
            )
            or (key in ("publish", "expose") and not any(_port_match(c, key, v) for v in values))
            or (key == "is-task" and "true" in values)
        ):
            return False
    return True


def _has_label(c: engine_pb2.Container, value: str) -> bool:
    key, sep, want = value.partition("=")
    return key in c.config.labels and (not sep or c.config.labels[key] == want)


def _names(c: engine_pb2.Container, ref: str) -> bool:
    return c.name == ref.removeprefix("/") or c.id.startswith(ref)


def _port_match(c: engine_pb2.Container, key: str, value: str) -> bool:
    port, _, proto = value.partition("/")
    low, _, high = port.partition("-")
    if not low.isdigit():
        raise errors.InvalidArgument(f"invalid filter '{key}={value}'")
    span = range(int(low), int(high or low) + 1)
    if key == "publish":
        bound = [(b.host_port, b.container_port) for b in c.network_settings.ports]
        return any(int(h or 0) in span and (not proto or p.endswith("/" + proto)) for h, p in bound)
    exposed = [p if "/" in p else f"{p}/tcp" for p in c.config.exposed_ports]
    return any(
        int(p.split("/")[0]) in span and (not proto or p.endswith("/" + proto)) for p in exposed
    )


async def prune(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - {"until", "label", "label!"})
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    for value in wanted.get("until", []):
        params.until_seconds(value)  # refused before anything goes, even with nothing to prune
    engine = engine_of(request)
    found = await _list(request, {"label": wanted.get("label", [])}, True)
    deleted = []
    for c in found:
        if c.state.status in PRUNABLE and _prunable(c, wanted):
            try:
                await engine.containers.Remove(engine_pb2.RemoveContainerRequest(id=c.id), **UNARY)
            except (errors.NotFound, errors.FailedPrecondition):
                continue  # removed or started meanwhile
            deleted.append(c.id)
    return replies.reply({"ContainersDeleted": deleted or None, "SpaceReclaimed": 0})


def _prunable(c: engine_pb2.Container, wanted: dict[str, list[str]]) -> bool:
    for value in wanted.get("until", []):
        if c.created.seconds >= params.until_seconds(value):
            return False
    if not all(_has_label(c, v) for v in wanted.get("label", [])):
        return False
    return not any(_has_label(c, v) for v in wanted.get("label!", []))
