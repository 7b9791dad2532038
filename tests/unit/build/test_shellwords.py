"""Word processing and variable substitution, as docker's Dockerfile frontend does it."""

from __future__ import annotations

import pytest
from dockyard.services.engine.build import shellwords
from dockyard.services.engine.build.shellwords import SubstitutionError

ENV = {"A": "apple", "EMPTY": "", "SPACED": "80 443", "HOME": "/root"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("$A", "apple"),
        ("${A}s", "apples"),
        ("$A-$MISSING-", "apple--"),
        ("${MISSING:-default}", "default"),
        ("${EMPTY:-default}", "default"),
        ("${EMPTY-default}", ""),
        ("${MISSING-default}", "default"),
        ("${A:-default}", "apple"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${MISSING:+alt}", ""),
        ("${MISSING:-$A}", "apple"),
        ("${MISSING:-${A:+nested}}", "nested"),
        ("'$A'", "$A"),
        ('"$A b"', "apple b"),
        (r"\$A", "$A"),
        (r'"a\"b"', 'a"b'),
        (r'"a\nb"', r"a\nb"),
        ("a$", "a$"),
        ("$1x", "x"),
        ('""', ""),
        ("${HOME}/bin", "/root/bin"),
    ],
)
def test_word(text: str, expected: str) -> None:
    assert shellwords.word(text, ENV) == expected


def test_words_split_after_substitution_but_not_inside_quotes() -> None:
    assert shellwords.words("$SPACED 8080", ENV) == ["80", "443", "8080"]
    assert shellwords.words('"$SPACED" x', ENV) == ["80 443", "x"]
    assert shellwords.words('a "" b', ENV) == ["a", "", "b"]
    assert shellwords.words("${MISSING:-a b}", ENV) == ["a", "b"]  # unquoted: split, as docker


def test_backtick_is_the_escape_when_the_directive_says_so() -> None:
    assert shellwords.word("`$A", ENV, escape="`") == "$A"
    assert shellwords.word(r"C:\dir", ENV, escape="`") == r"C:\dir"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING:?is required}", "MISSING: is required"),
        ("${EMPTY:?must be set}", "EMPTY: must be set"),
        ("${A", "missing '}'"),
        ("${}", "missing variable name"),
        ("${A%x}", "unsupported modifier"),
        ("'open", "matching single-quote"),
        ('"open', "matching double-quote"),
    ],
)
def test_errors_are_one_line(text: str, message: str) -> None:
    with pytest.raises(SubstitutionError, match=message):
        shellwords.word(text, ENV)


def test_used_names() -> None:
    assert shellwords.used_names("$A ${B:-$C} '$D' \\$E") == {"A", "B", "C"}
