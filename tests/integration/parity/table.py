"""How a docker-vs-dockyard case is written, run and compared (the cases are in `cases.py`).

A case is one command line after `docker`/`dockyard`, the commands that set the scene before it,
and docker 20.10's output for it, recorded once from a real dockerd (`record.py`) and written
into the table. CI runs only the dockyard side and compares:

    exit code     equal
    stdout        equal after normalising (IDs, "docker" → "dockyard")
    stderr        equal after normalising; only the first `lines` lines when set (docker's
                  usage blurbs say what a verb does in other words than dockyard's help)

Both sides import the same offline busybox rootfs as `busybox:latest` (tests/support/rootfs.py).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

Runner = Callable[..., subprocess.CompletedProcess[str]]

_ID = re.compile(r"\b[0-9a-f]{64}\b")
_DOCKER = re.compile(r"\bdocker\b")


@dataclass(frozen=True)
class Out:
    """What a command did: its exit code, stdout and stderr."""

    rc: int
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    docker: Out  # docker 20.10's, recorded
    setup: tuple[tuple[str, ...], ...] = ()
    stdin: str | None = None
    lines: int | None = None  # compare only this many lines of stderr
    remove: tuple[str, ...] = field(default=())  # containers to remove afterwards
    networks: tuple[str, ...] = field(default=())  # networks to remove afterwards (if left)
    images: tuple[str, ...] = field(default=())  # image names to remove afterwards (if left)
    volumes: tuple[str, ...] = field(default=())  # volumes to remove afterwards (if left)

    def containers(self) -> tuple[str, ...]:
        """Every container the case names with --name, and those it says to remove."""
        found = [
            argv[i + 1]
            for argv in (*self.setup, self.argv)
            for i, a in enumerate(argv[:-1])
            if a == "--name"
        ]
        return (*found, *self.remove)


def normalise(text: str, docker: bool = False) -> str:
    text = _ID.sub("<ID>", text)
    return _DOCKER.sub("dockyard", text) if docker else text


def play(case: Case, run: Runner) -> Out:
    """Run `case` with `run(*argv, input=…)` (docker's CLI or dockyard's); clean up after."""
    try:
        for argv in case.setup:
            done = run(*argv)
            assert done.returncode == 0, f"setup {argv}: {done.stderr}"
        result = run(*case.argv, input=case.stdin)
        return Out(result.returncode, result.stdout, result.stderr)
    finally:
        if case.containers():
            run("rm", "-f", *case.containers())
        if case.networks:
            run("network", "rm", *case.networks)
        if case.images:
            run("rmi", *case.images)
        if case.volumes:
            run("volume", "rm", *case.volumes)


def expected(case: Case) -> Out:
    """docker's recording, in dockyard's words."""
    return _cut(
        Out(
            case.docker.rc,
            normalise(case.docker.stdout, docker=True),
            normalise(case.docker.stderr, docker=True),
        ),
        case.lines,
    )


def actual(case: Case, out: Out) -> Out:
    return _cut(Out(out.rc, normalise(out.stdout), normalise(out.stderr)), case.lines)


def _cut(out: Out, lines: int | None) -> Out:
    if lines is None:
        return out
    return Out(out.rc, out.stdout, "".join(out.stderr.splitlines(True)[:lines]))
