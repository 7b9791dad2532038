"""The `dockyard` command: docker's verbs over the engine's gRPC API.

Start-up is a headline figure, so this module imports only typer; each command imports gRPC,
the generated stubs and its helpers when it runs (see `engine.py`).
"""

from __future__ import annotations

import os
import sys

import typer
from dockyard.cli import containers, daemon, images, networks, system
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


containers.register(app)
images.register(app)
system.register(app)
networks.register(app)
app.add_typer(daemon.app, name="daemon")


def main() -> None:
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
