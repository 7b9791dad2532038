"""The CLI's one line for an engine that does not answer, told apart by the error's class."""

from __future__ import annotations

from dockyard.api import errors
from dockyard.cli import client

ADDRESS = "unix:///run/dockyard/dockyard.sock"


def test_an_unreachable_engine_is_named_as_such() -> None:
    line = client.message(errors.Unreachable("connection refused"), ADDRESS)
    assert line == (
        f"Cannot connect to the Dockyard daemon at {ADDRESS}. Is the dockyard daemon running?"
    )


def test_a_service_behind_the_engine_is_the_daemons_error_even_in_the_same_words() -> None:
    relayed = errors.Unavailable("cannot reach dockyardd at unix:///elsewhere: refused")
    assert client.message(relayed, ADDRESS) == f"Error response from daemon: {relayed}"
