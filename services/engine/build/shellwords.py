"""Word processing as docker's Dockerfile frontend does it (its `shell.Lex`): quotes, the
escape character, and variable substitution in the instructions that take words (FROM, COPY,
ADD, ENV, LABEL, ARG, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL ...; RUN, CMD and ENTRYPOINT
are left to the shell).

    $VAR ${VAR}          the value, "" when unset
    ${VAR:-word}         word when VAR is unset or empty     ${VAR-word}  only when unset
    ${VAR:+word}         word when VAR is set and not empty  ${VAR+word}  when set
    ${VAR:?message}      an error when VAR is unset or empty ${VAR?message} only when unset
    '...'                literal: no escapes, no variables
    "..."                variables expanded; the escape character escapes " $ and itself
    \\x                   x, literally (the escape character is `\\` or `` ` ``)

`words` splits on white space outside quotes, after substitution, so `EXPOSE $PORTS` with
PORTS="80 443" is two words, and `""` stays one empty word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dockyard.api.errors import InvalidArgument

NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
SPACE = frozenset(" \t\r\n")


class SubstitutionError(InvalidArgument):
    """A variable reference is malformed, or `${VAR:?}` found VAR missing."""


def word(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """`text` with its quotes removed and its variables expanded, as one word."""
    return "".join(_Lexer(text, env, escape, split=False).run())


def words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """`text` as words: quotes removed, variables expanded, split on unquoted white space."""
    return _Lexer(text, env, escape, split=True).run()


def text(body: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """`body` with its variables expanded and nothing else changed (a heredoc's lines: quotes
    there are ordinary characters, as in a shell's unquoted here-document)."""
    return "".join(_Lexer(body, env, escape, split=False, quotes=False).run())


def used_names(text: str, escape: str = "\\") -> set[str]:
    """The variable names `text` refers to (for the build args a step's cache key takes)."""
    recorder = _Recorder()
    _Lexer(text, recorder, escape, split=False).run()
    return recorder.seen


class _Recorder(dict[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def get(self, key: str, default: object = None) -> str | None:  # type: ignore[override]
        self.seen.add(key)
        return None


@dataclass
class _Lexer:
    text: str
    env: Mapping[str, str]
    escape: str
    split: bool
    quotes: bool = True  # quotes group and protect; off: they are ordinary characters
    pos: int = 0
    _words: list[str] = field(default_factory=list)
    _current: list[str] = field(default_factory=list)
    _started: bool = False  # the current word exists (even empty: "")
    _in_braces: bool = False  # inside ${VAR:-...}: an expansion is not split

    def run(self) -> list[str]:
        self._scan(stop="")
        self._end_word()
        return self._words if self.split else ["".join(self._words)]

    # -- scanning -----------------------------------------------------------------------------

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _next(self) -> str:
        ch = self._peek()
        self.pos += 1
        return ch

    def _scan(self, stop: str) -> None:
        """Read until `stop` (not consumed) or the end, into the current word(s)."""
        while self.pos < len(self.text):
            ch = self._peek()
            if stop and ch == stop:
                return
            if self.split and not stop and ch in SPACE:
                self._next()
                self._end_word()
            elif ch == "'" and self.quotes:
                self._next()
                self._add(self._single_quoted())
            elif ch == '"' and self.quotes:
                self._next()
                self._add(self._double_quoted())
            elif ch == "$":
                self._next()
                self._add_expanded(self._dollar())
            elif ch == self.escape and (self.quotes or self._peek(1) == "$"):
                self._next()
                self._add(self._next() if self.pos < len(self.text) else self.escape)
            else:
                self._add(self._next())

    def _add(self, text: str) -> None:
        self._current.append(text)
        self._started = True

    def _add_expanded(self, value: str) -> None:
        """An unquoted expansion: split into words too (docker's ProcessWords)."""
        if not self.split or self._in_braces:
            self._current.append(value)
            return
        parts = value.split()
        if not parts:
            return
        if value[0] in SPACE:
            self._end_word()
        for index, part in enumerate(parts):
            if index:
                self._end_word()
            self._add(part)
        if value[-1] in SPACE:
            self._end_word()

    def _end_word(self) -> None:
        if self._started or self._current:
            self._words.append("".join(self._current))
        self._current, self._started = [], False

    def _single_quoted(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise SubstitutionError(
                f"unexpected end of statement while looking for matching single-quote in {self.text!r}"
            )
        value, self.pos = self.text[self.pos : end], end + 1
        return value

    def _double_quoted(self) -> str:
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise SubstitutionError(
                    f"unexpected end of statement while looking for matching double-quote in {self.text!r}"
                )
            ch = self._next()
            if ch == '"':
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
            elif ch == self.escape and self._peek() in ('"', "$", self.escape):
                out.append(self._next())
            else:
                out.append(ch)

    # -- variables ----------------------------------------------------------------------------

    def _dollar(self) -> str:
        """After a `$`: the expansion (or a literal `$` when no name follows)."""
        if self._peek() != "{":
            name = self._name()
            return (self._value(name) or "") if name else "$"
        self._next()
        name = self._name()
        if not name:
            raise SubstitutionError(f"missing variable name in {self.text!r}")
        ch = self._next()
        if not ch:
            raise SubstitutionError(f"missing '}}' in {self.text!r}")
        if ch == "}":
            return self._value(name) or ""
        colon = ch == ":"
        if colon:
            ch = self._next()
        if ch not in ("-", "+", "?"):
            raise SubstitutionError(
                f"unsupported modifier ({ch or 'end'}) in substitution {self.text!r}"
            )
        argument = self._braced_word()
        value = self._value(name)
        present = value is not None and (value != "" or not colon)
        if ch == "-":
            return value if present else argument  # type: ignore[return-value]
        if ch == "+":
            return argument if present else ""
        if not present:
            raise SubstitutionError(f"{name}: {argument or 'is not allowed to be unset'}")
        return value  # type: ignore[return-value]

    def _braced_word(self) -> str:
        """The word after a modifier, up to the closing brace (itself substituted)."""
        saved = (self._current, self._started, self._in_braces)
        self._current, self._started, self._in_braces = [], False, True
        try:
            self._scan(stop="}")
            if self._next() != "}":
                raise SubstitutionError(f"missing '}}' in {self.text!r}")
            return "".join(self._current)
        finally:
            self._current, self._started, self._in_braces = saved

    def _name(self) -> str:
        start = self.pos
        if self._peek().isdigit():
            self._next()
            return self.text[start : self.pos]
        while self._peek() and self._peek() in NAME_CHARS:
            self._next()
        return self.text[start : self.pos]

    def _value(self, name: str) -> str | None:
        return self.env.get(name)
