"""Record docker 20.10's side of the parity table from a real dockerd.

    DOCKER_CLI=/usr/bin/docker DOCKER_HOST=unix:///…/docker.sock \
        python -m tests.integration.parity.record [--write] [NAME...]

Runs each case (or the named ones) with docker 20.10's client (DOCKER_CLI: Debian's docker.io
puts it at /usr/bin/docker; CI never runs this, so install.sh does not install it) against the
engine DOCKER_HOST names, which must hold busybox:latest imported from tests/support/rootfs.py,
and prints each case's `docker=Out(...)`, marking those that differ from the table; `--write`
writes them into `cases.py` (then run `ruff format` on it). Never run it against an engine you
care about: the cases create and remove containers and networks of fixed names.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.integration.parity.cases import CASES
from tests.integration.parity.table import Case, Out, play


def docker(*argv: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [os.environ["DOCKER_CLI"], *argv],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=None if input is not None else subprocess.DEVNULL,
    )


def literal(out: Out) -> str:
    parts = [str(out.rc)]
    if out.stdout:
        parts.append(f"stdout={out.stdout!r}")
    if out.stderr:
        parts.append(f"stderr={out.stderr!r}")
    return f"docker=Out({', '.join(parts)}),"


def main(args: list[str]) -> int:
    if "DOCKER_HOST" not in os.environ or "DOCKER_CLI" not in os.environ:
        sys.exit("DOCKER_CLI must name docker 20.10's client, DOCKER_HOST its dockerd's socket")
    write = "--write" in args
    names = [a for a in args if a != "--write"]
    cases: list[Case] = [c for c in CASES if not names or c.name in names]
    recorded: dict[str, Out] = {}
    for case in cases:
        out = play(case, docker)
        mark = "" if out == case.docker else "   # CHANGED"
        if mark:
            recorded[case.name] = out
        print(f"{case.name}:\n    {literal(out)}{mark}")
    print(f"{len(cases)} cases, {len(recorded)} differ from the table", file=sys.stderr)
    if write and recorded:
        rewrite(Path(__file__).with_name("cases.py"), recorded)
    return 1 if recorded and not write else 0


def rewrite(path: Path, recorded: dict[str, Out]) -> None:
    """Put each recorded Out in place of the `docker=` of its case in `path`."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Case"):
            continue
        name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else ""
        keyword = next((k for k in node.keywords if k.arg == "docker"), None)
        if name in recorded and keyword is not None:
            value = keyword.value
            begin = starts[value.lineno - 1] + value.col_offset
            end = starts[(value.end_lineno or value.lineno) - 1] + (value.end_col_offset or 0)
            edits.append((begin, end, literal(recorded[name])[len("docker=") : -1]))
    for begin, end, text in sorted(edits, reverse=True):
        source = source[:begin] + text + source[end:]
    path.write_text(source)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
