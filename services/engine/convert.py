"""Generic conversion between the engine's dataclasses (`model.py`) and proto messages.

A dataclass field maps to the proto field of the same name. Nested dataclasses map to nested
messages, `datetime` to `google.protobuf.Timestamp` (unset = None), `list[str] | None` to a
`StringList` message (presence tells unset from empty), `int | None` to an `optional` field.
"""

from __future__ import annotations

import dataclasses
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
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        field = message.DESCRIPTOR.fields_by_name.get(f.name)
        if field is None or value is None:
            continue
        if field.message_type is None:
            if field.is_repeated:
                getattr(message, f.name).extend(value)
            else:
                setattr(message, f.name, value)
        elif field.message_type.GetOptions().map_entry:
            getattr(message, f.name).update(value)
        elif field.message_type.full_name == _TIMESTAMP:
            getattr(message, f.name).FromDatetime(value)
        elif field.message_type.full_name == _STRING_LIST:
            getattr(message, f.name).SetInParent()
            getattr(message, f.name).values.extend(value)
        elif field.is_repeated:
            for item in value:
                to_proto(item, getattr(message, f.name).add())
        else:
            to_proto(value, getattr(message, f.name))
    return message


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
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, list):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    return obj


def from_json(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild the dataclass `cls` from `to_json`'s output."""
    hints = _hints(cast(Any, cls))
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value, hint = data[f.name], _strip_optional(hints[f.name])
        if value is None:
            kwargs[f.name] = None
        elif hint is datetime:
            kwargs[f.name] = datetime.fromisoformat(value)
        elif dataclasses.is_dataclass(hint):
            kwargs[f.name] = from_json(hint, value)  # type: ignore[arg-type]
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            kwargs[f.name] = [from_json(typing.get_args(hint)[0], item) for item in value]
        else:
            kwargs[f.name] = value
    return cls(**kwargs)
