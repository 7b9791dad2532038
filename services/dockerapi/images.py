"""The image endpoints: pull and import (`POST /images/create`), list, inspect, history, tag,
remove, prune; search answers 501 until the engine has it (push and login are transfers.py's,
build builds.py's, save and load tarballs.py's).

Pull streams docker's JSON progress (`Pulling fs layer`, `Downloading` with `progressDetail`
and a drawn bar, `Digest: …`, `Status: …`), taking credentials from `X-Registry-Auth`; an error
before the first message is a plain error reply (a 404 for an unknown image, as docker's).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from dockyard.api import containerjson, errors
from dockyard.api.gotime import rfc3339
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import STREAM, UNARY, Engine
from dockyard.services.dockerapi.router import Routes, engine_of, param, version_of
from dockyard.types.v1 import types_pb2

CHUNK = 1024 * 1024
BAR = 50
ENGINE_FILTERS = ("reference", "dangling")


def register(routes: Routes) -> None:
    routes.add("POST", "/images/create", create)
    routes.add("GET", "/images/json", list_images)
    routes.add("POST", "/images/prune", prune)
    routes.add("GET", "/images/search", _missing("searching a registry"))
    routes.add("GET", "/images/{name*}/json", inspect)
    routes.add("GET", "/images/{name*}/history", history)
    routes.add("POST", "/images/{name*}/tag", tag)
    routes.add("DELETE", "/images/{name*}", remove)


def _missing(what: str) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        raise replies.unimplemented(what)

    return handler


def familiar(name: str) -> str:
    """docker's short form of a normalised name: "docker.io/library/busybox:1" → "busybox:1"."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def registry_auth(request: web.Request) -> images_pb2.RegistryAuth:
    """`X-Registry-Auth`: base64url JSON of docker's AuthConfig (absent or "e30=" = none)."""
    raw = request.headers.get("X-Registry-Auth", "")
    if not raw:
        return images_pb2.RegistryAuth()
    try:
        doc = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        raise errors.InvalidArgument("invalid X-Registry-Auth header") from None
    if not isinstance(doc, dict):
        return images_pb2.RegistryAuth()
    return auth_config(params.Fields(doc, "X-Registry-Auth"))


def auth_config(doc: params.Fields) -> images_pb2.RegistryAuth:
    """docker's AuthConfig: username and password, or `auth` (base64 of "user:password"),
    or tokens."""
    username, password = doc.text("username"), doc.text("password")
    if doc.text("auth") and not username:
        try:
            username, _, password = base64.b64decode(doc.text("auth")).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise errors.InvalidArgument("invalid auth: want base64 of user:password") from None
    return images_pb2.RegistryAuth(
        username=username,
        password=password,
        identity_token=doc.text("identitytoken"),
        registry_token=doc.text("registrytoken"),
    )


def _platform(request: web.Request) -> types_pb2.Platform | None:
    text = request.query.get("platform", "")
    if not text:
        return None
    parts = text.split("/")
    if len(parts) < 2:
        raise errors.InvalidArgument(f"invalid platform {text!r}: want os/arch[/variant]")
    return types_pb2.Platform(
        os=parts[0], architecture=parts[1], variant=parts[2] if len(parts) > 2 else ""
    )


async def create(request: web.Request) -> web.StreamResponse:
    if request.query.get("fromSrc"):
        return await _import(request)
    image = request.query.get("fromImage", "").removesuffix(":")  # pull -a may send "name:"
    if not image:
        raise errors.InvalidArgument("fromImage or fromSrc is required")
    tag = request.query.get("tag", "")
    if tag:
        image += f"@{tag}" if tag.startswith("sha256:") else f":{tag}"
    # a name alone is every tag of the repository, as dockerd's PullImage takes it (pull -a)
    all_tags = "@" not in image and ":" not in image.rsplit("/", 1)[-1]
    pull = images_pb2.PullRequest(ref=image, auth=registry_auth(request), all_tags=all_tags)
    platform = _platform(request)
    if platform is not None:
        pull.platform.CopyFrom(platform)
    stream = replies.JsonStream(request)
    try:
        async for progress in engine_of(request).images.Pull(pull, **STREAM):
            await stream.send(progress_json(progress))
    except errors.DockyardError as err:
        if not stream.started:
            raise
        await stream.fail(err)
    return await stream.finish()


def progress_json(p: images_pb2.PullProgress) -> dict[str, Any]:
    message: dict[str, Any] = {"status": p.status}
    if p.id and not p.status.startswith(("Digest:", "Status:")):
        message["progressDetail"] = {"current": p.current, "total": p.total} if p.total else {}
        if p.total:
            message["progress"] = _bar(p.current, p.total)
        message["id"] = p.id
    elif p.id:
        message["id"] = p.id
    return message


def _bar(current: int, total: int) -> str:
    filled = min(BAR, BAR * current // total)
    arrow = "=" * (filled - 1) + ">" if 0 < filled < BAR else "=" * filled
    return f"[{arrow.ljust(BAR)}] {_size(current)}/{_size(total)}"


def _size(size: float) -> str:
    units = ["B", "kB", "MB", "GB", "TB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return f"{size:.4g}{units[i]}"


async def _import(request: web.Request) -> web.StreamResponse:
    if request.query["fromSrc"] != "-":
        raise errors.InvalidArgument("import from a URL is not supported: send the tar as the body")
    repo, tag = request.query.get("repo", ""), request.query.get("tag", "")
    header = images_pb2.ImportHeader(
        ref=f"{repo}:{tag}" if repo and tag else repo,
        message=request.query.get("message", ""),
        changes=request.query.getall("changes", []),
    )
    platform = _platform(request)
    if platform is not None:
        header.platform.CopyFrom(platform)
    image = await engine_of(request).images.Import(_chunks(request, header), **UNARY)
    stream = replies.JsonStream(request)
    await stream.send({"status": image.id})
    return await stream.finish()


async def _chunks(
    request: web.Request, header: images_pb2.ImportHeader
) -> AsyncIterator[images_pb2.ImportRequest]:
    yield images_pb2.ImportRequest(header=header)
    while chunk := await request.content.read(CHUNK):
        yield images_pb2.ImportRequest(chunk=chunk)


async def _get(request: web.Request, ref: str) -> images_pb2.Image:
    image: images_pb2.Image = await engine_of(request).images.Inspect(
        images_pb2.GetImageRequest(ref=ref), **UNARY
    )
    return image


async def history(request: web.Request) -> web.StreamResponse:
    """docker history: the steps newest first, each with the image it made down the parent
    chain, "<missing>" below it."""
    message = images_pb2.GetImageRequest(ref=param(request, "name"))
    reply = await engine_of(request).images.History(message, **UNARY)
    return replies.reply([history_json(entry) for entry in reply.entries])


def history_json(entry: engine_pb2.HistoryEntry) -> dict[str, Any]:
    return {
        "Comment": entry.comment,
        "Created": entry.created.seconds,
        "CreatedBy": entry.created_by,
        "Id": entry.id,
        "Size": entry.size,
        "Tags": [familiar(t) for t in entry.tags] or None,
    }


async def inspect(request: web.Request) -> web.StreamResponse:
    image = await _get(request, param(request, "name"))
    return replies.reply(image_json(image, version_of(request)))


def image_summary(image: images_pb2.Image, version: tuple[int, int] = (1, 47)) -> dict[str, Any]:
    doc = {
        "Containers": -1,
        "Created": image.created.seconds,
        "Id": image.id,
        "Labels": dict(image.config.labels),
        "ParentId": image.parent,
        "RepoDigests": [familiar(d) for d in image.repo_digests],
        "RepoTags": [familiar(t) for t in image.repo_tags],
        "SharedSize": -1,
        "Size": image.size,
    }
    if version < (1, 44):
        doc["VirtualSize"] = image.size
    if version < (1, 43):  # dockerd's lists of then: placeholders for a nameless image, else null
        unnamed = not image.repo_tags and not image.repo_digests
        doc["RepoTags"] = ["<none>:<none>"] if unnamed else doc["RepoTags"] or None
        doc["RepoDigests"] = ["<none>@<none>"] if unnamed else doc["RepoDigests"] or None
    return doc


def _config(image: images_pb2.Image) -> dict[str, Any]:
    c = image.config
    config: dict[str, Any] = {
        "Hostname": "",
        "Domainname": "",
        "User": c.user,
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": list(c.env) or None,
        "Cmd": list(c.cmd) or None,
        "Image": "",
        "Volumes": {v: {} for v in c.volumes} or None,
        "WorkingDir": c.working_dir,
        "Entrypoint": list(c.entrypoint) or None,
        "OnBuild": None,
        "Labels": dict(c.labels) or None,
    }
    if c.exposed_ports:
        config["ExposedPorts"] = {p: {} for p in c.exposed_ports}
    if c.stop_signal:
        config["StopSignal"] = c.stop_signal
    if c.shell:
        config["Shell"] = list(c.shell)
    return containerjson.with_healthcheck(config, c.healthcheck)


def image_json(image: images_pb2.Image, version: tuple[int, int] = (1, 47)) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Id": image.id,
        "RepoTags": [familiar(t) for t in image.repo_tags],
        "RepoDigests": [familiar(d) for d in image.repo_digests],
        "Parent": image.parent,
        "Comment": image.comment,
        "Created": rfc3339(image.created),
        "DockerVersion": image.docker_version,
        "Author": image.author,
        "Config": _config(image),
        "Architecture": image.architecture,
        **({"Variant": image.variant} if image.variant else {}),
        "Os": image.os,
        "Size": image.size,
        "GraphDriver": {"Data": None, "Name": "overlayfs"},
        "RootFS": {"Type": "layers", "Layers": list(image.diff_ids)},
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
    }
    if version < (1, 45):  # compose 1.29 reads ContainerConfig (its Volumes)
        doc["Container"] = ""
        doc["ContainerConfig"] = _config(images_pb2.Image())
    if version < (1, 44):
        doc["VirtualSize"] = image.size
    return doc


async def list_images(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - {*ENGINE_FILTERS, "label", "before", "since"})
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    images = await _list(request, wanted, params.flag(request, "all"))
    version = version_of(request)
    return replies.reply([image_summary(i, version) for i in images])


async def _list(
    request: web.Request, wanted: dict[str, list[str]], all: bool = False
) -> list[images_pb2.Image]:
    """The images the engine lists (intermediate ones with `all`), docker's filters applied."""
    message = images_pb2.ListImagesRequest(filters=params.pairs(wanted, ENGINE_FILTERS), all=all)
    reply = await engine_of(request).images.List(message, **UNARY)
    found = list(reply.images)
    for key in ("before", "since"):
        for ref in wanted.get(key, []):
            edge = await _get(request, ref)
            stamp = edge.created.ToNanoseconds()
            found = [
                i
                for i in found
                if (
                    i.created.ToNanoseconds() < stamp
                    if key == "before"
                    else i.created.ToNanoseconds() > stamp
                )
            ]
    for value in wanted.get("label", []):
        key, sep, want = value.partition("=")
        found = [
            i for i in found if key in i.config.labels and (not sep or i.config.labels[key] == want)
        ]
    return found


async def tag(request: web.Request) -> web.StreamResponse:
    repo = request.query.get("repo", "")
    if not repo:
        raise errors.InvalidArgument("repository name must have at least one component")
    target = f"{repo}:{request.query.get('tag') or 'latest'}"
    message = images_pb2.TagImageRequest(source=param(request, "name"), target=target)
    await engine_of(request).images.Tag(message, **UNARY)
    return web.Response(status=201)


async def remove(request: web.Request) -> web.StreamResponse:
    message = images_pb2.RemoveImageRequest(
        ref=param(request, "name"),
        force=params.flag(request, "force"),
        no_prune=params.flag(request, "noprune"),
    )
    reply = await engine_of(request).images.Remove(message, **UNARY)
    return replies.reply(removal_json(reply))


def removal_json(reply: images_pb2.RemoveImageResponse) -> list[dict[str, str]]:
    return [{"Untagged": familiar(n)} for n in reply.untagged] + [
        {"Deleted": d} for d in reply.deleted
    ]


async def prune(request: web.Request) -> web.StreamResponse:
    wanted = params.filters(request)
    unknown = sorted(set(wanted) - {"dangling", "label", "until"})
    if unknown:
        raise errors.InvalidArgument(f"Invalid filter '{unknown[0]}'")
    dangling_only = wanted.get("dangling", ["true"]) != ["false"]
    engine = engine_of(request)
    images = await _list(request, {"label": wanted.get("label", [])})
    used = await _images_in_use(request)
    deleted: list[dict[str, str]] = []
    reclaimed = 0
    for image in images:
        if image.id in used or (dangling_only and image.repo_tags):
            continue
        if not _old_enough(image, wanted.get("until", [])):
            continue
        try:
            deleted += await _prune_one(engine, image)
        except (errors.NotFound, errors.FailedPrecondition):
            continue  # removed or taken into use meanwhile
        reclaimed += image.size
    return replies.reply({"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed})


async def _prune_one(engine: Engine, image: images_pb2.Image) -> list[dict[str, str]]:
    """The image deleted by ID (its untagged parents with it); a named one others are built
    on loses its names only, as docker's prune leaves it."""
    try:
        reply = await engine.images.Remove(
            images_pb2.RemoveImageRequest(ref=image.id, force=True), **UNARY
        )
        return removal_json(reply)
    except errors.FailedPrecondition:
        if not image.repo_tags:
            raise
    untagged = []
    for name in image.repo_tags:
        reply = await engine.images.Remove(images_pb2.RemoveImageRequest(ref=name), **UNARY)
        untagged += removal_json(reply)
    return untagged


async def _images_in_use(request: web.Request) -> set[str]:
    reply = await engine_of(request).containers.List(
        engine_pb2.ListContainersRequest(all=True), **UNARY
    )
    return {c.image for c in reply.containers}


def _old_enough(image: images_pb2.Image, until: list[str]) -> bool:
    return all(image.created.seconds < params.until_seconds(value) for value in until)
