"""Paths to handlers: docker's route table, each path with or without a `/v1.NN` prefix.

A request's API version (the prefix's, or the newest without one) is `request[VERSION]`, a
(major, minor) tuple; versions outside MIN_VERSION…API_VERSION are refused as dockerd refuses
them. Patterns name their parameters `{name}` (one path segment) or `{name*}` (the rest, slashes
included: image names). Every reply carries docker's `Api-Version` and `Server` headers, and an
error anywhere is `{"message": …}` with its status code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web
from dockyard import __version__
from dockyard.api import errors
from dockyard.services.dockerapi import replies
from dockyard.services.dockerapi.engine import Engine

log = logging.getLogger(__name__)

API_VERSION = "1.47"
MIN_VERSION = "1.24"
VERSION = web.RequestKey("api_version", tuple[int, int])
PARAMS = web.RequestKey("params", dict[str, str])
ENGINE = web.AppKey("engine", Engine)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_NO_ENGINE: set[Handler] = set()
"""Handlers that answer without the engine (`/_ping`: clients ask it first, and it must answer
while the engine restarts)."""
_PREFIX = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")
_PARAM = re.compile(r"\{(\w+)(\*?)\}")


def parse_version(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor)


class Routes:
    def __init__(self) -> None:
        self._table: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        def group(m: re.Match[str]) -> str:
            return f"(?P<{m[1]}>.+)" if m[2] else f"(?P<{m[1]}>[^/]+)"

        regex = re.compile("^" + _PARAM.sub(group, pattern.replace(".", r"\.")) + "$")
        self._table.append((method, regex, handler))
        if method == "GET":
            self._table.append(("HEAD", regex, handler))

    def find(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        for want, regex, handler in self._table:
            m = regex.match(path)
            if m and want == method:
                return handler, m.groupdict()
        raise errors.NotFound("page not found")


def build_app(engine: Engine) -> web.Application:
    from dockyard.services.dockerapi import (
        builds,
        containers,
        execs,
        images,
        networks,
        system,
        tarballs,
        transfers,
        volumes,
    )

    routes = Routes()
    modules = (system, containers, execs, images, tarballs, transfers, builds, networks, volumes)
    for module in modules:
        module.register(routes)
    app = web.Application(client_max_size=0)  # bodies (build contexts, loads) are streamed
    app[ENGINE] = engine
    app.on_response_prepare.append(_docker_headers)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        return await _dispatch(routes, request)

    app.router.add_route("*", "/{path:.*}", dispatch)
    return app


async def _dispatch(routes: Routes, request: web.Request) -> web.StreamResponse:
    try:
        path, version = _version(request.path)
        request[VERSION] = version
        handler, request[PARAMS] = routes.find(request.method, path)
        if handler not in _NO_ENGINE:
            await request.app[ENGINE].ready()
        return await handler(request)
    except errors.DockyardError as err:
        return replies.error_reply(replies.status_of(err), str(err))
    except web.HTTPException:
        raise
    except ConnectionError:  # the client went away (docker run detached, a Ctrl-C): no one to tell
        log.debug("%s %s: the client went away", request.method, request.path)
        return web.Response()
    except Exception as err:  # a bug: logged with its traceback, the client gets one line
        log.exception("%s %s failed", request.method, request.path)
        return replies.error_reply(500, f"internal error: {err}")


def _version(path: str) -> tuple[str, tuple[int, int]]:
    m = _PREFIX.match(path)
    if not m:
        return path, parse_version(API_VERSION)
    version = (int(m[1]), int(m[2]))
    if version > parse_version(API_VERSION):
        raise errors.InvalidArgument(
            f"client version {m[1]}.{m[2]} is too new. "
            f"Maximum supported API version is {API_VERSION}"
        )
    if version < parse_version(MIN_VERSION):
        raise errors.InvalidArgument(
            f"client version {m[1]}.{m[2]} is too old. Minimum supported API version is "
            f"{MIN_VERSION}, please upgrade your client to a newer version"
        )
    return m[3], version


async def _docker_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Api-Version"] = API_VERSION
    response.headers["Server"] = f"Docker/{__version__} (linux)"
    response.headers["Ostype"] = "linux"
    response.headers["Docker-Experimental"] = "false"


def without_engine(handler: Handler) -> Handler:
    """Mark `handler` as one that does not need the engine."""
    _NO_ENGINE.add(handler)
    return handler


def version_of(request: web.Request) -> tuple[int, int]:
    return request[VERSION]


def param(request: web.Request, name: str) -> str:
    """A parameter of the request's path (`{name}` in its route's pattern)."""
    return request[PARAMS][name]


def engine_of(request: web.Request) -> Engine:
    return request.app[ENGINE]
