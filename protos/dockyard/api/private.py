"""Engine state is root's alone: container configs hold secrets (environments, auth).

    private.secure(paths, "engine")   # at each service's start-up, and again once it is set up

The root dir and each service's data and runtime dirs are 0700 (docker keeps /var/lib/docker
0710), the state dir 0711 (a socket in it is reached by path; the sockets are 0660), and each
SQLite database a service keeps at the top of its data dir 0600 with its -wal and -shm files:
SQLite gives those the database's own mode when it makes them, and an earlier version of the
engine left them 0644. What this finds wrong it puts right and names, for the service's log.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dockyard.api.paths import Paths

DIRECTORY = 0o700
STATE = 0o711
DATABASE = 0o600
DATABASE_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal")


def secure(paths: Paths, service: str) -> list[str]:
    """Make `service`'s part of the engine private; what was not, as "path: 0755 → 0700"."""
    fixed = []
    wanted = [
        (paths.root, DIRECTORY),
        (paths.data(service), DIRECTORY),
        (paths.state, STATE),
        (paths.run(service), DIRECTORY),
    ]
    data = paths.data(service)
    if data.is_dir():
        wanted += [(p, DATABASE) for p in sorted(data.iterdir()) if _is_database(p)]
    for path, mode in wanted:
        change = _restrict(path, mode)
        if change:
            fixed.append(change)
    return fixed


def _is_database(path: Path) -> bool:
    return path.name.endswith(DATABASE_SUFFIXES) and path.is_file() and not path.is_symlink()


def _restrict(path: Path, mode: int) -> str:
    try:
        current = stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        return ""
    if current == mode:
        return ""
    os.chmod(path, mode)
    return f"{path}: {current:04o} → {mode:04o}"
