"""`cp`: files between a container and the host, with docker's CLI semantics (docker/cli
cp.go and moby pkg/archive/copy.go): what a trailing "/" or "/." means, a destination that is an
existing directory, a file or missing, `-L`, `-a`, and `-` for a tar on stdin or stdout.

    from   stat (and follow, with -L) → the engine's archive of the path → renamed to the
           destination's name where needed → extracted below the destination's directory
    to     the local path as a tar (renamed likewise) → the engine extracts it into the
           container's directory (as root's files unless -a keeps the tar's owners)

The command is here; the copying (`copytransfer.py`, which imports tarfile and asyncio) is
imported when it runs, so that other commands do not pay for it.
"""

from __future__ import annotations

import sys

import typer
from dockyard.cli.engine import call, die


def cp(
    source: str = typer.Argument(..., metavar="SRC_PATH|CONTAINER:SRC_PATH"),
    destination: str = typer.Argument(..., metavar="DEST_PATH|CONTAINER:DEST_PATH"),
    archive: bool = typer.Option(False, "-a", "--archive", help="keep uid/gid information"),
    follow_link: bool = typer.Option(False, "-L", "--follow-link", help="follow a symlink SRC"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="no progress output"),
) -> None:
    """Copy files between a container and the host ("-" is a tar on stdin or stdout)."""
    src_container, src_path = split_arg(source)
    dst_container, dst_path = split_arg(destination)
    if src_container and dst_container:
        die("copying between containers is not supported")
    if not src_container and not dst_container:
        die("must specify at least one container source")
    from dockyard.cli.copytransfer import copy_from, copy_to

    if src_container:
        size = call(
            "cp", lambda s: copy_from(s, src_container, src_path, dst_path, follow_link, archive)
        )
        done_to = destination
    else:
        size = call(
            "cp", lambda s: copy_to(s, dst_container, src_path, dst_path, follow_link, archive)
        )
        done_to = destination
    if not quiet and sys.stderr.isatty() and (src_path != "-" and dst_path != "-"):
        from dockyard.cli import render

        sys.stderr.write(f"Successfully copied {render.human_size(size)} to {done_to}\n")


def split_arg(arg: str) -> tuple[str, str]:
    """docker's splitCpArg: "CONTAINER:PATH", or a local path (absolute, "./x:y", no colon)."""
    if arg.startswith("/"):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep or container.startswith("."):
        return "", arg
    return container, path


def register(app: typer.Typer, group: typer.Typer) -> None:
    app.command()(cp)
    group.command()(cp)
