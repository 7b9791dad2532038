from __future__ import annotations

import pytest
from dockyard.services.snapshots.extract import Escape, split


@pytest.mark.parametrize(
    "name,parts",
    [
        ("a/b/c", ["a", "b", "c"]),
        ("./a//b/", ["a", "b"]),
        ("/etc/passwd", ["etc", "passwd"]),
        ("a/../b", ["b"]),
        ("./", []),
    ],
)
def test_names_are_relative_to_the_root(name: str, parts: list[str]) -> None:
    assert split(name) == parts


@pytest.mark.parametrize("name", ["..", "../x", "a/../../x", "a/b/../../../etc"])
def test_climbing_out_is_an_escape(name: str) -> None:
    with pytest.raises(Escape, match="escapes the root"):
        split(name)
