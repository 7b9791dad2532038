"""The boundaries of docs/architecture.md hold: import-linter contracts in pyproject.toml.

import-linter walks a package's directory, and `dockyard` is assembled from four trees
(setup.py), so the test lays the installed layout out in a temporary directory first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = {"": "protos/dockyard", "services": "services", "shim": "shim", "cli": "cli"}


def _layout(target: Path) -> None:
    for sub, tree in TREES.items():
        shutil.copytree(
            ROOT / tree,
            target / "dockyard" / sub,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.proto", "*.pyi"),
        )


def test_import_contracts_hold(tmp_path: Path) -> None:
    _layout(tmp_path)
    lint = Path(sys.executable).with_name("lint-imports")
    env = os.environ | {"PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
