"""Times as docker writes them: Go's RFC3339Nano (trailing zeros trimmed, "0001-01-01T00:00:00Z"
for never), unix seconds, and go-units' HumanDuration for `Status: "Up 5 minutes"`. Shared by
the CLI and the Docker API front, which both print docker's JSON and tables."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339(stamp: Any, present: bool = True) -> str:
    """A protobuf Timestamp as RFC3339Nano; docker's zero time when unset."""
    if not present or (stamp.seconds == 0 and stamp.nanos == 0):
        return ZERO_TIME
    return rfc3339_ns(stamp.seconds * 10**9 + stamp.nanos)


def rfc3339_ns(ns: int) -> str:
    base = datetime.fromtimestamp(ns // 10**9, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{ns % 10**9:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def seconds_ago(stamp: Any) -> float:
    return time.time() - (int(stamp.seconds) + int(stamp.nanos) / 1e9)


def human_duration(seconds: float) -> str:
    """go-units' HumanDuration: "Less than a second", "About a minute", "3 days"…"""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    if s // 60 == 1:
        return "About a minute"
    if s // 60 < 60:
        return f"{s // 60} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"
