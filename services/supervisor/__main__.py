"""`python -m dockyard.services.supervisor --root R --state S [--config C] [--debug]`.

Runs in the foreground until SIGTERM; `dockyard daemon start` runs it detached.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from dockyard.api.paths import Paths
from dockyard.services.supervisor.supervisor import Supervisor, lock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="dockyard-supervisor", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--root", help="persistent data dir (env DOCKYARD_ROOT)")
    parser.add_argument("--state", help="runtime state dir (env DOCKYARD_STATE)")
    parser.add_argument("--config", help="daemon.json (env DOCKYARD_CONFIG)")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s supervisor[%(process)d]: %(message)s",
        stream=sys.stderr,
    )
    paths = Paths.from_env(args.root, args.state)
    extra = (["--config", os.path.abspath(args.config)] if args.config else []) + (
        ["--debug"] if args.debug else []
    )
    lock_fd = lock(paths)
    try:
        Supervisor(paths, extra).run()
    finally:
        os.close(lock_fd)


if __name__ == "__main__":
    main()
