"""docker's json-file log, written by the shim as the container's output arrives.

One JSON object per line: {"log": "<a line, with its \\n>", "stream": "stdout"|"stderr",
"time": "<RFC 3339, nanoseconds, trailing zeros trimmed as Go prints them>"}. Output is split
at newlines; a line longer than 16 KiB is written in pieces without the newline, as docker does.
When the file would pass `max_size` it is rotated: `<log>` → `<log>.1` → `<log>.2` …, keeping
`max_files` files in all (docker's names, so docker's own tools read them).
"""

from __future__ import annotations

import json
import os
import time

MAX_LINE = 16 * 1024
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
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)
        self._size = os.fstat(self._fd).st_size
        self._pending = {"stdout": b"", "stderr": b""}

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

    def close(self) -> None:
        self.flush()
        os.close(self._fd)

    def _entry(self, stream: str, data: bytes) -> None:
        record = json.dumps(
            {
                "log": data.decode("utf-8", "replace"),
                "stream": stream,
                "time": rfc3339nano(time.time_ns()),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        line = (record.translate(_GO_ESCAPES) + "\n").encode()
        if self.max_size and self._size and self._size + len(line) > self.max_size:
            self._rotate()
        os.write(self._fd, line)
        self._size += len(line)

    def _rotate(self) -> None:
        os.close(self._fd)
        if self.max_files > 1:
            for n in range(self.max_files - 1, 1, -1):
                older = f"{self.path}.{n - 1}"
                if os.path.exists(older):
                    os.replace(older, f"{self.path}.{n}")
            os.replace(self.path, f"{self.path}.1")
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC
        self._fd = os.open(self.path, flags, 0o640)
        self._size = 0
