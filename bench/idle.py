"""Where an idle engine's memory is: PSS, private memory and threads of each of its processes.

    .venv/bin/python bench/idle.py [--wait 4] [--runs 1] [--pull] [--maps]

Starts an engine of its own (as bench/run.py does, its bytecode compiled first), waits, and
prints each process's figures from /proc/<pid>/smaps_rollup, then the total. The bench's
idle_memory is that total taken after the bench's pull of busybox from a registry on
127.0.0.1: `--pull` does the same first (and `--wait` then counts from the pull).
`--maps` adds where each process's private memory is (its largest mappings, by name).
Root; leaves nothing behind.
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
from tests.support.images import busybox_image, push
from tests.support.registry import Registry


def rollup(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {key: int(value.split()[0]) for key, value in (line.split(":") for line in lines)}


def name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ")
    found = re.search(r"-m dockyard\.(\S+)", argv)
    return found.group(1) if found else argv[:40]


def private_by_mapping(pid: int) -> dict[str, int]:
    """KiB private to `pid` in each of its mappings, summed by name ("[anon]" when none)."""
    found: dict[str, int] = {}
    mapping = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            mapping = Path(fields[5]).name if len(fields) > 5 else "[anon]"
        elif fields[0] in ("Private_Clean:", "Private_Dirty:"):
            found[mapping] = found.get(mapping, 0) + int(fields[1])
    return found


def report(engine: Engine, maps: bool) -> None:
    total = 0
    for pid in outside_containers(descendants(engine.process.pid)):
        figures, threads = rollup(pid), len(os.listdir(f"/proc/{pid}/task"))
        private = figures["Private_Clean"] + figures["Private_Dirty"]
        total += figures["Pss"]
        print(
            f"{name(pid):28} PSS {figures['Pss'] / 1024:6.1f} MiB   private "
            f"{private / 1024:6.1f} MiB   threads {threads}"
        )
        if maps:
            largest = sorted(private_by_mapping(pid).items(), key=lambda item: -item[1])[:5]
            print(" " * 30 + ", ".join(f"{what} {kib / 1024:.1f}" for what, kib in largest))
    print(f"{'all':28} PSS {total / 1024:6.1f} MiB\n")


def pull_busybox(engine: Engine, registry: Registry) -> None:
    """What the bench does before it measures: pull busybox from a registry on 127.0.0.1."""
    push(registry, "bench/busybox", "latest", busybox_image(Cmd=["sh"]))
    engine.ok("pull", f"{registry.host}/bench/busybox:latest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wait", type=float, default=4.0, help="seconds after the start")
    parser.add_argument("--runs", type=int, default=1, help="fresh engines, one after another")
    parser.add_argument("--pull", action="store_true", help="pull busybox first, as the bench")
    parser.add_argument("--maps", action="store_true", help="private memory by mapping")
    args = parser.parse_args()
    compile_bytecode()
    for _ in range(args.runs):
        base = Path(tempfile.mkdtemp(prefix="dockyard-idle-"))
        try:
            engine = Engine.start(base)
            try:
                if args.pull:
                    with Registry.start(base) as registry:
                        pull_busybox(engine, registry)
                time.sleep(args.wait)
                report(engine, args.maps)
            finally:
                engine.stop()
                engine.remove_cgroup_parent()
                engine.remove_network_leftovers()
        finally:
            shutil.rmtree(base, ignore_errors=True)  # its root and state: nothing mounted now


if __name__ == "__main__":
    main()
