"""The writes of a push, in the distribution API's terms (the reads are in `registry.py`).

    exists(digest)             HEAD /v2/<name>/blobs/<digest>                    200 = there
    mount(digest, source)      POST /v2/<name>/blobs/uploads/?mount=…&from=…    201 = mounted
    upload(blob)               POST …/uploads/ → 202 Location, then either
                                 monolithic: PUT <location>&digest=… with the whole blob, or
                                 chunked:    PATCH <location> per chunk (Content-Range), then
                                             PUT <location>&digest=… with no body
    put_manifest(bytes)        PUT /v2/<name>/manifests/<tag> with its media type

Blobs up to `MONOLITHIC_MAX` go in one PUT, bigger ones in `CHUNK` pieces. A registry that
answers 202 to a mount has started an upload instead: the blob goes there. An upload that
breaks (the connection drops, 5xx) starts again, up to three times.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urljoin

from dockyard.api.errors import InvalidArgument, Unavailable
from dockyard.services.images.registry import BACKOFF, Registry, check, drops

if TYPE_CHECKING:
    import aiohttp

MONOLITHIC_MAX = 16 << 20
CHUNK = 8 << 20
READ = 1 << 20
Report = Callable[[int], None]


def push_scope(repository: str, *sources: str) -> str:
    return " ".join(
        [f"repository:{repository}:pull,push", *(f"repository:{s}:pull" for s in sources)]
    )


async def exists(registry: Registry, repository: str, digest: str) -> bool:
    path = f"{repository}/blobs/{digest}"
    async with registry.request("HEAD", path, push_scope(repository)) as response:
        if response.status == 404:
            return False
        await check(response)
        return True


async def mount(registry: Registry, repository: str, digest: str, source: str) -> bool:
    """Mount `digest` from the repository `source` of the same registry; whether it was."""
    query = urlencode({"mount": digest, "from": source})
    path = f"{repository}/blobs/uploads/?{query}"
    async with registry.request("POST", path, push_scope(repository, source)) as response:
        await check(response)
        if response.status == 201:
            return True
        await _cancel(registry, repository, _location(registry, response))
        return False


async def upload(
    registry: Registry,
    repository: str,
    digest: str,
    blob: Path,
    size: int,
    report: Report | None = None,
    monolithic_max: int = MONOLITHIC_MAX,
    chunk: int = CHUNK,
) -> None:
    """Upload the file `blob` (`size` bytes) as `digest` (restarted if it breaks on the way)."""
    for delay in (*BACKOFF, None):
        try:
            location = await _start(registry, repository)
            if size <= monolithic_max:
                await _put(registry, repository, location, digest, blob, 0, size, report)
            else:
                await _chunks(registry, repository, location, digest, blob, size, chunk, report)
            return
        except drops(Unavailable):
            if delay is None:
                raise
            await asyncio.sleep(delay)


async def put_manifest(
    registry: Registry, repository: str, reference: str, data: bytes, media_type: str
) -> str:
    """PUT the manifest; the digest the registry gives it."""
    path = f"{repository}/manifests/{reference}"
    headers = {"Content-Type": media_type}
    async with registry.request(
        "PUT", path, push_scope(repository), headers, data=data
    ) as response:
        await check(response)
        return response.headers.get("Docker-Content-Digest", "")


async def _start(registry: Registry, repository: str) -> str:
    path = f"{repository}/blobs/uploads/"
    async with registry.request("POST", path, push_scope(repository)) as response:
        await check(response)
        return _location(registry, response)


async def _chunks(
    registry: Registry,
    repository: str,
    location: str,
    digest: str,
    blob: Path,
    size: int,
    chunk: int,
    report: Report | None,
) -> None:
    for start in range(0, size, chunk):
        end = min(start + chunk, size)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{start}-{end - 1}",
            "Content-Length": str(end - start),
        }
        body = _read(blob, start, end, report)
        async with registry.request(
            "PATCH", location, push_scope(repository), headers, data=body
        ) as response:
            await check(response)
            location = _location(registry, response)
    await _put(registry, repository, location, digest, blob, size, size, report)


async def _put(
    registry: Registry,
    repository: str,
    location: str,
    digest: str,
    blob: Path,
    start: int,
    end: int,
    report: Report | None,
) -> None:
    """The final PUT, with the bytes `start:end` of `blob` (none after chunks)."""
    separator = "&" if "?" in location else "?"
    url = f"{location}{separator}{urlencode({'digest': digest})}"
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(end - start)}
    body = _read(blob, start, end, report) if end > start else b""
    async with registry.request("PUT", url, push_scope(repository), headers, data=body) as response:
        if response.status == 400:
            raise InvalidArgument(f"the registry refused blob {digest}: the bytes do not match it")
        await check(response)


async def _read(blob: Path, start: int, end: int, report: Report | None) -> AsyncIterator[bytes]:
    """The bytes `start:end` of `blob`, read in a worker thread, progress reported."""
    f = await asyncio.to_thread(open, blob, "rb")
    try:
        f.seek(start)
        done = start
        while done < end:
            data = await asyncio.to_thread(f.read, min(READ, end - done))
            if not data:
                raise InvalidArgument(f"{blob.name} is shorter than expected")
            done += len(data)
            yield data
            if report is not None:
                report(done)
    finally:
        f.close()


async def _cancel(registry: Registry, repository: str, location: str) -> None:
    async with registry.request("DELETE", location, push_scope(repository)):
        pass


def _location(registry: Registry, response: aiohttp.ClientResponse) -> str:
    location = response.headers.get("Location", "")
    if not location:
        raise Unavailable("the registry started an upload without saying where (no Location)")
    return urljoin(registry.url(""), location)
