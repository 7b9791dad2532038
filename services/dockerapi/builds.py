"""`POST /build` (docker's classic builder: `/_ping` says `Builder-Version: 1`) and
`POST /commit` and `POST /build/prune`, onto the engine's Builds service.

The build's body is the context (a tar, plain or gzip, or a Dockerfile alone), streamed to the
engine as it arrives; the reply is docker's chunked JSON: `{"stream": …}` for the builder's own
lines ("Step 1/3 : FROM busybox", " ---> Using cache") and what RUN prints, `{"aux": {"ID": …}}`
then "Successfully built <id>" and "Successfully tagged <name>" (compose 1.29 and docker-py
find the image by that line), or `{"errorDetail": {"code", "message"}, "error"}` when a step
failed (the docker CLI exits with that code). A Dockerfile the engine refuses before any step
ran is a plain error reply, as dockerd's. With `q`, only the image ID is sent (on a failure,
everything before the error), as dockerd does. Base images are pulled with the credentials the
client sends for their registries (`X-Registry-Config`). The query's limits, hosts and /dev/shm
for the RUN steps, `cachefrom`, `platform` and `squash` are read in `buildquery.py`.

Commit's optional body is a container Config; its keys are what the engine's Commit takes as
Dockerfile changes (`CMD […]`, `ENV k=v`, …), applied before the `changes` parameters.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import buildquery, params, replies
from dockyard.services.dockerapi.engine import STREAM, UNARY
from dockyard.services.dockerapi.images import auth_config
from dockyard.services.dockerapi.router import Routes, engine_of

CHUNK = 1024 * 1024
LATE_LINES = ("Successfully built ", "Successfully tagged ")
"""The builder's last lines, which docker sends after the image's aux message."""
UNSUPPORTED = ("remote",)
"""Build parameters that would change the build and that the engine does not have: refused
when set to anything but docker's unset value."""
HUB_HOSTS = ("index.docker.io", "registry-1.docker.io", "docker.io")
DOCKER_HUB = "https://index.docker.io/v1/"  # Docker Hub's key, as docker's config.json has it


def register(routes: Routes) -> None:
    routes.add("POST", "/build", build)
    routes.add("POST", "/commit", commit)
    routes.add("POST", "/build/prune", prune)


def build_options(request: web.Request) -> engine_pb2.BuildOptions:
    """The query of `POST /build` as the engine's options; refusals as 400s."""
    _check_unsupported(request)
    network = request.query.get("networkmode", "")
    return engine_pb2.BuildOptions(
        tags=request.query.getall("t", []),
        dockerfile=request.query.get("dockerfile", ""),
        build_args=_json_map(request, "buildargs"),
        target=request.query.get("target", ""),
        no_cache=params.flag(request, "nocache"),
        pull=params.flag(request, "pull"),
        labels=_json_map(request, "labels"),
        network_mode="" if network == "default" else network,
        auths=registry_config(request),
        host_config=buildquery.host_config(request),
        cache_from=buildquery.cache_from(request),
        platform=request.query.get("platform", ""),
        squash=buildquery.squash(request),
    )


def registry_config(request: web.Request) -> dict[str, images_pb2.RegistryAuth]:
    """`X-Registry-Config`: base64url JSON of {registry: AuthConfig}, the client's every known
    login, keyed as its config.json keys them; the engine's keys are "host:port" and Docker
    Hub's "https://index.docker.io/v1/" (a key written as a URL is cut to its host)."""
    raw = request.headers.get("X-Registry-Config", "")
    try:
        doc = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) if raw else {}
    except (binascii.Error, ValueError):
        raise errors.InvalidArgument("invalid X-Registry-Config header") from None
    if not isinstance(doc, dict):
        raise errors.InvalidArgument("invalid X-Registry-Config header: want an object")
    found = {}
    for key, value in doc.items():
        host = key.split("://", 1)[-1].split("/", 1)[0].lower()
        host = DOCKER_HUB if host in HUB_HOSTS else host
        found[host] = auth_config(params.Fields(value, f"X-Registry-Config[{key!r}]"))
    return found


def _check_unsupported(request: web.Request) -> None:
    for name in UNSUPPORTED:
        if request.query.get(name, "") not in ("", "0"):
            raise errors.InvalidArgument(f"build option {name!r} is not supported by Dockyard")
    if request.query.get("version", "1") != "1":
        raise errors.InvalidArgument(
            "BuildKit is not supported by Dockyard: use the classic builder (DOCKER_BUILDKIT=0)"
        )


def _json_map(request: web.Request, name: str) -> dict[str, str]:
    """`buildargs`/`labels`: a JSON object of strings; null values (a --build-arg naming an
    unset variable) leave the ARG's default."""
    raw = request.query.get(name, "")
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        raise errors.InvalidArgument(f"invalid {name}: {raw}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str | None) for v in value.values()):
        raise errors.InvalidArgument(f"invalid {name}: want an object of strings")
    return {k: v for k, v in value.items() if v is not None}


async def build(request: web.Request) -> web.StreamResponse:
    options = build_options(request)
    stream = BuildStream(replies.JsonStream(request), quiet=params.flag(request, "q"))
    call = engine_of(request).builds.Build(_context(request, options), **STREAM)
    try:
        async for output in call:
            await stream.send(output)
    except errors.DockyardError as err:
        if not stream.started:
            raise
        await stream.fail(err)
    finally:
        call.cancel()  # a client gone mid-build stops the build
    return await stream.finish()


async def _context(
    request: web.Request, options: engine_pb2.BuildOptions
) -> AsyncIterator[engine_pb2.BuildInput]:
    yield engine_pb2.BuildInput(options=options)
    while chunk := await request.content.read(CHUNK):
        yield engine_pb2.BuildInput(context=chunk)


class BuildStream:
    """The engine's build outputs as docker's JSON messages (see the module's docstring)."""

    def __init__(self, out: replies.JsonStream, quiet: bool) -> None:
        self._out = out
        self._quiet = quiet
        self._held: list[dict[str, Any]] = []  # late lines; with `q`, everything

    @property
    def started(self) -> bool:
        return self._out.started

    async def send(self, output: engine_pb2.BuildOutput) -> None:
        kind = output.WhichOneof("msg")
        if kind == "stream":
            await self._text(output.stream)
        elif kind == "output":
            await self._text(output.output.decode(errors="replace"))
        elif kind == "image_id":
            if self._quiet:  # the ID alone, as dockerd sends it (no aux message either)
                self._held = [{"stream": f"{output.image_id}\n"}]
            else:
                await self._out.send({"aux": {"ID": output.image_id}})
            for message in self._held:
                await self._out.send(message)
            self._held = []
        elif kind == "error":
            await self._failed(output.error.message, output.error.code)

    async def _text(self, text: str) -> None:
        message = {"stream": text}
        if self._quiet or text.startswith(LATE_LINES):
            self._held.append(message)
        else:
            await self._out.send(message)

    async def _failed(self, message: str, code: int) -> None:
        for held in self._held:  # with `q`, docker shows the output of a failed build
            await self._out.send(held)
        self._held = []
        detail = {"code": code, "message": message} if code else {"message": message}
        await self._out.send({"errorDetail": detail, "error": message})

    async def fail(self, err: errors.DockyardError) -> None:
        await self._failed(str(err), 0)

    async def finish(self) -> web.StreamResponse:
        return await self._out.finish()


async def commit(request: web.Request) -> web.StreamResponse:
    repo, tag = request.query.get("repo", ""), request.query.get("tag", "")
    body = await params.body(request)
    message = engine_pb2.CommitRequest(
        container=request.query.get("container", ""),
        reference=f"{repo}:{tag}" if repo and tag else repo,
        comment=request.query.get("comment", ""),
        author=request.query.get("author", ""),
        changes=[*config_changes(params.Fields(body)), *request.query.getall("changes", [])],
        no_pause=not params.flag(request, "pause", default=True),
    )
    reply = await engine_of(request).builds.Commit(message, **UNARY)
    return replies.reply({"Id": reply.id}, 201)


def _quoted(text: str) -> str:
    """A word as a Dockerfile's ENV and LABEL read it back: double quotes, escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def config_changes(config: params.Fields) -> list[str]:
    """A commit body's Config as Dockerfile instructions (docker merges it over the
    container's config; these instructions merge alike: ENV and LABEL by key, the rest set)."""
    changes = [
        f"ENV {k}={_quoted(v)}" for k, _, v in (e.partition("=") for e in config.texts("Env"))
    ]
    changes += [f"LABEL {_quoted(k)}={_quoted(v)}" for k, v in config.text_map("Labels").items()]
    changes += [f"EXPOSE {port}" for port in config.obj("ExposedPorts").doc]
    changes += [f"VOLUME {json.dumps([path])}" for path in config.obj("Volumes").doc]
    for key, instruction in (("Cmd", "CMD"), ("Entrypoint", "ENTRYPOINT"), ("Shell", "SHELL")):
        value = config.doc.get(key)
        if value:
            words = [value] if isinstance(value, str) else config.texts(key)
            changes.append(f"{instruction} {json.dumps(words)}")
    for key, instruction in (
        ("WorkingDir", "WORKDIR"),
        ("User", "USER"),
        ("StopSignal", "STOPSIGNAL"),
    ):
        if config.text(key):
            changes.append(f"{instruction} {config.text(key)}")
    if config.doc.get("Healthcheck") or config.doc.get("OnBuild"):
        raise errors.InvalidArgument(
            "commit: Healthcheck and OnBuild are not supported by Dockyard"
        )
    return changes


async def prune(request: web.Request) -> web.StreamResponse:
    """`docker builder prune` (and `system prune`): the engine forgets its build cache (it
    keeps no other kind, so `all` changes nothing), or its oldest part with `until` and
    `keep-storage`; it does not name the records, so CachesDeleted is null."""
    filters = [
        f"{key}={value}" for key, values in params.filters(request).items() for value in values
    ]
    try:
        keep = int(request.query.get("keep-storage", "0") or "0")
    except ValueError:
        raise errors.InvalidArgument("keep-storage: want a number of bytes") from None
    message = engine_pb2.PruneBuildCacheRequest(
        all=params.flag(request, "all"), filters=filters, keep_storage=keep
    )
    reply = await engine_of(request).builds.Prune(message, **UNARY)
    return replies.reply({"CachesDeleted": None, "SpaceReclaimed": reply.space_reclaimed})
