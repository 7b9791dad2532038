"""docker's json-file log, written by the shim as the container's output arrives.

One JSON object per line: {"log": "<a line, with its \\n>", "stream": "stdout"|"stderr",
"time": "<RFC 3339, nanoseconds, trailing zeros trimmed as Go prints them>"}. Output is split
at newlines; a line longer than 16 KiB is written in pieces without the newline, as docker does.
When the file would pass `max_size` it is rotated: `<log>` → `<log>.1` → `<log>.2` …, keeping
`max_files` files in all (docker's names, so docker's own tools read them).

A write that fails (the disk is full: ENOSPC; the file too big: EFBIG) never stops the writer:
the entry is dropped and counted, a piece of it written short is cut off again (the file stays
whole lines), and the first entry that fits afterwards is preceded by one on stderr saying how
many were dropped and why — so `dockyard logs` shows the gap where it happened. If none fits
until the output ends (`flush`), the count is written then, in the room a small reserve file
beside the log (`.<log name>.reserve`, allocated at open; hidden, so that nothing counting or
globbing the log's rotated files `<log>*` takes it for one) gives back. `dropped` keeps the total.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time

MAX_LINE = 16 * 1024
RESERVE = 4096  # a block or a page: room for the note of a gap on a full disk
_GO_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def rfc3339nano(ns: int) -> str:
    seconds, nanos = divmod(ns, 10**9)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


class JsonLog:
    def __init__(self, path: str, max_size: int = 0, max_files: int = 1) -> None:
        self.path = path
        self.max_size = max_size
        self.max_files = max(max_files, 1)
        self._fd = os.open(path, _APPEND, 0o640)
        self._size = os.fstat(self._fd).st_size
        self._pending = {"stdout": b"", "stderr": b""}
        self.dropped = 0  # entries lost to failed writes, in all
        self._unreported = 0  # of those, not yet told in the log
        self._why = ""
        head, name = os.path.split(path)
        self._reserve = os.path.join(head, f".{name}.reserve")
        _allocate(self._reserve, RESERVE)

    def write(self, stream: str, data: bytes) -> None:
        """Log `data` from `stream`, whole lines now, a trailing partial line later."""
        buffered = self._pending[stream] + data
        lines = buffered.split(b"\n")
        rest = lines.pop()
        for line in lines:
            self._entry(stream, line + b"\n")
        while len(rest) >= MAX_LINE:
            self._entry(stream, rest[:MAX_LINE])
            rest = rest[MAX_LINE:]
        self._pending[stream] = rest

    def flush(self) -> None:
        """Write what is left of unterminated lines (at end of output)."""
        for stream, rest in self._pending.items():
            if rest:
                self._entry(stream, rest)
            self._pending[stream] = b""
        if self._unreported and not self._report_gap():
            _remove(self._reserve)  # the end of the output: the last chance to say it
            self._report_gap()

    def close(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _entry(self, stream: str, data: bytes) -> None:
        if self._unreported:
            self._report_gap()
        if self._unreported or not self._append(_encode(stream, data)):
            self.dropped += 1
            self._unreported += 1

    def _report_gap(self) -> bool:
        plural = "s" if self._unreported != 1 else ""
        note = f"dockyard: {self._unreported} log line{plural} dropped: {self._why}\n"
        if not self._append(_encode("stderr", note.encode())):
            return False
        self._unreported = 0
        return True

    def _append(self, line: bytes) -> bool:
        """Write one whole entry, or nothing of it; False (and why, in `_why`) when it failed."""
        try:
            if self._fd < 0:  # a rotation could not open the new file: try again
                self._reopen(_APPEND)
            if self.max_size and self._size and self._size + len(line) > self.max_size:
                self._rotate()
            self._write_whole(line)
        except OSError as err:
            self._why = err.strerror or str(err)
            return False
        self._size += len(line)
        return True

    def _write_whole(self, line: bytes) -> None:
        """A short write is followed by one of the rest, which fails and says why (write(2)):
        then the piece written is taken back."""
        written = 0
        try:
            while written < len(line):
                written += os.write(self._fd, line[written:]) or _no_space()
        except OSError:
            if written:
                os.ftruncate(self._fd, self._size)
            raise

    def _rotate(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self.max_files > 1:
            for n in range(self.max_files - 1, 1, -1):
                older = f"{self.path}.{n - 1}"
                if os.path.exists(older):
                    os.replace(older, f"{self.path}.{n}")
            os.replace(self.path, f"{self.path}.1")
            self._reopen(_APPEND)
        else:
            self._reopen(_APPEND | os.O_TRUNC)

    def _reopen(self, flags: int) -> None:
        self._fd = os.open(self.path, flags, 0o640)
        self._size = os.fstat(self._fd).st_size


def _allocate(path: str, size: int) -> None:
    """A file of `size` bytes of real blocks (posix_fallocate(3)); none if there is no room."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)
    except OSError:
        _remove(path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _no_space() -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC


def _encode(stream: str, data: bytes) -> bytes:
    record = json.dumps(
        {
            "log": data.decode("utf-8", "replace"),
            "stream": stream,
            "time": rfc3339nano(time.time_ns()),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return (record.translate(_GO_ESCAPES) + "\n").encode()
