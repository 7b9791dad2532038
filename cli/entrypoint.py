"""Writes the `dockyard` command: the C client built for this installation, or a `python -IS` script.

    python -m dockyard.cli.entrypoint PATH           (deploy/install.sh: PATH = .venv/bin/dockyard)
    python -m dockyard.cli.entrypoint --script PATH  the script, even where a compiler is

With a C compiler (`$CC`, else `gcc`), PATH is `launcher.c` compiled with this installation's
paths built in: the venv's python (as called, a symlink, so that it runs in the venv) and the
real path of launcher.py (what the server's stale check compares). It starts and ends in
~1 ms where the script takes ~9 ms. Without one (or if it does not build) PATH is the script:
pip's console script for `dockyard` runs the same launcher, but through `site` (every .pth
file, the editable install's finder: +10-40 ms), and pip drops the flags of a `#!python -IS`
shebang, so the script is written over it. Linux passes the rest of a shebang line as one
argument: `-IS` must stay one word.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

TEMPLATE = '''#!{python} -IS
"""`dockyard`: hands the command to the engine's command server, or runs it (launcher.py)."""
import sys

sys.path.insert(0, {directory!r})
from launcher import main

del sys.path[0]
main()
'''
CFLAGS = ("-O2", "-Wall", "-Wextra")
# static first: no dynamic loader at each start (~0.25 ms); linked dynamically without libc.a
LINKS: tuple[tuple[str, ...], ...] = (("-static",), ())


def launcher_path() -> str:
    from dockyard.cli import launcher

    return os.path.realpath(launcher.__file__)


def script(python: str) -> str:
    return TEMPLATE.format(python=python, directory=os.path.dirname(launcher_path()))


def write(path: Path, python: str) -> None:
    """PATH as the `python -IS` script."""
    _replace(path, lambda temporary: temporary.write_text(script(python)))


def compiler() -> list[str] | None:
    """The C compiler's command line, or None when there is none."""
    if os.environ.get("CC"):
        return shlex.split(os.environ["CC"])
    found = shutil.which("gcc")
    return [found] if found else None


def build(path: Path, python: str, launcher: str = "", flags: tuple[str, ...] = ()) -> None:
    """PATH as the C client; `launcher` is the launcher.py it says it belongs to (ours by
    default). CalledProcessError (with the compiler's output) or OSError when it cannot."""
    cc = compiler()
    if cc is None:
        raise FileNotFoundError("no C compiler (gcc, or $CC)")
    launcher = launcher or launcher_path()
    source = Path(launcher_path()).with_suffix(".c")
    defines = {
        "DOCKYARD_PYTHON": python,
        "DOCKYARD_LAUNCHER": launcher,
        "DOCKYARD_LAUNCHER_DIR": os.path.dirname(launcher),
    }

    options = [*CFLAGS, *flags, *(f"-D{k}={c_string(v)}" for k, v in defines.items())]
    for link in LINKS:
        try:
            _replace(path, functools.partial(_compile, [*cc, *options, *link], source))
            return
        except subprocess.CalledProcessError:
            if not link:
                raise


def _compile(command: list[str], source: Path, output: Path) -> None:
    subprocess.run(
        [*command, "-o", str(output), str(source)], check=True, capture_output=True, text=True
    )


def c_string(value: str) -> str:
    """A C string literal of `value`'s bytes (a path may hold any byte but NUL)."""
    escaped = "".join(
        chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\?' else f"\\{b:03o}"
        for b in os.fsencode(value)
    )
    return f'"{escaped}"'


def _replace(path: Path, make: Callable[[Path], object]) -> None:
    temporary = path.with_name(f".{path.name}.new")
    try:
        make(temporary)
        temporary.chmod(0o755)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def main() -> None:
    args = sys.argv[1:]
    only_script = args[:1] == ["--script"]
    if only_script:
        args = args[1:]
    if len(args) != 1:
        sys.exit("usage: python -m dockyard.cli.entrypoint [--script] PATH")
    path = Path(args[0])
    if not only_script and compiler() is not None:
        try:
            build(path, sys.executable)
            return
        except subprocess.CalledProcessError as err:
            print(f"entrypoint: launcher.c did not build:\n{err.stderr}", file=sys.stderr)
        except OSError as err:
            print(f"entrypoint: launcher.c did not build: {err}", file=sys.stderr)
        print("entrypoint: `dockyard` is the python -IS script instead", file=sys.stderr)
    write(path, sys.executable)


if __name__ == "__main__":
    main()
