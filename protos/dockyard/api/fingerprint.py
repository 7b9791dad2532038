"""Whether code loaded into a long-lived process has changed on disk since it was loaded.

A process that forks children from modules it imported once (the CLI's command server, the
supervisor forking services) must not hand stale code to a new child after an upgrade or a
developer's edit. `Fingerprint.of_loaded()` records each loaded module file's mtime and size,
outside the system's own standard library; `changed()` stats them again (a few hundred stats,
well under a millisecond) and names the first that differs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass
class Fingerprint:
    files: dict[str, tuple[int, int]]  # path -> (mtime_ns, size)

    @classmethod
    def of_loaded(cls) -> Fingerprint:
        system = (os.path.realpath(sys.base_prefix) + os.sep, sys.base_prefix + os.sep)
        files = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and not path.startswith(system):
                stamp = _stamp(path)
                if stamp:
                    files[path] = stamp
        return cls(files)

    def changed(self) -> str:
        for path, stamp in self.files.items():
            if _stamp(path) != stamp:
                return path
        return ""


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size
