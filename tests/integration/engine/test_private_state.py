"""Engine state is root's alone (issue 8, item 5): no other user reads a container's secrets.

An engine of its own, under a directory every user may traverse (the session engine lives in
pytest's 0700 temp dir, where nobody could look anyway). A container's environment holds a
secret; then a process as `nobody` (setpriv) walks the engine's root and state dirs and reads
every file it can: none may hold the secret, and the databases (with their -wal and -shm
files) and the runtime's bundle must not open at all. Loosened modes are put right when the
engine starts again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

NOBODY = ("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups")
PROBE = r"""
import json, os, sys
readable, listable = [], []
def read(path):
    try:
        with open(path, "rb") as f:
            readable.append([path, f.read(1 << 20).decode("latin-1")])
    except OSError:
        pass
for top in sys.argv[1:]:
    read(top)  # a file named outright: reachable by name through a directory we cannot list
    for where, dirs, files in os.walk(top, onerror=lambda err: None):
        listable.append(where)
        for name in files:
            read(os.path.join(where, name))
print(json.dumps({"readable": readable, "listable": listable}))
"""


@pytest.fixture
def own_engine(busybox_tar: Path) -> Iterator[Engine]:
    base = Path(tempfile.mkdtemp(prefix="dockyard-private-"))
    base.chmod(0o755)  # traversable by anyone: only the engine's own modes protect it
    engine = Engine.start(base)
    try:
        engine.ok("import", str(busybox_tar), "busybox:latest")
        yield engine
    finally:
        leaks = engine.shut_down()
        shutil.rmtree(base, ignore_errors=True)
        assert not leaks, f"the engine left behind: {leaks}"


def as_nobody(*tops: Path) -> dict[str, list]:  # type: ignore[type-arg]
    out = subprocess.run(
        [*NOBODY, "/usr/bin/python3", "-I", "-S", "-c", PROBE, *map(str, tops)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_nobody_reads_a_containers_secrets(own_engine: Engine) -> None:
    secret = secrets.token_hex(16)
    cid = own_engine.ok(
        "run", "-d", "-e", f"SECRET={secret}", "busybox:latest", "sleep", "600"
    ).strip()
    own_engine.ok("create", "-e", f"SECRET={secret}", "busybox:latest", "true")
    databases = sorted((own_engine.root / "engine").glob("containers.db*"))
    assert {p.name for p in databases} >= {"containers.db", "containers.db-wal"}
    bundle = own_engine.state / "runtime" / "tasks" / cid / "config.json"
    seen = as_nobody(own_engine.root, own_engine.state, *databases, bundle)
    leaked = [path for path, text in seen["readable"] if secret in text]
    assert leaked == [], f"nobody read the secret in {leaked}"
    readable = {path for path, _ in seen["readable"]}
    assert not readable & {str(p) for p in [*databases, bundle]}
    assert str(own_engine.root / "engine") not in seen["listable"]
    assert mode(own_engine.root) == 0o700
    assert all(mode(p) == 0o600 for p in databases), [(p, oct(mode(p))) for p in databases]


def test_loosened_modes_are_put_right_at_start_up(own_engine: Engine) -> None:
    own_engine.ok("create", "busybox:latest", "true")
    own_engine.stop()
    database = own_engine.root / "engine" / "containers.db"
    for path in (own_engine.root, own_engine.root / "engine"):
        path.chmod(0o755)
    database.chmod(0o644)
    own_engine.restart()
    assert mode(own_engine.root) == 0o700
    assert mode(own_engine.root / "engine") == 0o700
    assert mode(database) == 0o600
