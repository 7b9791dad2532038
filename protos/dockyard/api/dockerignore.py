"""`.dockerignore`: which files of a build context are left out, as docker decides it.

Shared by both ends of a build because it is a contract between them: the CLI leaves the
ignored files out of the context it sends (so they are never read or transferred), and the
engine checks again (a context may come from another client).

    # comment           lines starting with # are comments; blank lines are skipped
    *.log               Go's filepath.Match on the path relative to the context root:
    build/              `*` and `?` never cross a `/`, `[a-z]` and `\\x` as in Go
    **/tmp              `**` crosses any number of directories (none too)
    !keep.log           `!` re-includes what an earlier line left out; the last match wins

A pattern also matches everything below a directory it matches (`build` leaves out
`build/x/y`). Patterns are cleaned as paths (`./a/../b` is `b`; a leading `/` is dropped).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Pattern:
    text: str
    exclusion: bool  # a `!` line: matching files are included again
    regex: re.Pattern[str]
    depth: int  # path components in the pattern (for matching a parent directory)


def read(text: str) -> list[str]:
    """The patterns of a .dockerignore file's text."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        patterns.append(line)
    return patterns


class Matcher:
    """Decides, for paths relative to the context root ("a/b.txt"), whether they are ignored."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = [p for p in (_compile(text) for text in patterns) if p is not None]
        self.has_exclusions = any(p.exclusion for p in self.patterns)

    def ignored(self, path: str) -> bool:
        """Whether `path` (or a directory it is in) is left out; the last matching line wins."""
        path = _clean(path)
        parts = path.split("/")
        ignored = False
        for pattern in self.patterns:
            if pattern.exclusion == (not ignored):
                continue  # cannot change the verdict
            if pattern.regex.match(path) or (
                len(parts) > pattern.depth and pattern.regex.match("/".join(parts[: pattern.depth]))
            ):
                ignored = not pattern.exclusion
        return ignored

    def may_reinclude(self, directory: str) -> bool:
        """Whether an exclusion line names something below the ignored `directory` (then
        the directory is walked, not skipped whole), as docker's CLI decides it."""
        prefix = _clean(directory) + "/"
        return any(p.exclusion and (p.text + "/").startswith(prefix) for p in self.patterns)


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path).lstrip("/")
    return "" if cleaned == "." else cleaned


def _compile(text: str) -> Pattern | None:
    exclusion = text.startswith("!")
    if exclusion:
        text = text[1:].strip()
    text = _clean(text)
    if not text:
        return None
    return Pattern(text, exclusion, re.compile(_regex(text)), len(text.split("/")))


def _regex(pattern: str) -> str:
    """Go's filepath.Match syntax with `**`, as a regular expression (moby/patternmatcher)."""
    out, index = ["^"], 0
    while index < len(pattern):
        ch = pattern[index]
        index += 1
        if ch == "*":
            if pattern[index : index + 1] == "*":
                index += 1
                if pattern[index : index + 1] == "/":
                    index += 1
                out.append(".*" if index >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and index < len(pattern):
            out.append(re.escape(pattern[index]))
            index += 1
        elif ch == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[index:end]
                body = "^" + body[1:] if body.startswith("!") else body
                out.append("[" + body.replace("\\", "\\\\") + "]")
                index = end + 1
        else:
            out.append(re.escape(ch))
    out.append("$")
    return "".join(out)
