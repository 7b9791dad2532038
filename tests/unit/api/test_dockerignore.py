"""`.dockerignore` matching as docker's patternmatcher does it."""

from __future__ import annotations

import pytest
from dockyard.api.dockerignore import Matcher, read


def matcher(text: str) -> Matcher:
    return Matcher(read(text))


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        ("*.log", "a.log", True),
        ("*.log", "dir/a.log", False),
        ("*/*.log", "dir/a.log", True),
        ("**/*.log", "dir/sub/a.log", True),
        ("**/*.log", "a.log", True),
        ("build", "build/x/y", True),
        ("build/", "build/x", True),
        ("/build", "build", True),
        ("./a/../b", "b", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[a-c]x", "bx", True),
        ("[!a-c]x", "dx", True),
        ("[!a-c]x", "ax", False),
        ("\\*", "*", True),
        ("\\*", "x", False),
        ("docs/**", "docs/a/b", True),
        ("# comment\n\n", "# comment", False),
        ("*\n!keep", "keep", False),
        ("*\n!keep", "other", True),
        ("*.md\n!README.md\nREADME.md", "README.md", True),
        ("dir\n!dir/keep", "dir/keep", False),
        ("dir\n!dir/keep", "dir/other", True),
        ("**", "anything/at/all", True),
    ],
)
def test_matching(patterns: str, path: str, ignored: bool) -> None:
    assert matcher(patterns).ignored(path) is ignored


def test_walking_into_an_ignored_directory_only_for_an_exclusion_below_it() -> None:
    m = matcher("dir\n!dir/keep\nother")
    assert m.may_reinclude("dir")
    assert not m.may_reinclude("other")
