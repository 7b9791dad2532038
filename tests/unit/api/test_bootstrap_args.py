"""A service's command line: the supervisor's plain form read without argparse, and read
exactly as argparse reads it; every other form left to argparse."""

from __future__ import annotations

import pytest
from dockyard.api import bootstrap

PLAIN = [
    ["--root", "/r", "--state", "/s"],
    ["--state", "/s", "--root", "/r", "--config", "/etc/d.json", "--debug"],
    ["--debug", "--root", "/r"],
    [],
]
OTHERS = [
    ["--root=/r", "--state", "/s"],  # argparse's own form
    ["--root", "/r", "--root", "/r2"],  # twice
    ["--root"],  # no value
    ["--root", "--state"],  # a flag for a value
    ["--debug", "--debug"],
    ["--help"],
    ["--colour", "red"],
    ["/r"],
]


@pytest.mark.parametrize("argv", PLAIN)
def test_the_plain_form_reads_as_argparse_reads_it(argv: list[str]) -> None:
    assert bootstrap._plain(argv) == bootstrap._parser("images").parse_args(argv)


@pytest.mark.parametrize("argv", OTHERS)
def test_every_other_form_is_argparses(argv: list[str]) -> None:
    assert bootstrap._plain(argv) is None


def test_argparse_still_answers_help_and_typos(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as helped:
        bootstrap.parse_args("images", ["--help"])
    assert helped.value.code == 0 and "usage: dockyard-images" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        bootstrap.parse_args("images", ["--colour", "red"])
    assert refused.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
    options = bootstrap.parse_args("images", ["--root=/r", "--state", "/s"])
    assert (str(options.paths.root), str(options.paths.state)) == ("/r", "/s")
