"""Dockyard before and after a change, side by side: two engines, one from each checkout.

    .venv/bin/python bench/compare.py --baseline ../base [--reps 9] [--many 200]
                                      [--only run_rm,many_ps_a]

`--baseline` is another checkout of Dockyard with a venv of its own (`.venv`, the project
installed in it): the "before". This checkout's venv is the "after". Each engine runs from
its own venv (supervisor, services, shims) and is driven by its own `dockyard` command; the
scenarios are `make bench`'s (scenarios.py), their samples taken alternately, pair by pair,
so a loaded machine weighs on both alike. It prints each scenario's medians and their ratio
(after / before) with the load average; nothing is written or asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.engines import Dockyard  # noqa: E402
from bench.scenarios import (  # noqa: E402
    Group,
    Scenario,
    groups,
    make_many,
    ps,
    remove_many,
    run_group,
)
from tests.support.engine import Engine  # noqa: E402
from tests.support.images import busybox_image, push  # noqa: E402
from tests.support.registry import Registry  # noqa: E402


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, type=Path, help="the 'before' checkout")
    parser.add_argument("--reps", type=int, default=9, help="samples per quick scenario")
    parser.add_argument("--heavy-reps", type=int, default=3, help="samples per heavy scenario")
    parser.add_argument("--many", type=int, default=200, help="containers for the many_* rows")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    return parser.parse_args(argv)


@contextmanager
def engine_side(base: Path, name: str, checkout: Path) -> Iterator[Dockyard]:
    venv = checkout / ".venv" / "bin"
    (base / name).mkdir(parents=True)
    engine = Engine.start(base / name, python=str(venv / "python"))
    side = Dockyard(name, [str(venv / "dockyard"), "-H", engine.host], engine=engine)
    try:
        yield side
    finally:
        side.remove_all()
        engine.stop()
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    keys = set(filter(None, args.only.split(",")))
    base = Path(tempfile.mkdtemp(prefix="dockyard-compare-"))
    try:
        with Registry.start(base) as registry, ExitStack() as stack:
            push(registry, "bench/busybox", "latest", busybox_image(Cmd=["sh"]))
            made = [
                stack.enter_context(engine_side(base, "before", args.baseline.resolve())),
                stack.enter_context(engine_side(base, "after", ROOT)),
            ]
            for side in made:
                side.image = f"{registry.host}/bench/busybox:latest"
                side.cli("pull", side.image)
            print(f"load average {os.getloadavg()}", file=sys.stderr)
            for group in [*groups(args.many), _many_ps(args.many)]:
                for samples in run_group(
                    made, group, args.reps, args.heavy_reps, lambda k: not keys or k in keys
                ):
                    _print(samples.scenario, samples.median("before"), samples.median("after"))
            print(f"load average {os.getloadavg()}", file=sys.stderr)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _many_ps(many: int) -> Group:
    """`ps` (running containers only) beside `many` created ones: make_bench's many_* set-up."""
    title = f"`ps` with {many} containers existing, none running"
    ps_many = Scenario("many_ps", title, "s", "", 1.0, ps)
    return Group((ps_many,), make_many(many), remove_many)


def _print(scenario: Scenario, before: float | None, after: float | None) -> None:
    ratio = f"{after / before:.2f}" if before and after is not None else "–"
    print(
        f"{scenario.key:22} before {report.value(before, scenario.unit):>10}"
        f"  after {report.value(after, scenario.unit):>10}  after/before {ratio}",
        flush=True,
    )


if __name__ == "__main__":
    main()
