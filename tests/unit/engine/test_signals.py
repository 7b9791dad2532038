from __future__ import annotations

import signal

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.signals import parse


@pytest.mark.parametrize(
    "text,number",
    [
        ("", signal.SIGKILL),
        ("9", 9),
        ("TERM", signal.SIGTERM),
        ("sigusr1", signal.SIGUSR1),
        ("RTMIN+3", signal.SIGRTMIN + 3),
        ("SIGRTMAX-1", signal.SIGRTMAX - 1),
    ],
)
def test_dockers_signal_names(text: str, number: int) -> None:
    assert parse(text) == number


@pytest.mark.parametrize("text", ["SIGNOPE", "99", "0", "RTMIN+99", "RTMAX-x"])
def test_unknown_signals(text: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid signal"):
        parse(text)
