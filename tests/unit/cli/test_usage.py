"""Command-line mistakes in docker's words and exit codes (issue 15 item 4), over a small app
shaped like dockyard's: 125 for a flag, 1 for arguments and unknown commands, never click's 2."""

# ruff: noqa: B008 - typer reads options from argument defaults
from __future__ import annotations

import pytest
import typer
from dockyard.cli import usage

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None)
group = typer.Typer(help="Manage things", no_args_is_help=True)


@app.command()
def logs(container: str, last: int = typer.Option(0, "-n", "--last", help="lines")) -> None:
    """Fetch the logs of a container."""


@app.command()
def run(
    image: str = typer.Argument(..., metavar="IMAGE"),
    command: list[str] = typer.Argument(None, metavar="[COMMAND] [ARG...]"),
    name: str = typer.Option("", "--name"),
    cpus: float = typer.Option(0.0, "--cpus"),
    detach: bool = typer.Option(False, "-d"),
) -> None:
    """Run a command in a new container."""


@group.command("ls")
def ls() -> None:
    """List things."""


app.add_typer(group, name="thing")


def outcome(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["dockyard", *argv])
    with pytest.raises(SystemExit) as exited:
        usage.run(app)
    return int(exited.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    "argv,code,text",
    [
        (["run", "--bogus", "img"], 125, "unknown flag: --bogus\nSee 'dockyard run --help'.\n"),
        (
            ["logs", "-z", "c"],
            125,
            "unknown shorthand flag: 'z' in -z\nSee 'dockyard logs --help'.\n",
        ),
        (
            ["run", "-d", "--name"],
            125,
            "flag needs an argument: --name\nSee 'dockyard run --help'.\n",
        ),
        (["logs", "c", "-n"], 125, "flag needs an argument: 'n' in -n\n"),
        (
            ["logs", "-n", "x", "c"],
            125,
            'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid '
            "syntax\nSee 'dockyard logs --help'.\n",
        ),
        (["run", "--cpus", "x", "i"], 125, 'for "--cpus" flag: failed to parse x as a rational'),
        (
            ["logs"],
            1,
            "\"dockyard logs\" requires exactly 1 argument.\nSee 'dockyard logs --help'.\n\n"
            "Usage:  dockyard logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n",
        ),
        (["logs", "a", "b"], 1, '"dockyard logs" requires exactly 1 argument.\n'),
        (["run"], 1, '"dockyard run" requires at least 1 argument.\n'),
        (["frob"], 1, "dockyard: 'frob' is not a dockyard command.\nSee 'dockyard --help'\n"),
        (["thing", "frob"], 1, "\nUsage:  dockyard thing COMMAND\n\nManage things\n\nCommands:"),
        (["thing"], 0, "  ls          List things\n"),
    ],
)
def test_usage_errors_as_docker_words_them(
    argv: list[str],
    code: int,
    text: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    got_code, got_text = outcome(argv, capsys, monkeypatch)
    assert got_code == code
    assert text in got_text


def test_a_command_that_works_exits_zero(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["dockyard", "logs", "c"])
    usage.run(app)  # no SystemExit: nothing went wrong
    assert capsys.readouterr().err == ""


def test_true_by_default_flags_take_pflags_false_and_true() -> None:
    args = ["run", "--sig-proxy=false", "--sig-proxy=TRUE", "img", "--", "--sig-proxy=false"]
    assert usage.bool_values(args) == [
        "run", "--no-sig-proxy", "--sig-proxy", "img", "--", "--sig-proxy=false"
    ]  # fmt: skip
    assert usage.bool_values(["run", "--name=false"]) == ["run", "--name=false"]
