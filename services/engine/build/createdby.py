"""A build step's `created_by` (what `history` shows), as docker 20.10's classic builder records
it: the Cmd of the step's intermediate container, joined with spaces (image.NewChildImage).

    config-only steps   SHELL "#(nop) " COMMENT   ("/bin/sh -c #(nop)  ENV A=1": two spaces,
                                                   builder/dockerfile withCmdComment)
    WORKDIR, COPY, ADD  SHELL "#(nop) COMMENT"    ("/bin/sh -c #(nop) WORKDIR /app",
                                                   withCmdCommentString)
    RUN                 the command, after "|N name=value ..." when it saw build args

SHELL is the stage's (SHELL's, else /bin/sh -c) after the step. The comments are those of
builder/dockerfile/dispatchers.go, several made with Go's fmt verbs: `%q` of a string list
(`CMD ["sh" "-c" "x"]`), `%v` of one (`VOLUME [/a /b]`), and `%q` of a HealthConfig
(`HEALTHCHECK &{["CMD-SHELL" "true"] "30s" "0s" "0s" '\\x03'}`), rendered here the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

DEFAULT_SHELL = ["/bin/sh", "-c"]
GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
}
NS = {"s": 10**9, "ms": 10**6, "µs": 10**3}


def nop(config: Mapping[str, Any], comment: str) -> str:
    """A config-only step's (withCmdComment)."""
    return " ".join([*_shell(config), "#(nop) ", comment])


def nop_string(config: Mapping[str, Any], comment: str) -> str:
    """WORKDIR's, COPY's and ADD's (withCmdCommentString)."""
    return " ".join([*_shell(config), "#(nop) " + comment])


def run(argv: Sequence[str], args: Mapping[str, str]) -> str:
    """RUN's: its command, after the build args it saw (prependEnvOnCmd: sorted "k=v")."""
    if not args:
        return " ".join(argv)
    seen = sorted(f"{name}={value}" for name, value in args.items())
    return " ".join([f"|{len(seen)}", *seen, *argv])


def _shell(config: Mapping[str, Any]) -> list[str]:
    return list(config.get("Shell") or DEFAULT_SHELL)


# -- Go's fmt, as the comments use it --------------------------------------------------------


def go_list(words: Sequence[str]) -> str:
    """`%q` of a []string: `["a" "b"]`."""
    return "[" + " ".join(go_quote(word) for word in words) + "]"


def go_words(words: Sequence[str]) -> str:
    """`%v` of a []string: `[a b]`."""
    return "[" + " ".join(words) + "]"


def go_quote(text: str, quote: str = '"') -> str:
    """strconv.Quote (QuoteRune with quote="'")."""
    out = []
    for char in text:
        if char in GO_ESCAPES:
            out.append(GO_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return quote + "".join(out) + quote


def go_healthcheck(check: Mapping[str, Any]) -> str:
    """`%q` of docker 20.10's *container.HealthConfig: its Test, Interval, Timeout,
    StartPeriod (time.Duration's String, quoted) and Retries (an int: a quoted rune)."""
    durations = [
        go_quote(go_duration(int(check.get(key) or 0)))
        for key in ("Interval", "Timeout", "StartPeriod")
    ]
    retries = go_quote(chr(int(check.get("Retries") or 0)), "'")
    return "&{" + " ".join([go_list(check.get("Test") or []), *durations, retries]) + "}"


def go_duration(ns: int) -> str:
    """time.Duration's String: "0s", "500ms", "1.5s", "1m30s", "1h0m0s"."""
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns == 0:
        return "0s"
    if ns < 1000:
        return f"{sign}{ns}ns"
    for unit in ("µs", "ms"):
        if ns < NS[unit] * 1000:
            return sign + _fraction(ns, NS[unit]) + unit
    hours, rest = divmod(ns, 3600 * NS["s"])
    minutes, rest = divmod(rest, 60 * NS["s"])
    seconds = _fraction(rest, NS["s"]) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    return f"{sign}{minutes}m{seconds}" if minutes else sign + seconds


def _fraction(value: int, unit: int) -> str:
    whole, part = divmod(value, unit)
    if not part:
        return str(whole)
    digits = str(part).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"
