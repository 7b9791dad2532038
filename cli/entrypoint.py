"""Writes the `dockyard` command as a `python -IS` script that runs the launcher.

    python -m dockyard.cli.entrypoint PATH      (deploy/install.sh: PATH = .venv/bin/dockyard)

pip's console script for `dockyard` runs the same launcher, but through `site` (every .pth
file, the editable install's finder: +10-40 ms). pip drops the flags of a `#!python -IS`
shebang, so the installer writes this script over it. Linux passes the rest of a shebang line
as one argument: `-IS` must stay one word.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TEMPLATE = '''#!{python} -IS
"""`dockyard`: hands the command to the engine's command server, or runs it (launcher.py)."""
import sys

sys.path.insert(0, {directory!r})
from launcher import main

del sys.path[0]
main()
'''


def script(python: str) -> str:
    from dockyard.cli import launcher

    directory = os.path.dirname(os.path.realpath(launcher.__file__))
    return TEMPLATE.format(python=python, directory=directory)


def write(path: Path, python: str) -> None:
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(script(python))
    temporary.chmod(0o755)
    temporary.replace(path)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python -m dockyard.cli.entrypoint PATH")
    # the venv's python as it was called (a symlink), so that the script runs in the venv
    write(Path(sys.argv[1]), sys.executable)


if __name__ == "__main__":
    main()
