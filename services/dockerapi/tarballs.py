"""Tars in and out through the Docker API: `docker save` (`GET /images/get`,
`GET /images/{name}/get`), `docker load` (`POST /images/load`) and `docker export`
(`GET /containers/{id}/export`).

A tar going out is `application/x-tar`; its first piece is read from the engine before the
headers go, so an unknown image or container is still a plain 404. A load answers as dockerd
does: a JSON stream of `{"stream": "Loaded image: …\\n"}` messages (an error before the first
one is a plain error reply, one after it the stream's last message).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import replies
from dockyard.services.dockerapi.engine import STREAM
from dockyard.services.dockerapi.router import Routes, engine_of, param

CHUNK = 1024 * 1024


def register(routes: Routes) -> None:
    routes.add("GET", "/images/get", save)
    routes.add("GET", "/images/{name*}/get", save_one)
    routes.add("POST", "/images/load", load)
    routes.add("GET", "/containers/{id}/export", export)


async def save(request: web.Request) -> web.StreamResponse:
    names = request.query.getall("names", [])
    if not names:
        raise errors.InvalidArgument("no image names given to save")  # the CLI needs one
    return await _save(request, names)


async def save_one(request: web.Request) -> web.StreamResponse:
    return await _save(request, [param(request, "name")])


async def _save(request: web.Request, names: list[str]) -> web.StreamResponse:
    message = images_pb2.SaveRequest(refs=names)
    return await _send_tar(request, engine_of(request).images.Save(message, **STREAM))


async def export(request: web.Request) -> web.StreamResponse:
    message = engine_pb2.ContainerRequest(id=param(request, "id"))
    return await _send_tar(request, engine_of(request).containers.Export(message, **STREAM))


async def _send_tar(request: web.Request, pieces: Any) -> web.StreamResponse:
    stream: AsyncIterator[images_pb2.BlobChunk] = aiter(pieces)
    first = await anext(stream, None)  # the error (no such image), before anything is sent
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/x-tar"})
    await response.prepare(request)
    if first is not None:
        await response.write(first.data)
        async for piece in stream:
            await response.write(piece.data)
    await response.write_eof()
    return response


async def load(request: web.Request) -> web.StreamResponse:
    stream = replies.JsonStream(request)
    try:
        async for progress in engine_of(request).images.Load(_chunks(request), **STREAM):
            if progress.status:
                await stream.send({"stream": progress.status + "\n"})
    except errors.DockyardError as err:
        if not stream.started:
            raise
        await stream.fail(err)
    return await stream.finish()


async def _chunks(request: web.Request) -> AsyncIterator[images_pb2.LoadRequest]:
    while chunk := await request.content.read(CHUNK):
        yield images_pb2.LoadRequest(chunk=chunk)
