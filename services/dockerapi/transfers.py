"""Images leaving and entering the engine: `POST /images/{name}/push` (and `POST /auth`, the
credentials check `docker login` asks of the daemon), onto the engine's Images Push and Login.

Push streams docker's JSON progress, as pull does ("The push refers to repository […]",
"Preparing", "Pushing" with a bar, "Pushed", "Layer already exists", then
"<tag>: digest: sha256:… size: N") and ends with `{"aux": {"Tag", "Digest", "Size"}}`;
credentials come from `X-Registry-Auth`. Without a `tag` every local tag of the repository
is pushed, one after the other (`docker push --all-tags`). Login answers
`{"IdentityToken", "Status": "Login Succeeded"}`, and 401 with the registry's words when the
registry refuses the credentials (dockerd 28's status; 20.10 said 500).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.engine import STREAM, UNARY
from dockyard.services.dockerapi.images import (
    auth_config,
    familiar,
    progress_json,
    registry_auth,
)
from dockyard.services.dockerapi.router import Routes, engine_of, param

REFERS = "The push refers to repository "
PUSHED = re.compile(r"^(?P<tag>\S+): digest: (?P<digest>sha256:[0-9a-f]{64}) size: (?P<size>\d+)$")


def register(routes: Routes) -> None:
    routes.add("POST", "/images/{name*}/push", push)
    routes.add("POST", "/auth", auth)


async def push(request: web.Request) -> web.StreamResponse:
    name, tag = param(request, "name"), request.query.get("tag", "")
    refs = [f"{name}@{tag}" if tag.startswith("sha256:") else f"{name}:{tag}"] if tag else []
    if not refs:
        refs = await _tags_of(request, name)
    stream = replies.JsonStream(request)
    auth = registry_auth(request)
    try:
        for i, ref in enumerate(refs):
            message = images_pb2.PushRequest(ref=ref, auth=auth)
            await _push_one(request, stream, message, first=i == 0)
    except errors.DockyardError as err:
        if not stream.started:
            raise
        await stream.fail(err)
    return await stream.finish()


async def _tags_of(request: web.Request, name: str) -> list[str]:
    """Every local tag of the repository `name` (docker push --all-tags)."""
    message = images_pb2.ListImagesRequest(filters=[f"reference={name}"])
    reply = await engine_of(request).images.List(message, **UNARY)
    tags = sorted(
        familiar(t)
        for i in reply.images
        for t in i.repo_tags
        if familiar(t).rpartition(":")[0] == name
    )
    if not tags:
        raise errors.NotFound(f"An image does not exist locally with the tag: {name}")
    return tags


async def _push_one(
    request: web.Request, stream: replies.JsonStream, message: images_pb2.PushRequest, first: bool
) -> None:
    """One tag's push; "The push refers to repository" is said once for them all, as dockerd."""
    async for progress in engine_of(request).images.Push(message, **STREAM):
        if first or not progress.status.startswith(REFERS):
            await stream.send(progress_json(progress))
        pushed = PUSHED.match(progress.status)
        if pushed and not progress.id:
            await stream.send({"progressDetail": {}, "aux": _aux(pushed)})


def _aux(pushed: re.Match[str]) -> dict[str, Any]:
    return {"Tag": pushed["tag"], "Digest": pushed["digest"], "Size": int(pushed["size"])}


async def auth(request: web.Request) -> web.StreamResponse:
    body = params.Fields(await params.body(request))
    message = images_pb2.LoginRequest(server=body.text("serveraddress"), auth=auth_config(body))
    try:
        reply = await engine_of(request).images.Login(message, **UNARY)
    except errors.PermissionDenied as err:
        return replies.error_reply(401, str(err))
    return replies.reply({"IdentityToken": reply.identity_token, "Status": reply.status})
