"""The committed generated code is exactly what protos/generate.py makes from protos/."""

from __future__ import annotations

import filecmp
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


def _generated(tree: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(tree)): p
        for p in tree.rglob("*")
        if p.name.endswith(("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"))
    }


def test_regenerating_changes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools")
    spec = importlib.util.spec_from_file_location("generate", PROTOS / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = generate
    spec.loader.exec_module(generate)
    generate.generate(tmp_path)
    fresh, committed = _generated(tmp_path), _generated(PROTOS)
    assert sorted(fresh) == sorted(committed), "a .proto was added or removed without regenerating"
    drifted = [
        name
        for name, path in fresh.items()
        if not filecmp.cmp(path, committed[name], shallow=False)
    ]
    assert not drifted, f"regenerate with `make protos`: {drifted}"


def test_every_proto_package_matches_its_path() -> None:
    for proto in PROTOS.glob("dockyard/**/*.proto"):
        package = ".".join(proto.relative_to(PROTOS).parent.parts)
        assert f"package {package};" in proto.read_text(), proto
