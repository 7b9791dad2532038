"""A client of the OCI distribution API (docker registries), with docker's auth flow.

Plain HTTP for loopback registries (localhost, 127.0.0.1, ::1) and those the daemon config
lists in `insecure-registries`; HTTPS otherwise, trusting the system's CAs plus
`<config dir>/certs.d/<host:port>/ca.crt` (docker's certs.d layout). A 401 answer carries a
`WWW-Authenticate` challenge: `Basic` is answered with the credentials; `Bearer realm=…,
service=…,scope=…` by fetching a token from the realm (with the credentials when there are
some, anonymously otherwise) and retrying with it. Tokens are cached per scope.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import json
import os
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from dockyard.api.errors import (
    DigestMismatch,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from dockyard.services.images.schema import MAX_MANIFEST

LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=15, sock_read=60)
_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RangeNotSatisfiable(Internal):
    """416: the registry will not resume a blob at the offset asked (fetch again from zero)."""


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""


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
        self._session = session
        self._ssl: ssl.SSLContext | bool = (
            ssl_context(self.host, certs_dir) if self.scheme == "https" else False
        )
        self._credentials = credentials
        self._tokens: dict[str, str] = {}

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}/v2/{path}"

    async def manifest(
        self, repository: str, reference: str, accept: tuple[str, ...]
    ) -> tuple[bytes, str]:
        """The manifest's bytes (at most `MAX_MANIFEST`) and media type."""
        async with self._request(
            "GET", f"{repository}/manifests/{reference}", repository, {"Accept": ", ".join(accept)}
        ) as response:
            if response.status == 404:
                raise NotFound(f"manifest unknown: {await _message(response)}")
            await _check(response)
            data = await _read_at_most(response, MAX_MANIFEST, "manifest")
            return data, response.headers.get("Content-Type", "").split(";")[0]

    async def blob_bytes(self, repository: str, digest: str, size: int) -> bytes:
        """A small blob (an image config) in memory: exactly `size` bytes, digest verified."""
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

    async def blob(
        self, repository: str, digest: str, offset: int = 0
    ) -> AsyncIterator[tuple[bytes, bool]]:
        """The blob's bytes from `offset`; the flag says whether the server resumed there."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        async with self._request(
            "GET", f"{repository}/blobs/{digest}", repository, headers
        ) as response:
            if response.status == 404:
                raise NotFound(f"blob {digest} unknown to the registry")
            if response.status == 416 and offset:
                raise RangeNotSatisfiable(f"the registry cannot send {digest} from byte {offset}")
            await _check(response)
            resumed = response.status == 206
            async for chunk in response.content.iter_chunked(256 * 1024):
                yield chunk, resumed

    def _request(
        self, method: str, path: str, repository: str, headers: dict[str, str]
    ) -> _Exchange:
        return _Exchange(self, method, self.url(path), f"repository:{repository}:pull", headers)

    async def _send(
        self, method: str, url: str, scope: str, headers: dict[str, str]
    ) -> aiohttp.ClientResponse:
        try:
            response = await self._session.request(
                method,
                url,
                headers=headers | self._authorization(scope),
                ssl=self._ssl,
                timeout=TIMEOUT,
            )
            if response.status != 401:
                return response
            challenge = response.headers.get("WWW-Authenticate", "")
            response.release()
            await self._answer(challenge, scope)
            response = await self._session.request(
                method,
                url,
                headers=headers | self._authorization(scope),
                ssl=self._ssl,
                timeout=TIMEOUT,
            )
        except aiohttp.ClientConnectorCertificateError as err:
            reason = getattr(err.certificate_error, "verify_message", "") or str(
                err.certificate_error
            )
            raise Unavailable(f'Get "{url}": tls: failed to verify certificate: {reason}') from None
        except aiohttp.ClientConnectorError as err:
            raise Unavailable(f'Get "{url}": {_reason(err)}') from None
        except aiohttp.ClientError as err:
            raise Unavailable(f'Get "{url}": {err}') from None
        except TimeoutError:
            raise Unavailable(f'Get "{url}": timed out') from None
        if response.status == 401:
            message = await _message(response)
            response.release()
            raise PermissionDenied(f"unauthorized: {message or 'authentication required'}")
        return response

    def _authorization(self, scope: str) -> dict[str, str]:
        if scope in self._tokens:
            return {"Authorization": self._tokens[scope]}
        if self._credentials.registry_token:
            return {"Authorization": f"Bearer {self._credentials.registry_token}"}
        return {}

    async def _answer(self, challenge: str, scope: str) -> None:
        kind, _, params_text = challenge.partition(" ")
        params = dict(_PARAM.findall(params_text))
        if kind.lower() == "basic":
            if not self._credentials.username:
                raise PermissionDenied("unauthorized: authentication required")
            self._tokens[scope] = "Basic " + _basic(self._credentials)
        elif kind.lower() == "bearer":
            self._tokens[scope] = "Bearer " + await self._token(params, scope)
        else:
            raise PermissionDenied(f"unauthorized: unsupported authentication challenge {kind!r}")

    async def _token(self, params: dict[str, str], scope: str) -> str:
        realm = params.get("realm")
        if not realm:
            raise PermissionDenied("unauthorized: the registry's bearer challenge has no realm")
        query = {"service": params.get("service", ""), "scope": params.get("scope", scope)}
        headers = {}
        if self._credentials.username:
            headers["Authorization"] = "Basic " + _basic(self._credentials)
        try:
            async with self._session.get(
                realm, params=query, headers=headers, timeout=TIMEOUT
            ) as response:
                if response.status in (401, 403):
                    raise PermissionDenied(
                        f"unauthorized: {await _message(response) or 'incorrect username or password'}"
                    )
                if response.status != 200:
                    raise Unavailable(f"the token server {realm} answered {response.status}")
                doc: dict[str, Any] = await response.json(content_type=None)
        except aiohttp.ClientError as err:
            raise Unavailable(f"cannot reach the token server {realm}: {err}") from None
        token = doc.get("token") or doc.get("access_token")
        if not token:
            raise PermissionDenied("unauthorized: the token server returned no token")
        return str(token)


class _Exchange:
    """`async with registry._request(...) as response`: sends, follows the auth flow, releases."""

    def __init__(
        self, registry: Registry, method: str, url: str, scope: str, headers: dict[str, str]
    ) -> None:
        self._args = (method, url, scope, headers)
        self._registry = registry
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        self._response = await self._registry._send(*self._args)
        return self._response

    async def __aexit__(self, *exc: object) -> None:
        if self._response is not None:
            self._response.release()


def _basic(credentials: Credentials) -> str:
    return base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()


def _reason(err: aiohttp.ClientConnectorError) -> str:
    inner = err.os_error
    if inner is not None and inner.errno:
        return os.strerror(inner.errno).lower()
    return str(err)


async def _message(response: aiohttp.ClientResponse) -> str:
    """The first error message of a distribution-API error body, if any."""
    try:
        doc = json.loads(await response.read())
        first = doc.get("errors", [{}])[0]
        return str(first.get("message") or first.get("code") or "")
    except (ValueError, AttributeError, IndexError, aiohttp.ClientError):
        return ""


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


async def _check(response: aiohttp.ClientResponse) -> None:
    if response.status >= 400:
        message = await _message(response)
        raise Internal(
            f"the registry answered {response.status} {response.reason}: {message}".rstrip(": ")
        )
