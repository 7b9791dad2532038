"""Reads a container's json-file log (docker's format), as `dockyard logs` shows it.

The shim writes one JSON object per line, `{"log": "...", "stream": "stdout", "time":
"<RFC 3339, nanoseconds>"}`, to `<id>-json.log` and rotates it to `.1`, `.2` ... (oldest
highest). `read()` walks the files oldest first, filters by stream and time, keeps the last
`tail` entries; `follow()` then keeps reading, across rotations, until told the container has
stopped and everything written before that has been read.

Both read the files as one stream (`_Stream`): a file is held open and followed by identity
(its inode) and offset, never reopened by name, and left only once it has been rotated away
*and* read to its end; the next file is the one that took its old name (rotation shifts every
name up by one: `<log>` → `.1` → `.2` …). So a reader loses nothing a rotation moves, however
far behind it is — only files the writer deletes (past `max-file`) are lost, as with docker.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

POLL_SECONDS = 0.05
CHUNK = 256 * 1024  # bytes read at a time: a burst is served in pieces, not all at once


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
    return _epoch_seconds(base, zone) * 10**9 + int(((fraction or "") + "000000000")[:9])


@functools.lru_cache(maxsize=256)
def _epoch_seconds(base: str, zone: str) -> int:
    """Cached: a burst of lines shares a handful of seconds (a third of the cost of a read)."""
    offset = "+00:00" if zone in ("Z", "z") else zone
    return int(datetime.fromisoformat(base + offset).timestamp())


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)")


def parse_line(line: bytes) -> Entry | None:
    try:
        obj = json.loads(line)
        return Entry(obj["stream"], obj["log"].encode(), parse_time(obj["time"]))
    except (ValueError, KeyError, TypeError):
        return None  # a torn last line (the shim was killed mid-write): skip it


def read(log: Path, query: Query) -> list[Entry]:
    """Every entry written so far that `query` wants (its last `tail` of them)."""
    stream = _Stream(log)
    try:
        return list(_until_caught_up(stream, query))
    finally:
        stream.close()


async def follow(log: Path, query: Query, stopped: Callable[[], bool]) -> AsyncIterator[Entry]:
    """Everything `read` returns, then new entries as they are written, until `stopped()`."""
    stream = _Stream(log)
    try:
        if query.tail is not None:
            for entry in await asyncio.to_thread(_until_caught_up, stream, query):
                yield entry
        while True:
            done = stopped()  # checked before reading: what was written before the stop is read
            while batch := await asyncio.to_thread(stream.read):
                for entry in batch:
                    if query.wants(entry):
                        yield entry
            if done:
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        stream.close()


def _until_caught_up(stream: _Stream, query: Query) -> deque[Entry]:
    entries: deque[Entry] = deque(maxlen=query.tail)
    while batch := stream.read():
        entries.extend(entry for entry in batch if query.wants(entry))
    return entries


def rotated_name(log: Path, index: int) -> Path:
    """The name of the file `index` rotations old (0: the live file)."""
    return log if index == 0 else log.with_name(f"{log.name}.{index}")


class _Stream:
    """The log's files, oldest first, read as one stream of entries.

    `read()` returns the next entries, or [] once everything written so far has been read.
    """

    def __init__(self, log: Path) -> None:
        self._log = log
        self._file: _File | None = None

    def read(self) -> list[Entry]:
        while True:
            if self._file is None:
                self._file = self._open_oldest()
                if self._file is None:
                    return []
            lines = self._file.lines()
            if not lines:
                successor = self._successor(self._file)
                if successor is None:
                    return []  # at the end of the live file
                lines = self._file.rest()  # rotated away: the writer is done with it
                self._file.close()
                self._file = successor
            if entries := _parse(lines):
                return entries

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open_oldest(self) -> _File | None:
        """The oldest file, checked to be still the oldest once open (a rotation may run)."""
        for _ in range(100):
            inodes = _inodes(self._log)
            if not inodes:
                return None
            opened = _File.open(rotated_name(self._log, len(inodes) - 1))
            if opened is not None and _inodes(self._log)[-1:] == [opened.inode]:
                return opened
            if opened is not None:
                opened.close()
        return None

    def _successor(self, current: _File) -> _File | None:
        """The file written after `current`, once `current` has been rotated away."""
        if current.deleted():
            return self._open_oldest()  # rotated past max-file: carry on from what is left
        inodes = _inodes(self._log)
        if current.inode not in inodes or inodes.index(current.inode) == 0:
            return None  # still the live file
        index = inodes.index(current.inode)
        opened = _File.open(rotated_name(self._log, index - 1))
        if opened is not None and _inode(rotated_name(self._log, index)) != current.inode:
            opened.close()  # another rotation ran meanwhile: look again next time
            return None
        return opened


class _File:
    """One file of the log, held open: read in whole lines from where the last read ended."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.inode = os.fstat(file.fileno()).st_ino
        self._partial = b""

    @classmethod
    def open(cls, path: Path) -> _File | None:
        try:
            return cls(path.open("rb"))
        except FileNotFoundError:
            return None

    def lines(self) -> list[bytes]:
        """Whole lines appended since the last call (at most about CHUNK bytes of them)."""
        if os.fstat(self._file.fileno()).st_size < self._file.tell():
            self._file.seek(0)  # truncated in place (max-file=1): start again from the top
            self._partial = b""
        while data := self._file.read(CHUNK):
            lines = (self._partial + data).split(b"\n")
            self._partial = lines.pop()
            if lines:
                return lines
        return []

    def rest(self) -> list[bytes]:
        """Every whole line left (a torn last line, from a writer killed mid-write, is dropped)."""
        out: list[bytes] = []
        while lines := self.lines():
            out += lines
        return out

    def deleted(self) -> bool:
        return os.fstat(self._file.fileno()).st_nlink == 0

    def close(self) -> None:
        self._file.close()


def _inodes(log: Path) -> list[int]:
    """The inodes of `<log>`, `<log>.1`, … up to the oldest (0 for a name missing in between).

    A rotation renames one file at a time, oldest first, so at most one name is missing
    mid-rotation: the scan stops at the second missing name in a row."""
    inodes: list[int] = []
    missing = 0
    while missing < 2:
        inode = _inode(rotated_name(log, len(inodes)))
        missing = missing + 1 if inode == 0 else 0
        inodes.append(inode)
    while inodes and inodes[-1] == 0:
        inodes.pop()
    return inodes


def _inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return 0


def _parse(lines: list[bytes]) -> list[Entry]:
    return [entry for line in lines if line and (entry := parse_line(line)) is not None]
