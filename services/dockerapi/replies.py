"""What every handler answers with: JSON as docker writes it, errors as `{"message": …}` with
docker's status codes, and chunked JSON streams (pull, push, build, events).

Status codes follow docker's error classes (moby's errdefs → HTTP):

    NotFound 404 · AlreadyExists 409 · FailedPrecondition 409 (wrong state: a conflict)
    InvalidArgument 400 · PermissionDenied 403 · Unimplemented 501 · Unavailable 503
    anything else 500
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from dockyard.api import errors

JSON = "application/json"
STATUS = {
    errors.NotFound: 404,
    errors.AlreadyExists: 409,
    errors.FailedPrecondition: 409,
    errors.InvalidArgument: 400,
    errors.PermissionDenied: 403,
    errors.Unimplemented: 501,
    errors.Unavailable: 503,
}


def dumps(value: Any) -> bytes:
    """Compact JSON and a newline, as Go's json.Encoder writes it."""
    return (json.dumps(value, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def reply(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(value), status=status, content_type=JSON)


def no_content() -> web.Response:
    return web.Response(status=204)


def status_of(err: errors.DockyardError) -> int:
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_reply(status: int, message: str) -> web.Response:
    return reply({"message": message}, status)


def unimplemented(what: str) -> errors.Unimplemented:
    """The error for an endpoint whose engine RPC does not exist yet."""
    return errors.Unimplemented(f"{what} is not implemented by Dockyard's engine yet")


class JsonStream:
    """A chunked stream of JSON messages. Its headers go out with the first message, so an
    error before any message is still a plain error reply (as docker's pull answers a 404)."""

    def __init__(self, request: web.Request) -> None:
        self._request = request
        self.response = web.StreamResponse(headers={"Content-Type": JSON})

    @property
    def started(self) -> bool:
        return self.response.prepared

    async def start(self) -> None:
        """Send the headers now (a client may wait for them before its next request)."""
        if not self.response.prepared:
            await self.response.prepare(self._request)

    async def send(self, message: Any) -> None:
        await self.start()
        await self.response.write(dumps(message))

    async def fail(self, err: errors.DockyardError) -> None:
        """An error in the middle of the stream, as docker reports it there."""
        await self.send({"errorDetail": {"message": str(err)}, "error": str(err)})

    async def finish(self) -> web.StreamResponse:
        await self.start()
        await self.response.write_eof()
        return self.response
