"""Dockyard beside docker on this machine: issue 17's scenarios, pair by pair.

    make bench                     (= .venv/bin/python bench/run.py --docs)
    .venv/bin/python bench/run.py [--reps 7] [--heavy-reps 3] [--many 200] [--only run_rm,pull]
                                  [--no-docker] [--cli PATH] [--docs]

One run: a registry on 127.0.0.1 (Debian's docker-registry) serving busybox and a ~60 MB
5-layer image built offline; an engine of our own (temporary root and state); and, when docker
is installed, a dockerd of our own (bench/engines.py: its own data-root, exec-root, socket and
bridge, --iptables=false, stopped at the end). Each scenario (bench/scenarios.py) is measured on
both, alternating pair by pair; the medians and their ratios print and go to
bench/results/latest.md (and .json, and a chart of the ratios, ratios.png, when matplotlib is
installed: `pip install -e '.[bench]'`); --docs also rewrites the table in
docs/performance.md. Without docker, dockyard's own figures are reported. Numbers only:
nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.disk import own_filesystem  # noqa: E402
from bench.engines import Side, docker_engine, docker_installed, dockyard_engine  # noqa: E402
from bench.images import Pushed, push_all  # noqa: E402
from bench.scenarios import Samples, groups, run_group  # noqa: E402
from tests.support.registry import Registry  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "performance.md"
RERUN = "make bench"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="samples per quick scenario")
    parser.add_argument("--heavy-reps", type=int, default=3, help="samples per heavy scenario")
    parser.add_argument("--many", type=int, default=200, help="containers for the many_* rows")
    parser.add_argument("--only", default="", help="comma-separated scenario keys")
    parser.add_argument("--no-docker", action="store_true", help="dockyard's figures only")
    parser.add_argument("--cli", default=str(Path(sys.executable).parent / "dockyard"))
    parser.add_argument(
        "--host-fs", action="store_true", help="the engines' data on the host's file system"
    )
    parser.add_argument("--docs", action="store_true", help="rewrite docs/performance.md's table")
    return parser.parse_args(argv)


@contextmanager
def sides(base: Path, args: argparse.Namespace, pushed: Pushed) -> Iterator[list[Side]]:
    with ExitStack() as stack:
        made: list[Side] = [stack.enter_context(dockyard_engine(base, args.cli))]
        if not args.no_docker and docker_installed():
            made.append(stack.enter_context(docker_engine(base)))
        for side in made:
            side.image, side.big_image = pushed.busybox, pushed.big
            side.cli("pull", side.image)
        yield made


def measure(made: list[Side], args: argparse.Namespace) -> list[Samples]:
    keys = set(filter(None, args.only.split(",")))
    results: list[Samples] = []
    for group in groups(args.many):
        for samples in run_group(
            made, group, args.reps, args.heavy_reps, lambda key: not keys or key in keys
        ):
            results.append(samples)
            (row,) = report.rows([samples])
            print(
                f"{row.key:22} dockyard {report.value(row.dockyard, row.unit):>12}"
                f"   docker {report.value(row.docker, row.unit):>12}",
                file=sys.stderr,
                flush=True,
            )
    return results


def meta(made: list[Side], args: argparse.Namespace) -> dict[str, str]:
    docker = "not installed: no side-by-side figures"
    for side in made:
        if side.name == "docker":
            docker = side.cli("version", "-f", "{{.Server.Version}}").strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{report.machine()}, load average {os.getloadavg()[0]:.1f} at the start",
        "dockyard": f"{commit or '?'} ({client_kind(args.cli)})",
        "docker": docker,
        "reps": f"{args.reps} (heavy scenarios {args.heavy_reps})",
    }


def client_kind(path: str) -> str:
    """What the `dockyard` command measured is: the C client install.sh builds, or a Python
    script (pip writes its own over the C client at every install of the project: rebuild it
    with `python -m dockyard.cli.entrypoint PATH`)."""
    try:
        with open(path, "rb") as command:
            head = command.read(4)
    except OSError:
        return "client not found"
    return "C client" if head == b"\x7fELF" else "Python client"


def write(results: list[Samples], info: dict[str, str], docs: bool) -> None:
    table = report.rows(results)
    text = report.markdown(table, info)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    (RESULTS / "latest.json").write_text(report.as_json(results, info))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    shutil.copy(RESULTS / "latest.json", RESULTS / f"{stamp}.json")
    if not any(row.ratio for row in table):
        print("no chart: without docker there are no ratios to draw", file=sys.stderr)
    elif not report.chart(table, RESULTS / "ratios.png"):
        print("no chart: matplotlib is missing (pip install -e '.[bench]')", file=sys.stderr)
    if docs:
        report.update_docs(DOCS, text, RERUN)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if client_kind(args.cli) != "C client":
        print(
            f"bench: {args.cli} is not the C client (pip rewrote it?): the CLI round trips will"
            " measure Python's start-up; rebuild it with"
            f" `python -m dockyard.cli.entrypoint {args.cli}`",
            file=sys.stderr,
        )
    base = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    try:
        with (
            own_filesystem(base, wanted=not args.host_fs) as where,
            Registry.start(where) as registry,
        ):
            pushed = push_all(registry)
            with sides(where, args, pushed) as made:
                info = meta(made, args)
                info["machine"] += (
                    ", the engines' data on the host's file system"
                    if where == base
                    else ", the engines' data on an ext4 file system of the run's own"
                )
                results = measure(made, args)
                info["machine"] += f", {os.getloadavg()[0]:.1f} at the end"
        write(results, info, args.docs)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
