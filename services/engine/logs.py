"""Reads a container's json-file log (docker's format), as `dockyard logs` shows it.

The shim writes one JSON object per line, `{"log": "...", "stream": "stdout", "time":
"<RFC 3339, nanoseconds>"}`, to `<id>-json.log` and rotates it to `.1`, `.2` ... (oldest
highest). `read()` walks the files oldest first, filters by stream and time, keeps the last
`tail` entries; `follow()` then keeps reading the live file, across rotations, until told the
container has stopped and everything written before that has been read.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Entry:
    stream: str  # "stdout" | "stderr"
    data: bytes
    time_ns: int  # nanoseconds since the epoch


@dataclass(frozen=True)
class Query:
    stdout: bool = True
    stderr: bool = True
    since_ns: int = 0  # 0 = from the start
    until_ns: int = 0  # 0 = no end
    tail: int | None = None  # None = all

    def wants(self, entry: Entry) -> bool:
        if not (self.stdout if entry.stream == "stdout" else self.stderr):
            return False
        if self.since_ns and entry.time_ns < self.since_ns:
            return False
        return not (self.until_ns and entry.time_ns > self.until_ns)


def parse_time(text: str) -> int:
    """RFC 3339 with up to nanosecond precision → nanoseconds since the epoch."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    base, fraction, zone = match.groups()
    offset = "+00:00" if zone in ("Z", "z") else zone
    seconds = int(datetime.fromisoformat(base + offset).timestamp())
    return seconds * 10**9 + int(((fraction or "") + "000000000")[:9])


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)")


def parse_line(line: bytes) -> Entry | None:
    try:
        obj = json.loads(line)
        return Entry(obj["stream"], obj["log"].encode(), parse_time(obj["time"]))
    except (ValueError, KeyError, TypeError):
        return None  # a torn last line (the shim was killed mid-write): skip it


def files(log: Path) -> list[Path]:
    """The rotated files, oldest first, then the live one."""
    rotated = []
    n = 1
    while (candidate := log.with_name(f"{log.name}.{n}")).exists():
        rotated.append(candidate)
        n += 1
    return [*reversed(rotated), log]


def read(log: Path, query: Query) -> list[Entry]:
    entries: deque[Entry] | list[Entry]
    entries = deque(maxlen=query.tail) if query.tail is not None else []
    for path in files(log):
        for entry in _entries(path):
            if query.wants(entry):
                entries.append(entry)
    return list(entries)


def _entries(path: Path) -> Iterator[Entry]:
    try:
        with path.open("rb") as f:
            for line in f:
                if (entry := parse_line(line)) is not None:
                    yield entry
    except FileNotFoundError:
        return


async def follow(log: Path, query: Query, stopped: Callable[[], bool]) -> AsyncIterator[Entry]:
    """Everything `read` returns, then new entries as they are written, until `stopped()`."""
    for entry in read(log, query):
        yield entry
    tailer = _Tailer(log)
    try:
        while True:
            done = stopped()  # checked before reading: what was written before the stop is read
            for entry in tailer.new_entries():
                if query.wants(entry):
                    yield entry
            if done:
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        tailer.close()


class _Tailer:
    """Reads what is appended to the live file, reopening it when it has been rotated."""

    def __init__(self, log: Path) -> None:
        self._log = log
        self._file = self._open()
        if self._file is not None:
            self._file.seek(0, os.SEEK_END)
        self._partial = b""

    def _open(self) -> BinaryIO | None:
        try:
            return self._log.open("rb")
        except FileNotFoundError:
            return None

    def new_entries(self) -> list[Entry]:
        out = self._drain()
        if self._rotated():
            self.close()
            self._file = self._open()
            self._partial = b""
            out += self._drain()
        return out

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _drain(self) -> list[Entry]:
        if self._file is None:
            self._file = self._open()
            if self._file is None:
                return []
        data = self._partial + self._file.read()
        lines = data.split(b"\n")
        self._partial = lines.pop()
        return [e for line in lines if line and (e := parse_line(line)) is not None]

    def _rotated(self) -> bool:
        try:
            return (
                self._file is not None
                and os.stat(self._log).st_ino != os.fstat(self._file.fileno()).st_ino
            )
        except (FileNotFoundError, AttributeError):
            return False
