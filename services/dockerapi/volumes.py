"""The volume endpoints, until the engine has volumes (issue 12): every one answers 501 naming
what is missing, but `GET /volumes/{name}`, which says (truly) that there is no such volume —
`docker inspect NAME` asks each kind of object in turn and must get a "not found" here."""

from __future__ import annotations

from aiohttp import web
from dockyard.api import errors
from dockyard.services.dockerapi import replies
from dockyard.services.dockerapi.router import Routes, param

MISSING = "volumes (a volumes API in the engine)"


def register(routes: Routes) -> None:
    routes.add("GET", "/volumes", _missing)
    routes.add("POST", "/volumes/create", _missing)
    routes.add("POST", "/volumes/prune", _missing)
    routes.add("GET", "/volumes/{name}", inspect)
    routes.add("DELETE", "/volumes/{name}", _missing)


async def _missing(request: web.Request) -> web.StreamResponse:
    raise replies.unimplemented(MISSING)


async def inspect(request: web.Request) -> web.StreamResponse:
    raise errors.NotFound(f"get {param(request, 'name')}: no such volume")
