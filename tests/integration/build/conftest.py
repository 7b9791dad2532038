"""Build tests: a context directory per test, builds through the CLI, and the build's own leak
check (no snapshot a build made outlives it)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import Engine


class Context:
    """A build context on disk, and builds of it on the test's engine."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self.engine = engine
        self.path = path

    def write(self, name: str, text: str, mode: int = 0o644) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)
        return target

    def dockerfile(self, text: str) -> None:
        self.write("Dockerfile", text)

    def build(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return self.engine.cli("build", *args, str(self.path), **kwargs)  # type: ignore[arg-type]

    def ok(self, *args: str) -> str:
        result = self.build(*args)
        assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
        return result.stdout


def build_snapshots(engine: Engine) -> list[str]:
    """Snapshots a build made that are still there (active, named build-...)."""
    with sqlite3.connect(engine.root / "snapshots" / "metadata.db") as db:
        rows = db.execute("SELECT key FROM snapshots WHERE kind != 'committed'").fetchall()
    return [key for (key,) in rows if key.startswith("build-")]


@pytest.fixture
def context(engine: Engine, tmp_path: Path) -> Iterator[Context]:
    yield Context(engine, tmp_path / "context")
    assert not build_snapshots(engine), "a build left snapshots behind"
    jobs = engine.root / "engine" / "build" / "jobs"
    assert not (jobs.exists() and any(jobs.iterdir())), "a build left its files behind"


@pytest.fixture(autouse=True)
def _context_dir(tmp_path: Path) -> None:
    (tmp_path / "context").mkdir()
