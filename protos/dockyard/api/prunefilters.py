"""docker's prune filters as one predicate over a thing's creation time and labels: `until=<time>`
(RFC 3339, Unix seconds, or a Go duration ago such as "24h": created before then),
`label=<key>[=<value>]` and `label!=<key>[=<value>]`. Shared by the engine's image prune and the
CLI's container, network and system prune; a bad filter is refused with dockerd's words.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from dockyard.api import errors

KEYS = ("until", "label", "label!")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}

Check = Callable[[float | None, Mapping[str, str]], bool]  # (created, labels) -> pruned?


def matcher(filters: list[str], keys: tuple[str, ...] = KEYS) -> Check:
    """The predicate `filters` ("key=value" each) make; InvalidArgument for one dockerd
    refuses (a key outside `keys`, a time it cannot read)."""
    checks: list[Check] = []
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or key not in keys:
            raise errors.InvalidArgument(f"Invalid filter '{key}'")
        checks.append(_until_check(until(value)) if key == "until" else _label_check(key, value))
    return lambda created, labels: all(check(created, labels) for check in checks)


def until(text: str) -> float:
    """Seconds since the epoch of `text`: a time, a Unix timestamp, or a duration ago."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if re.fullmatch(f"(?:{_DURATION.pattern})+", text):
        return time.time() - sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise errors.InvalidArgument(
            f'failed to parse value as time or duration: "{text}"'
        ) from None


def _until_check(limit: float) -> Check:
    return lambda created, labels: created is not None and created < limit


def _label_check(key: str, wanted: str) -> Check:
    return lambda created, labels: labelled(labels, wanted) == (key == "label")


def labelled(labels: Mapping[str, str], wanted: str) -> bool:
    """Whether `labels` has `wanted`: a key, or key=value."""
    name, sep, value = wanted.partition("=")
    return name in labels and (not sep or labels[name] == value)
