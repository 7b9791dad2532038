"""Where an idle engine's memory is: PSS, private memory and threads of each of its processes.

    .venv/bin/python bench/idle.py [--wait 4] [--runs 1]

Starts an engine of its own (as bench/run.py does, its bytecode compiled first), waits, and
prints each process's figures from /proc/<pid>/smaps_rollup, then the total (the bench's
idle_memory is that total, taken after the bench's pulls). Root; leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engines import compile_bytecode, descendants, outside_containers
from tests.support.engine import Engine


def rollup(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {key: int(value.split()[0]) for key, value in (line.split(":") for line in lines)}


def name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ")
    found = re.search(r"-m dockyard\.(\S+)", argv)
    return found.group(1) if found else argv[:40]


def report(engine: Engine) -> None:
    total = 0
    for pid in outside_containers(descendants(engine.process.pid)):
        figures, threads = rollup(pid), len(os.listdir(f"/proc/{pid}/task"))
        private = figures["Private_Clean"] + figures["Private_Dirty"]
        total += figures["Pss"]
        print(
            f"{name(pid):28} PSS {figures['Pss'] / 1024:6.1f} MiB   private "
            f"{private / 1024:6.1f} MiB   threads {threads}"
        )
    print(f"{'all':28} PSS {total / 1024:6.1f} MiB\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=4.0, help="seconds after the start")
    parser.add_argument("--runs", type=int, default=1, help="fresh engines, one after another")
    args = parser.parse_args()
    compile_bytecode()
    for _ in range(args.runs):
        base = Path(tempfile.mkdtemp(prefix="dockyard-idle-"))
        try:
            engine = Engine.start(base)
            try:
                time.sleep(args.wait)
                report(engine)
            finally:
                engine.stop()
                engine.remove_cgroup_parent()
                engine.remove_network_leftovers()
        finally:
            shutil.rmtree(base, ignore_errors=True)  # its root and state: nothing mounted now


if __name__ == "__main__":
    main()
