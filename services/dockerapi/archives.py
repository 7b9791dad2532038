"""`docker cp`'s endpoints: HEAD (the stat of a path, in X-Docker-Container-Path-Stat), GET (the
path as a tar, the stat in that header too) and PUT (a tar extracted into a directory) on
`/containers/{id}/archive?path=…`, over the engine's StatPath/GetArchive/PutArchive.

The stat header is base64 of JSON with the mode in Go's os.FileMode bits (the type and the
setuid/setgid/sticky bits above the permissions), which is what the docker CLI decodes.
"""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from dockyard.api import errors
from dockyard.api.gotime import rfc3339
from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi import params
from dockyard.services.dockerapi.engine import STREAM, UNARY
from dockyard.services.dockerapi.router import Routes, engine_of, param

STAT_HEADER = "X-Docker-Container-Path-Stat"
CHUNK = 1 << 20
_GO_TYPES = {
    stat.S_IFDIR: 1 << 31,
    stat.S_IFLNK: 1 << 27,
    stat.S_IFBLK: 1 << 26,
    stat.S_IFCHR: 1 << 26 | 1 << 21,
    stat.S_IFIFO: 1 << 25,
    stat.S_IFSOCK: 1 << 24,
}
_GO_BITS = ((stat.S_ISUID, 1 << 23), (stat.S_ISGID, 1 << 22), (stat.S_ISVTX, 1 << 20))


def register(routes: Routes) -> None:
    routes.add("HEAD", "/containers/{id}/archive", head)
    routes.add("GET", "/containers/{id}/archive", get)
    routes.add("PUT", "/containers/{id}/archive", put)


def go_mode(mode: int) -> int:
    """A unix st_mode as Go's os.FileMode."""
    go = (mode & 0o777) | _GO_TYPES.get(stat.S_IFMT(mode), 0)
    for unix, bit in _GO_BITS:
        if mode & unix:
            go |= bit
    return go


def stat_header(found: Any) -> str:
    doc = {
        "name": found.name,
        "size": found.size,
        "mode": go_mode(found.mode),
        "mtime": rfc3339(found.mtime),
        "linkTarget": found.link_target,
    }
    return base64.b64encode(json.dumps(doc).encode()).decode()


def _path_request(request: web.Request) -> engine_pb2.ContainerPathRequest:
    path = request.query.get("path", "")
    if not path:
        raise errors.InvalidArgument("bad parameter: path cannot be empty")  # dockerd's words
    return engine_pb2.ContainerPathRequest(id=param(request, "id"), path=path)


async def head(request: web.Request) -> web.StreamResponse:
    found = await engine_of(request).containers.StatPath(_path_request(request), **UNARY)
    return web.Response(status=200, headers={STAT_HEADER: stat_header(found)})


async def get(request: web.Request) -> web.StreamResponse:
    stream = aiter(engine_of(request).containers.GetArchive(_path_request(request), **STREAM))
    first = await anext(stream)  # the stat, or the error, before anything is sent
    response = web.StreamResponse(
        status=200,
        headers={"Content-Type": "application/x-tar", STAT_HEADER: stat_header(first.stat)},
    )
    await response.prepare(request)
    async for item in stream:
        await response.write(item.data)
    await response.write_eof()
    return response


async def put(request: web.Request) -> web.StreamResponse:
    path = _path_request(request)
    options = engine_pb2.ContainerArchiveOptions(
        id=path.id,
        path=path.path,
        copy_uid_gid=params.flag(request, "copyUIDGID"),
        no_overwrite_dir_non_dir=params.flag(request, "noOverwriteDirNonDir"),
    )
    try:
        await engine_of(request).containers.PutArchive(_inputs(request, options), **STREAM)
    except errors.FailedPrecondition as err:  # a read-only rootfs or volume: dockerd's 400
        raise errors.InvalidArgument(str(err)) from None
    return web.Response(status=200)


async def _inputs(
    request: web.Request, options: engine_pb2.ContainerArchiveOptions
) -> AsyncIterator[engine_pb2.ContainerArchiveInput]:
    yield engine_pb2.ContainerArchiveInput(options=options)
    while chunk := await request.content.read(CHUNK):
        yield engine_pb2.ContainerArchiveInput(data=chunk)
