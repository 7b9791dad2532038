"""Generic conversion between the engine's dataclasses (`model.py`) and proto messages.

A dataclass field maps to the proto field of the same name. Nested dataclasses map to nested
messages, `datetime` to `google.protobuf.Timestamp` (unset = None), `list[str] | None` to a
`StringList` message (presence tells unset from empty), `int | None` to an `optional` field,
a nested dataclass that is not None to a message that is present (empty or not).

How each field converts is worked out once per class (`_proto_plan`, `_json_plan`): `ps`
converts every record it lists, JSON to dataclass to message, and looking the fields up again
for each one was most of its cost.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar, cast

from google.protobuf.message import Message

T = TypeVar("T")
M = TypeVar("M", bound=Message)

_TIMESTAMP = "google.protobuf.Timestamp"
_STRING_LIST = "dockyard.engine.v1.StringList"


def to_proto(obj: Any, message: M) -> M:
    """Fill `message` from the dataclass `obj` and return it."""
    message.MergeFrom(type(message)(**_proto_fields(obj, message.DESCRIPTOR)))
    return message


def _proto_fields(obj: Any, descriptor: Any) -> dict[str, Any]:
    """The message's constructor arguments for `obj` (nested messages as dicts): the C
    constructor builds the whole tree, much faster than setting field by field."""
    fields: dict[str, Any] = {}
    for name, kind, inner, zero_is_unset in _proto_plan(cast(Any, type(obj)), descriptor):
        value = getattr(obj, name)
        if value is None or (zero_is_unset and not value):
            continue  # proto3's default, an empty list or map: nothing to set
        if kind is _Kind.TIMESTAMP:
            fields[name] = _timestamp(value)
        elif kind is _Kind.STRING_LIST:
            fields[name] = {"values": value}
        elif kind is _Kind.MESSAGES:
            fields[name] = [_proto_fields(item, inner) for item in value]
        elif kind is _Kind.MESSAGE:  # there, empty or not: the message is there
            fields[name] = _proto_fields(value, inner)
        else:
            fields[name] = value
    return fields


_EPOCH = datetime(1970, 1, 1)


def _timestamp(moment: datetime) -> dict[str, int]:
    """A Timestamp's fields for `moment` (naive = UTC), as Timestamp.FromDatetime makes them."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    delta = moment - _EPOCH
    return {"seconds": delta.days * 86400 + delta.seconds, "nanos": delta.microseconds * 1000}


class _Kind(enum.Enum):
    SCALAR = 1
    PRESENT = 2  # a scalar with presence (`optional`): 0 is set, not left out
    REPEATED = 3  # of scalars
    MAP = 4
    TIMESTAMP = 5
    STRING_LIST = 6
    MESSAGES = 7  # repeated messages
    MESSAGE = 8


# Kinds whose zero value ("", 0, False, [], {}) is what an unset field reads as.
_ZERO_IS_UNSET = frozenset((_Kind.SCALAR, _Kind.REPEATED, _Kind.MAP, _Kind.MESSAGES))


@cache
def _proto_plan(cls: type, descriptor: Any) -> tuple[tuple[str, _Kind, Any, bool], ...]:
    """For each field of `cls` that the message has: how it is copied, the descriptor of a
    nested message, and whether its zero value is the same as unset. Worked out once per pair
    (`ps` converts every container it lists)."""
    plan = []
    for f in dataclasses.fields(cls):
        field = descriptor.fields_by_name.get(f.name)
        if field is not None:
            kind = _proto_kind(field)
            plan.append((f.name, kind, field.message_type, kind in _ZERO_IS_UNSET))
    return tuple(plan)


def _proto_kind(field: Any) -> _Kind:
    if field.message_type is None:
        if field.is_repeated:
            return _Kind.REPEATED
        return _Kind.PRESENT if field.has_presence else _Kind.SCALAR
    if field.message_type.GetOptions().map_entry:
        return _Kind.MAP
    if field.message_type.full_name == _TIMESTAMP:
        return _Kind.TIMESTAMP
    if field.message_type.full_name == _STRING_LIST:
        return _Kind.STRING_LIST
    return _Kind.MESSAGES if field.is_repeated else _Kind.MESSAGE


def from_proto(cls: type[T], message: Message) -> T:
    """Build the dataclass `cls` from `message`."""
    kwargs: dict[str, Any] = {}
    hints = _hints(cast(Any, cls))
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        field = message.DESCRIPTOR.fields_by_name.get(f.name)
        if field is None:
            continue
        value = getattr(message, f.name)
        if (
            field.message_type is not None
            and field.is_repeated
            and not field.message_type.GetOptions().map_entry
        ):
            element = typing.get_args(hints[f.name])[0]
            kwargs[f.name] = [from_proto(element, item) for item in value]
        elif field.message_type is None:
            if field.has_presence and not message.HasField(f.name):
                kwargs[f.name] = None if _optional(hints[f.name]) else value
            else:
                kwargs[f.name] = list(value) if field.is_repeated else value
        elif field.message_type.GetOptions().map_entry:
            kwargs[f.name] = dict(value)
        elif not message.HasField(f.name):
            if _optional(hints[f.name]):
                kwargs[f.name] = None
        elif field.message_type.full_name == _TIMESTAMP:
            kwargs[f.name] = value.ToDatetime(tzinfo=UTC)
        elif field.message_type.full_name == _STRING_LIST:
            kwargs[f.name] = list(value.values)
        else:
            kwargs[f.name] = from_proto(_strip_optional(hints[f.name]), value)
    return cls(**kwargs)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _optional(hint: Any) -> bool:
    return isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)


def _strip_optional(hint: Any) -> Any:
    if _optional(hint):
        return next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def to_json(obj: Any) -> Any:
    """A JSON-ready form of a dataclass tree (datetimes as RFC 3339 strings)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {name: _to_json_value(getattr(obj, name)) for name, _, _ in _json_plan(type(obj))}
    return _to_json_value(obj)


def _to_json_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json_value(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    return value


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild the dataclass `cls` from `to_json`'s output."""
    kwargs: dict[str, Any] = {}
    for name, kind, inner in _json_plan(cast(Any, cls)):
        value = data.get(name, _MISSING)
        if value is _MISSING:
            continue
        if value is None or kind is _Json.PLAIN:
            kwargs[name] = value
        elif kind is _Json.DATETIME:
            kwargs[name] = datetime.fromisoformat(value)
        elif kind is _Json.DATACLASS:
            kwargs[name] = from_json(inner, value)
        else:
            kwargs[name] = [from_json(inner, item) for item in value]
    return cls(**kwargs)


_MISSING = object()


class _Json(enum.Enum):
    PLAIN = 1  # as JSON has it: str, int, bool, lists and dicts of those
    DATETIME = 2
    DATACLASS = 3
    DATACLASSES = 4  # a list of them


@cache
def _json_plan(cls: type) -> tuple[tuple[str, _Json, Any], ...]:
    """Each field of `cls`, how it maps to JSON and the dataclass inside it: worked out once."""
    hints = _hints(cls)
    plan: list[tuple[str, _Json, Any]] = []
    for f in dataclasses.fields(cls):
        hint = _strip_optional(hints[f.name])
        if hint is datetime:
            plan.append((f.name, _Json.DATETIME, None))
        elif dataclasses.is_dataclass(hint):
            plan.append((f.name, _Json.DATACLASS, hint))
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            plan.append((f.name, _Json.DATACLASSES, typing.get_args(hint)[0]))
        else:
            plan.append((f.name, _Json.PLAIN, None))
    return tuple(plan)
