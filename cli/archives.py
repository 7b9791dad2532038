"""Images and containers as tar files: save, load, import, export.

    save [-o FILE] IMAGE...     docker's archive (with the OCI layout beside it) to FILE/stdout
    load [-i FILE] [-q]         images from such a tar (or docker's older one, or an OCI
                                layout) read from FILE or stdin
    import FILE|- [REF]         a rootfs tarball as a one-layer image (--change: Dockerfile
                                instructions for its config, as `docker import -c`)
    export [-o FILE] CONTAINER  the container's filesystem as a tar

As docker's, save and export refuse to write a tar to a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import typer
from dockyard.cli.engine import Stubs, call, die

CHUNK = 1 << 20


def save(
    images: list[str] = typer.Argument(..., metavar="IMAGE..."),
    output: str = typer.Option("", "-o", "--output", help="write to a file, not stdout"),
) -> None:
    """Save images to a tar archive (stdout by default)."""
    from dockyard.images.v1 import images_pb2

    request = images_pb2.SaveRequest(refs=images)
    with _destination(output, "save") as out:

        async def work(stubs: Stubs) -> None:
            async for piece in stubs.images.Save(request, timeout=None):
                out.write(piece.data)

        call("save", work)


def load(
    input: str = typer.Option("", "-i", "--input", help="read from a tar file, not stdin"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="no progress output"),
) -> None:
    """Load images from a tar archive (stdin by default)."""
    from dockyard.images.v1 import images_pb2

    if not input and sys.stdin.isatty():
        die("requested load from stdin, but stdin is empty")
    source = _source(input)

    async def requests() -> AsyncIterator[Any]:
        while data := source.read(CHUNK):
            yield images_pb2.LoadRequest(chunk=data)

    async def work(stubs: Stubs) -> None:
        async for progress in stubs.images.Load(requests(), timeout=None):
            if progress.status and (not quiet or progress.status.startswith("Loaded")):
                print(progress.status, flush=True)

    call("load", work)


def import_(
    file: str = typer.Argument(..., metavar="file|-"),
    reference: str = typer.Argument("", metavar="[REPOSITORY[:TAG]]"),
    message: str = typer.Option("", "-m", "--message", help="commit message"),
    change: list[str] = typer.Option([], "-c", "--change", help="a Dockerfile instruction"),
) -> None:
    """Import a rootfs tarball as a one-layer image; print its ID."""
    from dockyard.images.v1 import images_pb2

    source = _source("" if file == "-" else file)
    header = images_pb2.ImportHeader(ref=reference, message=message, changes=change)

    async def chunks() -> AsyncIterator[Any]:
        yield images_pb2.ImportRequest(header=header)
        while data := source.read(CHUNK):
            yield images_pb2.ImportRequest(chunk=data)

    image = call("import", lambda stubs: stubs.images.Import(chunks(), timeout=None))
    print(image.id)


def export(
    container: str = typer.Argument(..., metavar="CONTAINER"),
    output: str = typer.Option("", "-o", "--output", help="write to a file, not stdout"),
) -> None:
    """Export a container's filesystem as a tar archive (stdout by default)."""
    from dockyard.engine.v1 import engine_pb2

    request = engine_pb2.ContainerRequest(id=container)
    with _destination(output, "export") as out:

        async def work(stubs: Stubs) -> None:
            async for piece in stubs.containers.Export(request, timeout=None):
                out.write(piece.data)

        call("export", work)


def _source(path: str) -> IO[bytes]:
    if not path:
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as err:
        die(f"open {path}: {(err.strerror or str(err)).lower()}")


class _destination:
    """The file a tar goes to: -o's (written aside, then renamed), or stdout if not a tty."""

    def __init__(self, output: str, verb: str) -> None:
        if not output and sys.stdout.isatty():
            die(f"cowardly refusing to {verb} to a terminal. Use the -o flag or redirect")
        self._output = output
        self._tmp = Path(f"{output}.{os.getpid()}.tmp") if output else None

    def __enter__(self) -> IO[bytes]:
        if self._tmp is None:
            return sys.stdout.buffer
        try:
            self._file: IO[bytes] = self._tmp.open("wb")
        except OSError as err:
            die(f"failed to save to {self._output}: {(err.strerror or str(err)).lower()}")
        return self._file

    def __exit__(self, kind: object, *rest: object) -> None:
        if self._tmp is None:
            sys.stdout.buffer.flush()
            return
        self._file.close()
        if kind is None:
            self._tmp.replace(self._output)
        else:
            self._tmp.unlink(missing_ok=True)


def register(app: typer.Typer, group: typer.Typer) -> None:
    for name, command in (("save", save), ("load", load), ("import", import_)):
        app.command(name)(command)
        group.command(name)(command)
    app.command("export")(export)
