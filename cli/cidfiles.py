"""--cidfile: the file docker's CLI writes a new container's ID to.

The file is claimed (made, empty, O_EXCL) before the container is asked for, so two runs
never share one, and one that is already there refuses the run as docker's does; once the
container exists its ID is written; when none was made the claimed file goes again.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

from dockyard.cli.usage import Refused


def claim(path: str) -> str:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise Refused(
            f"container ID file found, make sure the other container isn't running or delete {path}"
        ) from None
    except OSError as err:
        raise Refused(f"failed to create the container ID file: {err}") from None
    os.close(fd)
    return path


@contextlib.contextmanager
def writer(path: str) -> Iterator[Callable[[str], None]]:
    """`write(container_id)` for the block; the claimed file is removed if nothing was."""
    written = False

    def write(container_id: str) -> None:
        nonlocal written
        if path and not written:
            with open(path, "w") as out:
                out.write(container_id)
            written = True

    try:
        yield write
    finally:
        if path and not written:
            with contextlib.suppress(OSError):
                os.unlink(path)
