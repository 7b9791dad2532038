"""The build context the CLI sends: a directory as a tar (what .dockerignore leaves out is
never read), a tar or a Dockerfile read from stdin (`-`), and the Dockerfile given with -f.

As docker's CLI: a Dockerfile outside the context directory (or `-f -`) is added to the tar
under a name of its own, the Dockerfile and .dockerignore are always sent (the engine keeps
them from COPY when ignored), symlinks are sent as symlinks, and file owners are not sent.
"""

from __future__ import annotations

import io
import os
import secrets
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dockyard.api import dockerignore

SPOOL_BYTES = 16 << 20
DOCKERIGNORE = ".dockerignore"


class ContextError(Exception):
    """The context or the Dockerfile cannot be read (one line for the user)."""


@dataclass
class Prepared:
    stream: IO[bytes]  # the tar (or a lone Dockerfile) to send
    dockerfile: str  # its path inside the context
    size: int


def prepare(context: str, dockerfile: str) -> Prepared:
    """The context to send for `build CONTEXT` with `-f dockerfile` ("" = CONTEXT/Dockerfile)."""
    if context == "-":
        if dockerfile == "-":
            raise ContextError(
                "invalid argument: can't use stdin for both build context and dockerfile"
            )
        data = sys.stdin.buffer.read()
        return Prepared(io.BytesIO(data), dockerfile or "Dockerfile", len(data))
    root = Path(context)
    if not root.is_dir():
        raise ContextError(f'unable to prepare context: path "{context}" not found')
    extra, name = _dockerfile(root, dockerfile)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_tree(tar, root, _matcher(root), keep={name, DOCKERIGNORE})
        if extra is not None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(extra), 0o644
            tar.addfile(info, io.BytesIO(extra))
        end = tar.offset + 2 * tarfile.BLOCKSIZE
    spool.truncate(end)  # the two zero blocks alone, as Go's archive/tar ends a tar; Python's
    spool.seek(0)  # pads it to a 10 KiB record, which the "Sending build context" size showed
    return Prepared(spool, name, end)


def _dockerfile(root: Path, given: str) -> tuple[bytes | None, str]:
    """(the Dockerfile's bytes when they must be added to the tar, its name in the context)."""
    if given == "-":
        return sys.stdin.buffer.read(), f".dockerfile.{secrets.token_hex(6)}"
    path = Path(given) if given else root / "Dockerfile"
    if not path.is_file():
        shown = given or str(root / "Dockerfile")
        raise ContextError(
            f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {shown}: no such file or directory"
        )
    try:
        inside = path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.read_bytes(), f".dockerfile.{secrets.token_hex(6)}"
    return None, inside.as_posix()


def _matcher(root: Path) -> dockerignore.Matcher:
    try:
        text = (root / ".dockerignore").read_text(errors="replace")
    except OSError:
        text = ""
    return dockerignore.Matcher(dockerignore.read(text))


def _add_tree(
    tar: tarfile.TarFile, root: Path, matcher: dockerignore.Matcher, keep: set[str]
) -> None:
    """Everything below `root` that is not ignored, parents first, names sorted."""
    stack = [""]
    while stack:
        prefix = stack.pop()
        try:
            entries = sorted(os.scandir(root / prefix), key=lambda e: e.name, reverse=True)
        except OSError as err:
            raise ContextError(
                f"error checking context: {err.strerror.lower() if err.strerror else err}"
            ) from None
        for entry in entries:
            relative = f"{prefix}{entry.name}"
            is_dir = entry.is_dir(follow_symlinks=False)
            ignored = relative not in keep and matcher.ignored(relative)
            if ignored and not (is_dir and matcher.may_reinclude(relative)):
                continue
            if not ignored:
                _add(tar, entry.path, relative)
            if is_dir:
                stack.append(relative + "/")


def _add(tar: tarfile.TarFile, path: str, name: str) -> None:
    try:
        info = tar.gettarinfo(path, arcname=name)
    except OSError as err:
        raise ContextError(f"error checking context: can't stat '{path}'") from err
    if info is None:
        return  # a socket
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = int(info.mtime)  # whole seconds, as docker's archive: no PAX header for it
    if info.isreg():
        try:
            with open(path, "rb") as data:
                tar.addfile(info, data)
        except OSError as err:
            raise ContextError(
                f"error checking context: can't read '{path}': {(err.strerror or '').lower()}"
            ) from None
    elif info.isdir() or info.issym():
        tar.addfile(info)  # devices and FIFOs are left out: nothing to build with
