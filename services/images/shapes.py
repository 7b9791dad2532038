"""The JSON shapes of OCI/Docker image documents, and a small checker that holds a document
against one (`schema.py` uses them; nothing else needs to know how).

A shape is a tree of `Str`, `Int`, `Bool`, `Digest`, `Time`, `Array`, `StrSlice`, `Map` and
`Obj` nodes; `Checker(strict=True).check(shape, doc, "")` returns the document (string slices
normalised to lists) or raises `Invalid` naming the first bad field ("config.Env[0]: expected a
string, got a number"). With `strict=False` a field of the wrong shape is dropped from its
object instead, and the problem noted in `checker.problems` (for repairing old records).

Go's encoding/json (docker's) sets the rules: `null` for a field means the field is absent;
an integer never has a fraction or an exponent; Cmd, Entrypoint and Shell take a string too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

INT64 = (-(1 << 63), (1 << 63) - 1)
LAYER_TYPES = re.compile(
    r"application/vnd\.(oci\.image\.layer\.(nondistributable\.)?v1\.tar"
    r"|docker\.image\.rootfs\.(foreign\.)?diff\.tar)(\.gzip|\+gzip|\+zstd)?"
)
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_ALGORITHM = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*")
_PORT = re.compile(r"\d{1,5}(-\d{1,5})?(/[a-z]+)?")


class Invalid(Exception):
    """A document does not have its shape; the message names the field."""


class Checker:
    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.problems: list[str] = []

    def check(self, shape: Shape, value: Any, path: str) -> Any:
        return shape.check(self, value, path)


class Shape:
    def check(self, checker: Checker, value: Any, path: str) -> Any:
        raise NotImplementedError


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _bad(path: str, expected: str, value: Any) -> Invalid:
    return Invalid(f"{path or 'the document'}: expected {expected}, got {_kind(value)}")


@dataclass(frozen=True)
class Str(Shape):
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    what: str = "a string"

    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise _bad(path, "a string", value)
        if "\x00" in value:
            raise Invalid(f"{path}: a NUL character in a string")
        if self.choices and value not in self.choices:
            raise Invalid(f"{path}: expected {' or '.join(map(repr, self.choices))}, got {value!r}")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise Invalid(f"{path}: {value[:80]!r} is not {self.what}")
        return value


@dataclass(frozen=True)
class Digest(Shape):
    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise _bad(path, "a digest string", value)
        if not _DIGEST.fullmatch(value):
            algorithm, colon, _ = value.partition(":")
            if colon and algorithm != "sha256" and _ALGORITHM.fullmatch(algorithm):
                raise Invalid(f"{path}: unsupported digest algorithm {algorithm[:20]!r}")
            raise Invalid(f"{path}: {value[:80]!r} is not a sha256 digest")
        return value


@dataclass(frozen=True)
class Time(Shape):
    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise _bad(path, "an RFC 3339 time", value)
        try:
            parse_time(value)
        except ValueError:
            raise Invalid(f"{path}: {value[:40]!r} is not an RFC 3339 time") from None
        return value


def parse_time(text: str) -> datetime:
    """An RFC 3339 time as Go writes it (nanoseconds allowed; Python keeps microseconds)."""
    if not _TIME.fullmatch(text):
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    head, _, rest = text.partition(".")
    if rest:
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Int(Shape):
    minimum: int = INT64[0]
    maximum: int = INT64[1]

    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(path, "an integer", value)
        if not self.minimum <= value <= self.maximum:
            raise Invalid(f"{path}: {value} is out of range")
        return value


@dataclass(frozen=True)
class Bool(Shape):
    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            raise _bad(path, "true or false", value)
        return value


@dataclass(frozen=True)
class Array(Shape):
    item: Shape

    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise _bad(path, "an array", value)
        return [self.item.check(checker, v, f"{path}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class StrSlice(Shape):
    """docker's strslice: an array of strings, or one string standing for a one-item array."""

    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return [Str().check(checker, value, path)]
        if not isinstance(value, list):
            raise _bad(path, "an array of strings", value)
        return Array(Str()).check(checker, value, path)


@dataclass(frozen=True)
class Map(Shape):
    value: Shape
    key: Str = field(default_factory=Str)

    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _bad(path, "an object", value)
        return {
            self.key.check(checker, k, f"{path} key"): self.value.check(checker, v, f"{path}.{k}")
            for k, v in value.items()
        }


@dataclass(frozen=True)
class Obj(Shape):
    """An object with known fields (others kept as they are); `required` must be present."""

    fields: dict[str, Shape]
    required: tuple[str, ...] = ()

    def check(self, checker: Checker, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise _bad(path, "an object", value)
        out = dict(value)
        for name in self.required:
            if value.get(name) is None:
                self._fail(checker, Invalid(f"{_join(path, name)}: required, missing"))
        for name, shape in self.fields.items():
            if value.get(name) is None:
                continue  # null is absence
            try:
                out[name] = shape.check(checker, value[name], _join(path, name))
            except Invalid as err:
                self._fail(checker, err)
                del out[name]
        return out

    @staticmethod
    def _fail(checker: Checker, err: Invalid) -> None:
        if checker.strict:
            raise err
        checker.problems.append(str(err))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def is_layer_type(media_type: str) -> bool:
    return bool(LAYER_TYPES.fullmatch(media_type))


# -- the documents ---------------------------------------------------------------------------------

STR, INT, BOOL, STRS = Str(), Int(), Bool(), Array(Str())
SET = Map(Obj({}))  # docker's map[string]struct{}: ExposedPorts, Volumes
PLATFORM = Obj(
    {
        "architecture": STR,
        "os": STR,
        "os.version": STR,
        "os.features": STRS,
        "variant": STR,
        "features": STRS,
    },
    required=("architecture", "os"),
)
DESCRIPTOR = Obj(
    {
        "mediaType": STR,
        "digest": Digest(),
        "size": Int(0),
        "urls": STRS,
        "annotations": Map(STR),
        "platform": PLATFORM,
        "artifactType": STR,
        "data": STR,
    },
    required=("digest", "size"),
)
VERSION_2 = Int(2, 2)
MANIFEST = Obj(
    {
        "schemaVersion": VERSION_2,
        "mediaType": STR,
        "config": DESCRIPTOR,
        "layers": Array(DESCRIPTOR),
        "annotations": Map(STR),
        "subject": DESCRIPTOR,
        "artifactType": STR,
    },
    required=("schemaVersion", "config", "layers"),
)
INDEX = Obj(
    {
        "schemaVersion": VERSION_2,
        "mediaType": STR,
        "manifests": Array(DESCRIPTOR),
        "annotations": Map(STR),
        "subject": DESCRIPTOR,
    },
    required=("schemaVersion", "manifests"),
)
HEALTHCHECK = Obj(
    {
        "Test": STRS,
        "Interval": INT,
        "Timeout": INT,
        "StartPeriod": INT,
        "StartInterval": INT,
        "Retries": INT,
    }
)
RUNTIME_CONFIG = Obj(
    {
        "Hostname": STR,
        "Domainname": STR,
        "User": STR,
        "ExposedPorts": Map(Obj({}), Str(_PORT, what="a port such as 80/tcp")),
        "Env": STRS,
        "Entrypoint": StrSlice(),
        "Cmd": StrSlice(),
        "Volumes": SET,
        "WorkingDir": STR,
        "Labels": Map(STR),
        "StopSignal": STR,
        "StopTimeout": INT,
        "ArgsEscaped": BOOL,
        "Healthcheck": HEALTHCHECK,
        "OnBuild": STRS,
        "Shell": StrSlice(),
        "Image": STR,
        "AttachStdin": BOOL,
        "AttachStdout": BOOL,
        "AttachStderr": BOOL,
        "Tty": BOOL,
        "OpenStdin": BOOL,
        "StdinOnce": BOOL,
        "NetworkDisabled": BOOL,
        "MacAddress": STR,
    }
)
HISTORY = Obj(
    {"created": Time(), "created_by": STR, "author": STR, "comment": STR, "empty_layer": BOOL}
)
CONFIG = Obj(
    {
        "created": Time(),
        "author": STR,
        "architecture": STR,
        "os": STR,
        "os.version": STR,
        "os.features": STRS,
        "variant": STR,
        "config": RUNTIME_CONFIG,
        "container_config": RUNTIME_CONFIG,
        "rootfs": Obj(
            {"type": Str(choices=("layers",)), "diff_ids": Array(Digest())},
            required=("type", "diff_ids"),
        ),
        "history": Array(HISTORY),
        "comment": STR,
        "container": STR,
        "docker_version": STR,
        "parent": STR,
        "id": STR,
        "size": INT,
    },
    required=("architecture", "os", "rootfs"),
)
