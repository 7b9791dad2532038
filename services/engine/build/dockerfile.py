"""The Dockerfile's syntax: logical lines, each an instruction `Node`, as BuildKit's parser
makes them (`frontend/dockerfile/parser`). What an instruction *means* is `instructions.py`.

    # syntax=docker/dockerfile:1     parser directives: only at the very top, before any
    # escape=`                       comment, blank line or instruction (escape: \\ or `)
    RUN apt-get update && \\         the escape character at a line's end continues it;
        apt-get install -y curl      comment lines inside a continuation are dropped
    RUN ["echo", "json form"]        a JSON array of strings is the exec form
    COPY --chown=1:1 a b /dst/       leading --flags are split off
    RUN <<EOF                        heredocs (RUN, COPY, ADD): the lines up to the
    echo hi                          terminator belong to the instruction; <<-EOF strips
    EOF                              leading tabs; a quoted name ('EOF') turns expansion off

Errors name the line: `dockerfile parse error on line 3: unknown instruction: FOO`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dockyard.api.errors import InvalidArgument

INSTRUCTIONS = frozenset(
    [
        "add",
        "arg",
        "cmd",
        "copy",
        "entrypoint",
        "env",
        "expose",
        "from",
        "healthcheck",
        "label",
        "maintainer",
        "onbuild",
        "run",
        "shell",
        "stopsignal",
        "user",
        "volume",
        "workdir",
    ]
)
HEREDOC_INSTRUCTIONS = frozenset(("run", "copy", "add"))
DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
HEREDOC = re.compile(r"^<<(-?)\s*(['\"]?)([a-zA-Z_][a-zA-Z0-9_]*)\2$")
KNOWN_DIRECTIVES = ("escape", "syntax", "check")


class ParseError(InvalidArgument):
    """The Dockerfile is not well-formed; the message names the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"dockerfile parse error on line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Heredoc:
    name: str
    body: str  # the lines between the marker and the terminator, each ending in "\n"
    expand: bool  # the name was not quoted: variables in the body are expanded


@dataclass
class Node:
    """One instruction as written."""

    command: str  # lower case: "run", "copy", ...
    args: str  # the text after the command and its flags
    line: int  # where it starts (1-based)
    end_line: int
    original: str  # the instruction's text, continuation lines joined
    flags: list[str] = field(default_factory=list)  # "--from=build", "--mount=type=cache,..."
    json: list[str] | None = None  # the exec form's array, when written as one
    heredocs: list[Heredoc] = field(default_factory=list)


@dataclass
class Dockerfile:
    nodes: list[Node]
    escape: str = "\\"
    directives: dict[str, str] = field(default_factory=dict)


def parse(text: str) -> Dockerfile:
    """The instructions of `text` (see the module docstring); ParseError when malformed."""
    lines = text.removeprefix("\ufeff").splitlines()
    directives, first = _directives(lines)
    escape = directives.get("escape", "\\")
    nodes = list(_Reader(lines, first, escape).nodes())
    if not nodes:
        raise InvalidArgument("the Dockerfile cannot be empty: it has no instructions")
    return Dockerfile(nodes, escape, directives)


def _directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """The parser directives at the top, and the index of the first line after them."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = DIRECTIVE.match(line.strip())
        if not match:
            return found, index
        name, value = match.group(1).lower(), match.group(2)
        if name not in KNOWN_DIRECTIVES:
            return found, index  # an unknown directive is an ordinary comment, and ends them
        if name in found:
            raise ParseError(index + 1, f"only one {name} parser directive can be used")
        if name == "escape" and value not in ("\\", "`"):
            raise ParseError(index + 1, f"invalid escape token '{value}' does not match ` or \\")
        found[name] = value
    return found, len(lines)


@dataclass
class _Reader:
    lines: list[str]
    pos: int
    escape: str

    def nodes(self) -> list[Node]:
        found = []
        while (node := self._next_node()) is not None:
            found.append(node)
        return found

    def _next_node(self) -> Node | None:
        start = self._skip_blank_and_comments()
        if start is None:
            return None
        text, continues = self._continued(self.lines[start].strip())
        end = start
        while continues:
            found = self._next_content_line()
            if found is None:
                break  # the file ends in a continuation: the instruction ends with it
            end = found
            more, continues = self._continued(self.lines[end])
            text += more
        original = "\n".join(self.lines[start : end + 1])
        node = _node(text.strip(), start + 1, end + 1, original)
        if node.command in HEREDOC_INSTRUCTIONS and node.json is None and "<<" in text:
            node.heredocs = self._heredocs(node)
            node.end_line = self.pos
        return node

    def _skip_blank_and_comments(self) -> int | None:
        while self.pos < len(self.lines):
            stripped = self.lines[self.pos].strip()
            self.pos += 1
            if stripped and not stripped.startswith("#"):
                return self.pos - 1
        return None

    def _next_content_line(self) -> int | None:
        """The next line of a continued instruction (comments and blank lines skipped)."""
        return self._skip_blank_and_comments()

    def _continued(self, line: str) -> tuple[str, bool]:
        """(`line` without its continuation escape and the blanks after it, whether it had
        one). An escape preceded by another escape is a literal one, not a continuation."""
        body = line.rstrip(" \t")
        if not body.endswith(self.escape):
            return line, False
        if len(body) > 1 and body[-2] == self.escape:
            return line, False
        return body[:-1], True

    def _heredocs(self, node: Node) -> list[Heredoc]:
        found = []
        for marker in _heredoc_markers(node.args):
            chomp, quoted, name = marker
            body: list[str] = []
            while True:
                if self.pos >= len(self.lines):
                    raise ParseError(node.line, f"unterminated heredoc {name}")
                line = self.lines[self.pos]
                self.pos += 1
                text = line.lstrip("\t") if chomp else line
                if text == name:
                    break
                body.append(text + "\n")
            found.append(Heredoc(name, "".join(body), expand=not quoted))
        return found


def _heredoc_markers(args: str) -> list[tuple[bool, bool, str]]:
    """(strip tabs, quoted, name) of each `<<NAME` word in `args`."""
    markers = []
    for word in args.split():
        match = HEREDOC.match(word.lstrip("0123456789"))
        if match:
            markers.append((match.group(1) == "-", bool(match.group(2)), match.group(3)))
    return markers


def _node(text: str, line: int, end_line: int, original: str) -> Node:
    command, _, rest = text.partition(" ")
    if "\t" in command:
        command, _, more = command.partition("\t")
        rest = f"{more} {rest}"
    name = command.lower()
    if name not in INSTRUCTIONS:
        raise ParseError(line, f"unknown instruction: {command.upper()}")
    flags, args = _split_flags(rest.strip())
    return Node(name, args, line, end_line, original, flags, _json_form(args))


def _split_flags(rest: str) -> tuple[list[str], str]:
    flags = []
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        if flag == "--":
            break
        flags.append(flag)
        rest = rest.lstrip()
    return flags, rest


def _json_form(args: str) -> list[str] | None:
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None
