"""Reading docker's query parameters and bodies: booleans as docker's ("1", "true", "True"),
integers, unix timestamps ("1700000000.5"), the `filters` JSON in both of its encodings
(`{"label": ["a=b"]}` and the older `{"label": {"a=b": true}}`), and JSON bodies.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from dockyard.api import prunefilters
from dockyard.api.errors import InvalidArgument

TRUE = ("1", "true", "True", "TRUE", "yes")


def flag(request: web.Request, name: str, default: bool = False) -> bool:
    value = request.query.get(name)
    if value is None or value == "":
        return default
    return value in TRUE


def integer(request: web.Request, name: str, default: int | None = None) -> int | None:
    value = request.query.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"invalid value for {name}: {value!r}") from None


def timestamp_ns(value: str, name: str) -> int:
    """A unix timestamp with an optional fraction ("1700000000", "1700000000.000000001")."""
    seconds, _, fraction = value.partition(".")
    if not seconds.lstrip("-").isdigit() or (fraction and not fraction.isdigit()):
        raise InvalidArgument(f"invalid value for {name}: {value!r}")
    return int(seconds) * 10**9 + int((fraction + "000000000")[:9] or 0)


def filters(request: web.Request) -> dict[str, list[str]]:
    raw = request.query.get("filters", "")
    if not raw:
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError:
        raise InvalidArgument(f"invalid filter: {raw}") from None
    if not isinstance(decoded, dict):
        raise InvalidArgument(f"invalid filter: {raw}")
    parsed: dict[str, list[str]] = {}
    for key, values in decoded.items():
        if isinstance(values, dict):  # the pre-1.22 encoding, still sent by some clients
            parsed[key] = [v for v, on in values.items() if on]
        elif isinstance(values, list) and all(isinstance(v, str) for v in values):
            parsed[key] = list(values)
        else:
            raise InvalidArgument(f"invalid filter: {raw}")
    return parsed


def pairs(wanted: dict[str, list[str]], keys: tuple[str, ...]) -> list[str]:
    """The engine's "key=value" filters for `keys` (the others are the caller's to apply)."""
    return [f"{k}={v}" for k in keys for v in wanted.get(k, [])]


MAX_JSON = 16 * 1024 * 1024  # a JSON body past this is refused (the tar bodies are streamed)


async def body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (an empty body is {}, and so is `null`: Go clients send a
    nil config so, as docker CLI 20.10's commit does)."""
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_JSON:
            raise InvalidArgument(f"request body too large: over {MAX_JSON} bytes of JSON")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as err:
        raise InvalidArgument(f"invalid JSON: {err}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidArgument("invalid JSON: expected an object")
    return value


def until_seconds(value: str) -> float:
    """A prune filter's `until=`: a time, a unix timestamp, or a Go duration before now."""
    return prunefilters.until(value)


class Fields:
    """Typed reads of a JSON object: a value of the wrong type is a clear InvalidArgument naming
    its key (`HostConfig.Memory: want an integer`), never a traceback; missing or null values
    read as the type's zero."""

    def __init__(self, doc: Any, where: str = "") -> None:
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise InvalidArgument(f"{where or 'body'}: want an object")
        self.doc: dict[str, Any] = doc
        self._where = where

    def name(self, key: str) -> str:
        """The key as an error names it: "HostConfig.Mounts[0].Target"."""
        return f"{self._where}.{key}" if self._where else key

    def _get(self, key: str, kind: type | tuple[type, ...], want: str) -> Any:
        value = self.doc.get(key)
        wrong = not isinstance(value, kind) or (isinstance(value, bool) and kind is int)
        if value is not None and wrong:
            raise InvalidArgument(f"{self.name(key)}: want {want}")
        return value

    def text(self, key: str) -> str:
        return self._get(key, str, "a string") or ""

    def flag(self, key: str) -> bool:
        return bool(self._get(key, bool, "true or false"))

    def number(self, key: str) -> int:
        return int(self._get(key, int, "an integer") or 0)

    def texts(self, key: str) -> list[str]:
        value = self._get(key, list, "a list of strings") or []
        if not all(isinstance(v, str) for v in value):
            raise InvalidArgument(f"{self.name(key)}: want a list of strings")
        return list(value)

    def text_map(self, key: str) -> dict[str, str]:
        value = self._get(key, dict, "an object of strings") or {}
        if not all(isinstance(v, str) for v in value.values()):
            raise InvalidArgument(f"{self.name(key)}: want an object of strings")
        return dict(value)

    def obj(self, key: str) -> Fields:
        return Fields(self._get(key, dict, "an object"), self.name(key))

    def objects(self, key: str) -> list[Fields]:
        value = self._get(key, list, "a list of objects") or []
        return [Fields(v, f"{self.name(key)}[{i}]") for i, v in enumerate(value)]
