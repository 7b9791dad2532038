"""Regenerates the Python code for every .proto under protos/ (committed next to its source).

    python protos/generate.py            # rewrite in place
    python protos/generate.py --out DIR  # write into DIR instead (the drift test compares)

The generator is grpcio-tools, pinned in pyproject.toml: another version writes other code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def proto_files() -> list[Path]:
    return sorted(HERE.glob("dockyard/**/*.proto"))


def generate(out: Path) -> None:
    from grpc_tools import protoc  # dev dependency: only needed to regenerate

    out.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{HERE}",
        f"-I{Path(protoc.__file__).parent / '_proto'}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *(str(p.relative_to(HERE)) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    generate(parser.parse_args().out)


if __name__ == "__main__":
    sys.exit(main())
