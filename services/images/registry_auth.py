"""Answering a registry's authentication challenges as docker does, and remembering the answer.

A request without credentials gets 401 and a `WWW-Authenticate` challenge:

    Basic realm="…"                                → the username and password, every request
    Bearer realm="…",service="…",scope="…"          → a token from the realm (GET with the
                                                      credentials as basic auth, or anonymous;
                                                      POST with an identity token, OAuth2)

A `Gate` exists per (registry, credentials) and outlives a pull: its bearer tokens are cached
per scope ("repository:library/busybox:pull") until they expire (`expires_in`, 60 s when not
said, renewed 10 s early), so a second pull does not ask the token server again.
"""

from __future__ import annotations

import base64
import hashlib
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dockyard.api import lazy
from dockyard.api.errors import PermissionDenied, Unavailable

if TYPE_CHECKING:
    import aiohttp
else:
    aiohttp = lazy.module("aiohttp")  # imported at the first request to a registry

TOTAL_TIMEOUT, CONNECT_TIMEOUT = 60, 15
DEFAULT_EXPIRY = 60.0
EARLY = 10.0
_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""  # an OAuth2 refresh token, as `docker login` stores some
    registry_token: str = ""  # a bearer token sent as it is

    def key(self) -> str:
        """A name for these credentials that does not show them (a cache key)."""
        text = "\0".join((self.username, self.password, self.identity_token, self.registry_token))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Gate:
    session: aiohttp.ClientSession
    credentials: Credentials
    ssl: ssl.SSLContext | bool = False
    _basic: bool = False
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # scope → (token, until)

    def header(self, scope: str) -> dict[str, str]:
        """The Authorization header for `scope`, when one is known and fresh."""
        if self._basic:
            return {"Authorization": "Basic " + _basic(self.credentials)}
        token = self._tokens.get(scope)
        if token is not None and token[1] > time.monotonic():
            return {"Authorization": f"Bearer {token[0]}"}
        if self.credentials.registry_token:
            return {"Authorization": f"Bearer {self.credentials.registry_token}"}
        return {}

    async def answer(self, challenge: str, scope: str) -> None:
        """Learn how to pass the challenge of a 401 for `scope` (PermissionDenied if we cannot)."""
        kind, _, params_text = challenge.partition(" ")
        params = dict(_PARAM.findall(params_text))
        if kind.lower() == "basic":
            if not self.credentials.username:
                raise PermissionDenied("unauthorized: authentication required")
            self._basic = True
        elif kind.lower() == "bearer":
            self._tokens[scope] = await self._token(params, scope)
        else:
            raise PermissionDenied(f"unauthorized: unsupported authentication challenge {kind!r}")

    async def _token(self, params: dict[str, str], scope: str) -> tuple[str, float]:
        realm = params.get("realm")
        if not realm:
            raise PermissionDenied("unauthorized: the registry's bearer challenge has no realm")
        query = [("service", params.get("service", ""))]
        query += [("scope", s) for s in scope.split()]
        try:
            doc = await self._fetch(realm, query)
        except aiohttp.ClientError as err:
            raise Unavailable(f"cannot reach the token server {realm}: {err}") from None
        except TimeoutError:
            raise Unavailable(f"the token server {realm} did not answer in time") from None
        token = doc.get("token") or doc.get("access_token")
        if not token or not isinstance(token, str):
            raise PermissionDenied("unauthorized: the token server returned no token")
        expires = doc.get("expires_in")
        lifetime = float(expires) if isinstance(expires, int | float) else DEFAULT_EXPIRY
        return token, time.monotonic() + max(lifetime - EARLY, 1.0)

    async def _fetch(self, realm: str, query: list[tuple[str, str]]) -> dict[str, Any]:
        credentials = self.credentials
        if credentials.identity_token:  # OAuth2: trade the refresh token for an access token
            form = dict(query) | {
                "grant_type": "refresh_token",
                "refresh_token": credentials.identity_token,
                "client_id": "dockyard",
            }
            request = self.session.post(realm, data=form, timeout=_timeout(), ssl=self.ssl)
        else:
            headers = (
                {"Authorization": "Basic " + _basic(credentials)} if credentials.username else {}
            )
            request = self.session.get(
                realm, params=query, headers=headers, timeout=_timeout(), ssl=self.ssl
            )
        async with request as response:
            if response.status in (401, 403):
                raise PermissionDenied(
                    f"unauthorized: {await _message(response) or 'incorrect username or password'}"
                )
            if response.status != 200:
                raise Unavailable(f"the token server {realm} answered {response.status}")
            doc = await response.json(content_type=None)
        return doc if isinstance(doc, dict) else {}


def _basic(credentials: Credentials) -> str:
    return base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()


async def _message(response: aiohttp.ClientResponse) -> str:
    """The first message of a distribution-API error body, if any."""
    try:
        doc = await response.json(content_type=None)
        first = doc.get("errors", [{}])[0] if isinstance(doc, dict) else {}
        return str(first.get("message") or first.get("code") or "")
    except (ValueError, AttributeError, IndexError, TypeError, aiohttp.ClientError):
        return ""


def _timeout() -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
