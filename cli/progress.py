"""Pull progress as docker draws it: one line per layer, redrawn in place on a terminal; plain
lines (without the byte-count updates) otherwise."""

from __future__ import annotations

from typing import Any, TextIO

BAR = 50
QUIET_ON_PIPES = ("Downloading", "Extracting", "Waiting", "Pushing")


class PullPrinter:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tty = out.isatty()
        self._lines: dict[str, str] = {}
        self._order: list[str] = []

    def show(self, progress: Any) -> None:
        if not progress.id or progress.status.startswith(("Digest:", "Status:")):
            self._write(progress.status if not progress.id else f"{progress.id}: {progress.status}")
            return
        line = f"{progress.id}: {progress.status}"
        if progress.total and progress.status in ("Downloading", "Extracting", "Pushing"):
            line += " " + _bar(progress.current, progress.total)
        if self._tty:
            self._redraw(progress.id, line)
        elif progress.status not in QUIET_ON_PIPES:
            self._write(line)

    def done(self) -> None:
        self._out.flush()

    def _write(self, line: str) -> None:
        if self._tty and self._order:
            self._lines.clear()
            self._order.clear()
        self._out.write(line + "\n")
        self._out.flush()

    def _redraw(self, key: str, line: str) -> None:
        if key not in self._lines:
            self._order.append(key)
            self._lines[key] = line
            self._out.write(line + "\n")
        else:
            self._lines[key] = line
            up = len(self._order) - self._order.index(key)
            self._out.write(f"\x1b[{up}A\r\x1b[2K{line}\x1b[{up}B\r")
        self._out.flush()


def _bar(current: int, total: int) -> str:
    from dockyard.cli.render import human_size

    filled = min(BAR, int(BAR * current / total)) if total else 0
    arrow = "=" * max(filled - 1, 0) + (">" if filled else "")
    return f"[{arrow.ljust(BAR)}]  {human_size(current)}/{human_size(total)}"
