"""lazy.module: the import happens at the first attribute read, not before (fresh interpreters:
what a process has imported is decided once per process)."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_nothing_is_imported_until_a_name_is_read() -> None:
    code = (
        "import sys\n"
        "from dockyard.api import lazy\n"
        "tar = lazy.module('tarfile')\n"
        "print('tarfile' in sys.modules, end=' ')\n"
        "import tarfile\n"
        "print(tar.TarFile is tarfile.TarFile, 'tarfile' in sys.modules)"
    )
    assert run(code) == "False True True"


def test_a_missing_name_or_module_fails_as_an_import_would() -> None:
    code = (
        "from dockyard.api import lazy\n"
        "try:\n    lazy.module('tarfile').NoSuchName\nexcept AttributeError:\n    print('attr')\n"
        "try:\n    lazy.module('no_such_module_here').x\nexcept ImportError:\n    print('import')"
    )
    assert run(code).split() == ["attr", "import"]
