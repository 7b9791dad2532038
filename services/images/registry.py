"""A client of the OCI distribution API (docker registries): the connection, retries, errors
in docker's words, and the reads a pull makes (the writes of a push are in `upload.py`).

Plain HTTP for loopback registries (localhost, 127.0.0.1, ::1) and those the daemon config
lists in `insecure-registries`; HTTPS otherwise, trusting the system's CAs plus
`<config dir>/certs.d/<host:port>/ca.crt` (docker's certs.d layout). Authentication is the
`Gate`'s (`registry_auth.py`). `Registries` hands out one client per (registry, credentials),
sharing a connection pool and remembering tokens from one pull to the next.

A request that may be repeated (GET, HEAD) is retried with backoff (0.5 s, 1 s, 2 s) when the
registry answers 5xx or drops the connection; refused connections and unknown names fail at
once, as docker's do ("dial tcp: lookup x: no such host").
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
import os
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.api import lazy
from dockyard.api.errors import (
    DigestMismatch,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from dockyard.services.images.registry_auth import Credentials, Gate
from dockyard.services.images.schema import MAX_MANIFEST

if TYPE_CHECKING:
    import aiohttp
else:
    aiohttp = lazy.module("aiohttp")  # imported at the first request to a registry

LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
CONNECT_TIMEOUT, READ_TIMEOUT = 15, 60
BACKOFF = (0.5, 1.0, 2.0)
RETRIED = ("GET", "HEAD")
CHUNK = 256 * 1024


def drops(*more: type[Exception]) -> tuple[type[Exception], ...]:
    """aiohttp's errors for a connection that broke (the request may be asked again), and
    `more`."""
    return (
        aiohttp.ClientPayloadError,
        aiohttp.ClientOSError,
        aiohttp.ServerDisconnectedError,
        *more,
    )


class RangeNotSatisfiable(Internal):
    """416: the registry will not resume a blob at the offset asked (fetch again from zero)."""


class Dropped(Unavailable):
    """The connection broke in the middle of a body: ask again (from where it stopped)."""


def scheme_for(host: str, insecure: tuple[str, ...]) -> str:
    """ "http" for loopback and insecure registries (entries: host, host:port or a CIDR)."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    if name in LOOPBACK or host in insecure or name in insecure:
        return "http"
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return "https"
    for entry in insecure:
        with contextlib.suppress(ValueError):
            if "/" in entry and address in ipaddress.ip_network(entry, strict=False):
                return "http"
    return "https"


def ssl_context(host: str, certs_dir: Path) -> ssl.SSLContext:
    context = ssl.create_default_context()
    directory = certs_dir / host
    for ca in sorted(directory.glob("*.crt")) if directory.is_dir() else ():
        if ca.name != "client.cert":
            context.load_verify_locations(cafile=str(ca))
    cert, key = directory / "client.cert", directory / "client.key"
    if cert.exists() and key.exists():
        context.load_cert_chain(str(cert), str(key))
    return context


class Registries:
    """One `Registry` per (registry, credentials), on one connection pool, for the service's
    lifetime: tokens are asked for once per scope and expiry, not once per pull."""

    def __init__(self, insecure: tuple[str, ...], certs_dir: Path) -> None:
        self._insecure = insecure
        self._certs = certs_dir
        self._session: aiohttp.ClientSession | None = None
        self._known: dict[tuple[str, str, str], Registry] = {}

    def get(self, domain: str, credentials: Credentials) -> Registry:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        key = (domain, credentials.key(), self._certs_seen(domain))  # a new CA: a new client
        if key not in self._known:
            self._known[key] = Registry(
                self._session, domain, self._insecure, self._certs, credentials
            )
        return self._known[key]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _certs_seen(self, domain: str) -> str:
        """What certs.d holds for `domain` now (names, sizes, times): docker reads it anew."""
        directory = self._certs / (DOCKER_HUB_API if domain == DOCKER_HUB else domain)
        try:
            found = sorted(
                (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()
            )
        except OSError:
            return ""
        return repr(found)


class Registry:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        domain: str,
        insecure: tuple[str, ...],
        certs_dir: Path,
        credentials: Credentials,
    ) -> None:
        self.host = DOCKER_HUB_API if domain == DOCKER_HUB else domain
        self.scheme = scheme_for(self.host, insecure)
        self.session = session
        self.ssl: ssl.SSLContext | bool = (
            ssl_context(self.host, certs_dir) if self.scheme == "https" else False
        )
        self.gate = Gate(session, credentials, self.ssl)

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}/v2/{path}"

    async def login(self) -> None:
        """Check the credentials on /v2/: PermissionDenied in the registry's words if refused."""
        async with self.request("GET", "", "") as response:
            await check(response)

    async def manifest(
        self, repository: str, reference: str, accept: tuple[str, ...]
    ) -> tuple[bytes, str]:
        """The manifest's bytes (at most `MAX_MANIFEST`) and media type."""
        for delay in (*BACKOFF, None):
            try:
                return await self._manifest(repository, reference, accept)
            except Dropped:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _manifest(
        self, repository: str, reference: str, accept: tuple[str, ...]
    ) -> tuple[bytes, str]:
        path = f"{repository}/manifests/{reference}"
        headers = {"Accept": ", ".join(accept)}
        async with self.request("GET", path, pull(repository), headers) as response:
            if response.status == 404:
                raise NotFound(await error_text(response, "MANIFEST_UNKNOWN", "manifest unknown"))
            await check(response)
            try:
                data = await _read_at_most(response, MAX_MANIFEST, "manifest")
            except drops() as err:
                raise Dropped(f'Get "{response.url}": {err or type(err).__name__}') from None
            return data, response.headers.get("Content-Type", "").split(";")[0]

    async def blob(
        self, repository: str, digest: str, offset: int = 0
    ) -> AsyncIterator[tuple[bytes, bool]]:
        """The blob's bytes from `offset`; the flag says whether the server resumed there."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        path = f"{repository}/blobs/{digest}"
        async with self.request("GET", path, pull(repository), headers) as response:
            if response.status == 404:
                raise NotFound(f"blob {digest} unknown to the registry")
            if response.status == 416 and offset:
                raise RangeNotSatisfiable(f"the registry cannot send {digest} from byte {offset}")
            await check(response)
            resumed = response.status == 206
            try:
                async for chunk in response.content.iter_chunked(CHUNK):
                    yield chunk, resumed
            except drops(TimeoutError) as err:
                raise Dropped(f'Get "{response.url}": {err or type(err).__name__}') from None

    async def tags(self, repository: str) -> list[str]:
        """Every tag of `repository`, in the registry's order, following its pages (the "next"
        link) as distribution's tag service does for docker's pull -a."""
        tags: list[str] = []
        url = self.url(f"{repository}/tags/list")
        while url:
            async with self.request("GET", url, pull(repository)) as response:
                await check(response)
                page = await _read_at_most(response, MAX_MANIFEST, "tag list")
                url = _next_page(response.headers.get("Link", ""), f"{self.scheme}://{self.host}")
            tags += _tag_names(page)
        return tags

    async def blob_bytes(self, repository: str, digest: str, size: int) -> bytes:
        """A small blob (an image config) in memory: exactly `size` bytes, digest verified."""
        for delay in (*BACKOFF, None):
            try:
                return await self._blob_bytes(repository, digest, size)
            except Dropped:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _blob_bytes(self, repository: str, digest: str, size: int) -> bytes:
        data = bytearray()
        async for chunk, _ in self.blob(repository, digest):
            data += chunk
            if len(data) > size:
                raise DigestMismatch(f"blob {digest} is longer than its descriptor's {size} bytes")
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if len(data) != size or actual != digest:
            raise DigestMismatch(
                f"failed to verify blob {digest}: got digest {actual} and {len(data)} bytes, "
                f"expected {size}"
            )
        return bytes(data)

    def request(
        self,
        method: str,
        path: str,
        scope: str,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Exchange:
        """`async with registry.request(...) as response`; `path` under /v2/ or a full URL."""
        url = path if path.startswith(("http://", "https://")) else self.url(path)
        return Exchange(self, method, url, scope, headers or {}, kwargs)

    async def send(
        self, method: str, url: str, scope: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        """Send (retrying what may be retried), answering one authentication challenge."""
        tries = len(BACKOFF) if method in RETRIED else 0
        for attempt in range(tries + 1):
            try:
                response = await self._authorized(method, url, scope, headers, kwargs)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, TimeoutError) as err:
                if attempt == tries or isinstance(err, aiohttp.ClientConnectorError):
                    raise _unreachable(method, url, err, self.host) from None
            else:
                if response.status < 500 or attempt == tries:
                    return response
                response.release()
            await asyncio.sleep(BACKOFF[attempt])
        raise AssertionError("unreachable")

    async def _authorized(
        self, method: str, url: str, scope: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        try:
            response = await self._once(method, url, scope, headers, kwargs)
            if response.status != 401:
                return response
            challenge = response.headers.get("WWW-Authenticate", "")
            response.release()
            await self.gate.answer(challenge, scope)
            response = await self._once(method, url, scope, headers, kwargs)
        except aiohttp.ClientConnectorError as err:
            raise _unreachable(method, url, err, self.host) from None
        if response.status == 401:
            message = await error_text(response, "UNAUTHORIZED", "authentication required")
            response.release()
            raise PermissionDenied(message)
        return response

    async def _once(
        self, method: str, url: str, scope: str, headers: dict[str, str], kwargs: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        return await self.session.request(
            method,
            url,
            headers=headers | self.gate.header(scope),
            ssl=self.ssl,
            timeout=aiohttp.ClientTimeout(connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT),
            **kwargs,
        )


class Exchange:
    """`async with registry.request(...) as response`: sends, follows the auth flow, releases."""

    def __init__(
        self,
        registry: Registry,
        method: str,
        url: str,
        scope: str,
        headers: dict[str, str],
        kwargs: dict[str, Any],
    ) -> None:
        self._args = (method, url, scope, headers, kwargs)
        self._registry = registry
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        self._response = await self._registry.send(*self._args)
        return self._response

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.release()


def login_domain(server: str) -> str:
    """The registry a `docker login SERVER` means: "https://host:5000/v1/" → "host:5000"."""
    host = server.split("://", 1)[-1].split("/", 1)[0].lower()
    if host in ("", "index.docker.io", "registry-1.docker.io", DOCKER_HUB):
        return DOCKER_HUB
    return host


def _next_page(link: str, base: str) -> str:
    """The URL of a Link header's rel="next" (`</v2/…?last=x>; rel="next"`), or ""."""
    target, _, params = link.partition(";")
    if 'rel="next"' not in params.replace(" ", ""):
        return ""
    target = target.strip().removeprefix("<").removesuffix(">")
    return target if target.startswith(("http://", "https://")) else base + target


def _tag_names(page: bytes) -> list[str]:
    try:
        tags = json.loads(page).get("tags") or []
    except (ValueError, AttributeError):
        raise InvalidArgument("the registry sent a tag list that is not JSON") from None
    return [str(tag) for tag in tags]


def pull(repository: str) -> str:
    return f"repository:{repository}:pull"


def _unreachable(method: str, url: str, err: BaseException, host: str) -> Unavailable:
    verb = method.capitalize() if method != "HEAD" else "Head"
    if isinstance(err, aiohttp.ClientConnectorCertificateError):
        reason = getattr(err.certificate_error, "verify_message", "") or str(err.certificate_error)
        return Unavailable(f'{verb} "{url}": tls: failed to verify certificate: {reason}')
    if isinstance(err, aiohttp.ClientConnectorError):
        return Unavailable(f'{verb} "{url}": {_dial_error(err, host)}')
    if isinstance(err, TimeoutError):
        return Unavailable(f'{verb} "{url}": timed out')
    return Unavailable(f'{verb} "{url}": {err or type(err).__name__}')


def _dial_error(err: aiohttp.ClientConnectorError, host: str) -> str:
    inner = err.os_error
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    if isinstance(inner, socket.gaierror):
        if inner.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return f"dial tcp: lookup {name}: no such host"
        return f"dial tcp: lookup {name}: {str(inner.strerror or inner).lower()}"
    if inner is not None and inner.errno:
        return f"dial tcp {host}: connect: {os.strerror(inner.errno).lower()}"
    return str(err)


async def error_text(response: aiohttp.ClientResponse, code: str, default: str) -> str:
    """The first error of a distribution-API body as docker prints it: its code in words, then
    its message ("manifest unknown: manifest unknown"); `code` and `default` stand for what the
    body does not say (no code: the message alone)."""
    message = default
    try:
        doc = await response.json(content_type=None)
        first = doc.get("errors", [{}])[0] if isinstance(doc, dict) else {}
        code, message = str(first.get("code") or code), str(first.get("message") or default)
    except (ValueError, AttributeError, IndexError, TypeError, aiohttp.ClientError):
        pass
    words = code.lower().replace("_", " ")
    return f"{words}: {message}" if words else message


async def check(response: aiohttp.ClientResponse) -> None:
    """A status of 400 or more as the error class docker would show it as."""
    status = response.status
    if status < 400:
        return
    if status >= 500:
        raise Unavailable(f"received unexpected HTTP status: {status} {response.reason}")
    code = {403: "DENIED", 429: "TOOMANYREQUESTS"}.get(status, "")
    message = await error_text(response, code, response.reason or str(status))
    if status == 403:
        raise PermissionDenied(message)
    if status == 404:
        raise NotFound(message)
    if status == 429:
        raise Unavailable(message)
    raise InvalidArgument(f"{message} ({status} {response.reason})")


async def _read_at_most(response: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    """The body, refused once it is longer than `limit` (declared or sent: never all read)."""
    if response.content_length is not None and response.content_length > limit:
        raise InvalidArgument(
            f"{what} too big: {response.content_length} bytes (the limit is {limit >> 20} MiB)"
        )
    data = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise InvalidArgument(f"{what} too big: more than {limit >> 20} MiB")
    return bytes(data)
