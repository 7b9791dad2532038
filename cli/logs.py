"""`dockyard logs`: a container's json-file log, as docker prints it."""

from __future__ import annotations

import re
import sys
import time
from datetime import datetime

import typer
from dockyard.cli.engine import Stubs, call, die


def logs(
    container: str,
    follow: bool = typer.Option(False, "-f", "--follow", help="follow the output"),
    tail: str = typer.Option("all", "-n", "--tail", help="lines to show from the end"),
    since: str = typer.Option("", "--since", help="from this time (RFC 3339, or 10m, 1h ...)"),
    until: str = typer.Option("", "--until", help="up to this time"),
    timestamps: bool = typer.Option(False, "-t", "--timestamps", help="show timestamps"),
    details: bool = typer.Option(False, "--details", help="show extra details provided to logs"),
) -> None:
    """Show a container's logs."""
    from dockyard.cli.render import rfc3339
    from dockyard.engine.v1 import engine_pb2 as pb

    request = pb.LogsRequest(
        id=container,
        follow=follow,
        stdout=True,
        stderr=True,
        tail=tail,
        timestamps=timestamps,
        details=details,
    )
    if since:
        request.since.FromNanoseconds(parse_time(since, "since"))
    if until:
        request.until.FromNanoseconds(parse_time(until, "until"))

    async def work(stubs: Stubs) -> None:
        async for entry in stubs.containers.Logs(request, timeout=None):
            out = sys.stdout.buffer if entry.stream == "stdout" else sys.stderr.buffer
            if timestamps:
                out.write(rfc3339(entry.time).encode() + b" ")
            out.write(entry.data)
            out.flush()

    call("logs", work)


UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(text: str, flag: str = "") -> int:
    """docker's --since/--until: RFC 3339, a Unix timestamp, or a duration ago (10m, 1h30m).

    Exact to the nanosecond (no float on the way): a line's own timestamp names that line."""
    text = text.strip()
    unix = re.fullmatch(r"(\d+)(?:\.(\d{1,9}))?", text)
    if unix:
        return int(unix[1]) * 10**9 + int(((unix[2] or "") + "000000000")[:9])
    if text and text[-1] in UNITS and _duration(text) is not None:
        return time.time_ns() - int(_duration(text) * 1e9)  # type: ignore[operator]
    stamp = re.fullmatch(r"(.+?T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)?", text)
    try:
        if stamp:
            zone = "+00:00" if stamp[3] in (None, "Z", "z") else stamp[3]
            seconds = int(datetime.fromisoformat(stamp[1] + zone).timestamp())
            return seconds * 10**9 + int(((stamp[2] or "") + "000000000")[:9])
        return int(datetime.fromisoformat(text).timestamp()) * 10**9
    except ValueError:
        why = f'failed to parse value as time or duration: "{text}"'
        die(f'invalid value for "{flag}": {why}' if flag else why)


def _duration(text: str) -> float | None:
    total, number = 0.0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in UNITS and number:
            total += float(number) * UNITS[char]
            number = ""
        else:
            return None
    return total if not number else None
