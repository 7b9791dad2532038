"""What each Dockerfile instruction says: a typed value per `Node`, checked for shape (its
arguments, its flags) but not yet expanded — variables are substituted when the step runs,
with the environment the steps before it made (`steps.py`).

Errors are `ParseError`s naming the line, in BuildKit's words where users would see them
("unknown flag: foo", "ENV must have two arguments", "FROM requires either one or three
arguments").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dockyard.services.engine.build.dockerfile import Heredoc, Node, ParseError

FLAGS = {
    "from": {"platform"},
    "run": {"mount", "network", "security"},
    "copy": {"from", "chown", "chmod", "link", "parents", "exclude"},
    "add": {"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude"},
    "healthcheck": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
REPEATABLE = {"mount", "exclude"}
SPACES = re.compile(r"[\t\v\f\r ]+")


@dataclass(frozen=True)
class Instruction:
    node: Node = field(repr=False, compare=False)

    @property
    def line(self) -> int:
        return self.node.line

    @property
    def text(self) -> str:
        """The instruction as written on one line (for "Step 2/5 : ..." and errors)."""
        return " ".join(self.node.original.split())


@dataclass(frozen=True)
class From(Instruction):
    image: str = ""
    name: str = ""  # AS name, lower case
    platform: str = ""


@dataclass(frozen=True)
class Arg(Instruction):
    pairs: tuple[tuple[str, str | None], ...] = ()  # (name, default or None), unexpanded


@dataclass(frozen=True)
class Run(Instruction):
    command: tuple[str, ...] = ()  # the exec form's argv, or one shell-form string
    shell_form: bool = True
    mounts: tuple[str, ...] = ()  # --mount specs, unexpanded
    network: str = ""
    security: str = ""
    heredocs: tuple[Heredoc, ...] = ()


@dataclass(frozen=True)
class Command(Instruction):
    """CMD and ENTRYPOINT."""

    kind: str = "cmd"
    command: tuple[str, ...] = ()
    shell_form: bool = True


@dataclass(frozen=True)
class Shell(Instruction):
    shell: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyValues(Instruction):
    """ENV and LABEL: (name, value) pairs, values unexpanded and still quoted."""

    kind: str = "env"
    pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BuildLabel(Instruction):
    """`build --label name=value`: a LABEL step of its own at the end of the target stage (as
    docker's classic builder adds one), its value taken as given (never expanded)."""

    name: str = ""
    value: str = ""

    @classmethod
    def of(cls, name: str, value: str) -> BuildLabel:
        text = f"LABEL {name}={value}"
        return cls(Node("label", f"{name}={value}", 0, 0, text), name, value)


@dataclass(frozen=True)
class Words(Instruction):
    """EXPOSE and VOLUME: words to expand (VOLUME may be a JSON array)."""

    kind: str = "expose"
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Value(Instruction):
    """WORKDIR, USER, STOPSIGNAL, MAINTAINER: one string, unexpanded."""

    kind: str = "workdir"
    value: str = ""


@dataclass(frozen=True)
class Copy(Instruction):
    """COPY and ADD."""

    add: bool = False
    sources: tuple[str, ...] = ()
    dest: str = ""
    source_stage: str = ""  # --from
    chown: str = ""
    chmod: str = ""
    link: bool = False
    excludes: tuple[str, ...] = ()
    heredocs: tuple[Heredoc, ...] = ()


@dataclass(frozen=True)
class Healthcheck(Instruction):
    test: tuple[str, ...] = ()  # ("NONE",) or ("CMD", ...) or ("CMD-SHELL", command)
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OnBuild(Instruction):
    trigger: str = ""  # the instruction, as written after ONBUILD


def parse_node(node: Node) -> Instruction:
    """The instruction `node` says (ParseError for a malformed one)."""
    flags = _flags(node)
    parser = _PARSERS[node.command]
    try:
        return parser(node, flags)
    except ParseError:
        raise
    except ValueError as err:
        raise ParseError(node.line, str(err)) from None


def _flags(node: Node) -> dict[str, list[str]]:
    allowed = FLAGS.get(node.command, set())
    found: dict[str, list[str]] = {}
    for flag in node.flags:
        name, _, value = flag[2:].partition("=")
        if name not in allowed:
            raise ParseError(node.line, f"unknown flag: {name}")
        if name in found and name not in REPEATABLE:
            raise ParseError(node.line, f"duplicate flag specified: {name}")
        found.setdefault(name, []).append(value if "=" in flag else "true")
    return found


def _one(flags: dict[str, list[str]], name: str) -> str:
    return flags.get(name, [""])[0]


def _from(node: Node, flags: dict[str, list[str]]) -> Instruction:
    words = SPACES.split(node.args) if node.args else []
    if len(words) == 3 and words[1].lower() == "as":
        name = words[2].lower()
        if not re.fullmatch(r"[a-z][a-z0-9-_.]*", name):
            raise ParseError(
                node.line,
                f"invalid name for build stage: {words[2]!r}, name "
                "can't start with a number or contain symbols",
            )
        return From(node, words[0], name, _one(flags, "platform"))
    if len(words) != 1:
        raise ParseError(node.line, "FROM requires either one or three arguments")
    return From(node, words[0], "", _one(flags, "platform"))


def _arg(node: Node, flags: dict[str, list[str]]) -> Instruction:
    words = parse_words(node.args)
    if not words:
        raise ParseError(node.line, "ARG requires at least one argument")
    pairs = []
    for word in words:
        name, equals, default = word.partition("=")
        if not name:
            raise ParseError(node.line, f"invalid ARG: {word!r} has no name")
        pairs.append((name, default if equals else None))
    return Arg(node, tuple(pairs))


def _run(node: Node, flags: dict[str, list[str]]) -> Instruction:
    command = _command(node, "RUN")
    return Run(
        node,
        command,
        node.json is None,
        tuple(flags.get("mount", [])),
        _one(flags, "network"),
        _one(flags, "security"),
        tuple(node.heredocs),
    )


def _command(node: Node, name: str) -> tuple[str, ...]:
    _check_json(node)
    if node.json is not None:
        return tuple(node.json)
    if not node.args and name == "RUN":
        raise ParseError(node.line, "RUN requires at least one argument")
    return (node.args,) if node.args else ()


def _check_json(node: Node) -> None:
    if node.json is None and node.args.startswith("["):
        try:
            value = json.loads(node.args)
        except ValueError:
            return  # not JSON at all: the shell form
        if isinstance(value, list):
            raise ParseError(
                node.line, "when using JSON array syntax, arrays must be comprised of strings only"
            )


def _cmd(node: Node, flags: dict[str, list[str]]) -> Instruction:
    return Command(node, node.command, _command(node, node.command.upper()), node.json is None)


def _shell(node: Node, flags: dict[str, list[str]]) -> Instruction:
    _check_json(node)
    if node.json is None:
        raise ParseError(node.line, "SHELL requires the arguments to be in JSON form")
    if not node.json:
        raise ParseError(node.line, "SHELL requires at least one argument")
    return Shell(node, tuple(node.json))


def _key_values(node: Node, flags: dict[str, list[str]]) -> Instruction:
    name = node.command.upper()
    words = parse_words(node.args)
    if not words:
        raise ParseError(node.line, f"{name} requires at least one argument")
    if "=" not in words[0]:  # the old form: ENV name value
        parts = SPACES.split(node.args, maxsplit=1)
        if len(parts) < 2:
            raise ParseError(node.line, f"{name} must have two arguments")
        return KeyValues(node, node.command, ((parts[0], parts[1]),))
    pairs = []
    for word in words:
        key, equals, value = word.partition("=")
        if not equals:
            raise ParseError(
                node.line,
                f'Syntax error - can\'t find = in "{word}". Must be of the form: name=value',
            )
        if not key:
            raise ParseError(node.line, f"{name} names can not be blank")
        pairs.append((key, value))
    return KeyValues(node, node.command, tuple(pairs))


def _words(node: Node, flags: dict[str, list[str]]) -> Instruction:
    if node.command == "volume":
        _check_json(node)
    words = node.json if node.json is not None else SPACES.split(node.args)
    words = [w for w in words if w]
    if not words:
        raise ParseError(node.line, f"{node.command.upper()} requires at least one argument")
    return Words(node, node.command, tuple(words))


def _value(node: Node, flags: dict[str, list[str]]) -> Instruction:
    if not node.args:
        raise ParseError(node.line, f"{node.command.upper()} requires exactly one argument")
    if node.command == "stopsignal" and len(SPACES.split(node.args)) > 1:
        raise ParseError(node.line, "STOPSIGNAL requires exactly one argument")
    return Value(node, node.command, node.args)


def _copy(node: Node, flags: dict[str, list[str]]) -> Instruction:
    add = node.command == "add"
    _check_json(node)
    words = node.json if node.json is not None else [w for w in SPACES.split(node.args) if w]
    if len(words) < 2:
        raise ParseError(
            node.line,
            f"{node.command.upper()} requires at least two arguments, "
            "but only one was provided. Destination could not be determined",
        )
    return Copy(
        node,
        add,
        tuple(words[:-1]),
        words[-1],
        _one(flags, "from"),
        _one(flags, "chown"),
        _one(flags, "chmod"),
        _one(flags, "link") in ("true", "1"),
        tuple(flags.get("exclude", [])),
        tuple(node.heredocs),
    )


def _healthcheck(node: Node, flags: dict[str, list[str]]) -> Instruction:
    kind, _, rest = node.args.partition(" ")
    kind, rest = kind.upper(), rest.strip()
    if kind == "NONE":
        if rest or flags:
            raise ParseError(node.line, "HEALTHCHECK NONE takes no arguments")
        return Healthcheck(node, ("NONE",))
    if kind != "CMD":
        raise ParseError(node.line, f'Unknown type "{kind}" in HEALTHCHECK (try CMD)')
    if not rest:
        raise ParseError(node.line, "Missing command after HEALTHCHECK CMD")
    options = tuple((name, values[0]) for name, values in sorted(flags.items()))
    parsed = _json_array(rest)
    test = ("CMD", *parsed) if parsed is not None else ("CMD-SHELL", rest)
    return Healthcheck(node, test, options)


def _json_array(text: str) -> list[str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _onbuild(node: Node, flags: dict[str, list[str]]) -> Instruction:
    if not node.args:
        raise ParseError(node.line, "ONBUILD requires at least one argument")
    trigger = node.args.split(None, 1)[0].upper()
    if trigger in ("ONBUILD", "FROM", "MAINTAINER"):
        raise ParseError(node.line, f"{trigger} isn't allowed as an ONBUILD trigger")
    return OnBuild(node, node.args)


def parse_words(rest: str, escape: str = "\\") -> list[str]:
    """`rest` split into words on white space outside quotes, quotes and escapes kept (to
    be removed when each word is expanded): docker's parseWords."""
    words: list[str] = []
    word, quote, blank_ok, index = "", "", False, 0
    while index < len(rest):
        ch = rest[index]
        if not quote and ch.isspace():
            if blank_ok or word:
                words.append(word)
            word, blank_ok = "", False
        elif ch == escape and quote != "'":
            word += rest[index : index + 2]
            index += 1
        else:
            if quote and ch == quote:
                quote = ""
            elif not quote and ch in "'\"":
                quote, blank_ok = ch, True
            word += ch
        index += 1
    if blank_ok or word:
        words.append(word)
    return words


_PARSERS = {
    "from": _from,
    "arg": _arg,
    "run": _run,
    "cmd": _cmd,
    "entrypoint": _cmd,
    "shell": _shell,
    "env": _key_values,
    "label": _key_values,
    "expose": _words,
    "volume": _words,
    "workdir": _value,
    "user": _value,
    "stopsignal": _value,
    "maintainer": _value,
    "copy": _copy,
    "add": _copy,
    "healthcheck": _healthcheck,
    "onbuild": _onbuild,
}
