"""The `dockyard` command: docker's verbs over the engine's gRPC API.

Start-up is a headline figure, so this module imports only typer; each command imports gRPC,
the generated stubs and its helpers when it runs (see `engine.py`).
"""

from __future__ import annotations

import os
import sys

import typer
import typer.main
from dockyard.cli import build as builds
from dockyard.cli import containers, daemon, images, networks, system, volumes
from dockyard.cli.state import STATE

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="A container engine, docker's verbs on Dockyard's services.",
    context_settings={"help_option_names": ["--help"]},
)


@app.callback()
def _global(
    host: str = typer.Option(None, "-H", "--host", help="engine socket (env DOCKYARD_HOST)"),
) -> None:
    STATE.host = host or os.environ.get("DOCKYARD_HOST") or STATE.host


REGISTRARS = (
    containers.register,
    images.register,
    system.register,
    networks.register,
    volumes.register,
    builds.register,
)


class _Only:
    """Stands in for the app while registering: keeps only the command `verb` names.

    Typer builds a click command for every registered function when it starts (~100 ms for
    all of docker's verbs); a command line names one, so only that one is built."""

    def __init__(self, target: typer.Typer, verb: str) -> None:
        self.target, self.verb, self.found = target, verb, False

    def command(self, name: str | None = None, **settings: object) -> object:
        def register(function: object) -> object:
            if (name or getattr(function, "__name__", "").replace("_", "-")) == self.verb:
                self.target.command(name, **settings)(function)  # type: ignore[arg-type,type-var]
                self.found = True
            return function

        return register

    def add_typer(self, group: typer.Typer, name: str) -> None:
        if name == self.verb:
            self.target.add_typer(group, name=name)
            self.found = True


def _verb(args: list[str]) -> str:
    """The first word that is not a global option (-H/--host take a value)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-H", "--host"):
            skip = True
        elif not arg.startswith("-"):
            return arg
    return ""


BUILT: list[object] = []  # the whole click command, when built ahead (`prebuild`)


def prebuild() -> None:
    """Register and build every command now, once (the command server, before it forks): its
    children then build none (typer's build of one command reads its signature's annotations:
    ~2-3 ms of each command's child)."""
    build([])
    BUILT.append(typer.main.get_command(app))


def build(args: list[str]) -> None:
    only = _Only(app, _verb(args))
    if only.verb:
        for register in REGISTRARS:
            register(only)  # type: ignore[arg-type]
        only.add_typer(daemon.app, name="daemon")
    if not only.found:  # no verb, or one we do not know: everything, for help and errors
        for register in REGISTRARS:
            register(app)
        app.add_typer(daemon.app, name="daemon")


def main() -> None:
    from dockyard.cli import usage

    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    if not BUILT:
        build(sys.argv[1:])
    try:
        usage.run(BUILT[0] if BUILT else app)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
