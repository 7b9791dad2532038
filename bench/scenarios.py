"""The scenarios of issue 17's table, each measured on every engine, pair by pair.

A scenario's `measure(side)` takes one sample on one engine; `alternate` takes the samples
of every engine in turn, repetition after repetition (the order flips every repetition), so
that both see the same moments of a noisy machine. Set-up that is not measured (200 existing
containers, a web server) is made by `prepare` and undone by `clean`.

Build scenarios (a cold build and a no-change rebuild of a five-step Dockerfile) are
`build_groups`.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.engines import Side
from tests.support.registry import free_port

TWENTY = 20
MiB = 1024 * 1024
Step = Callable[[Side], None]


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    unit: str  # of one sample: "s", "ms", "MiB", "req/s"
    target: str
    limit: float  # the ratio dockyard/docker to reach (at most; at least if higher_is_better)
    measure: Callable[[Side], float]
    heavy: bool = False  # fewer repetitions
    higher_is_better: bool = False


@dataclass(frozen=True)
class Group:
    """Scenarios that share a set-up (made on every engine first, undone at the end)."""

    scenarios: tuple[Scenario, ...]
    prepare: Step | None = None
    clean: Step | None = None


@dataclass
class Samples:
    scenario: Scenario
    by_engine: dict[str, list[float]] = field(default_factory=dict)

    def median(self, engine: str) -> float | None:
        values = self.by_engine.get(engine)
        return statistics.median(values) if values else None


def alternate(sides: Sequence[Side], scenario: Scenario, reps: int) -> Samples:
    """`reps` samples of `scenario` on every side, interleaved: A B, B A, A B, ..."""
    samples = Samples(scenario, {side.name: [] for side in sides})
    for rep in range(reps):
        for side in sides if rep % 2 == 0 else list(reversed(sides)):
            samples.by_engine[side.name].append(scenario.measure(side))
    return samples


def run_group(
    sides: Sequence[Side], group: Group, reps: int, heavy_reps: int, wanted: Callable[[str], bool]
) -> list[Samples]:
    chosen = [s for s in group.scenarios if wanted(s.key)]
    if not chosen:
        return []
    try:
        for side in sides:
            if group.prepare:
                group.prepare(side)
        return [alternate(sides, s, heavy_reps if s.heavy else reps) for s in chosen]
    finally:
        for side in sides:
            if group.clean:
                group.clean(side)


# -- measures ---------------------------------------------------------------------------------


def timed(side: Side, *args: str) -> float:
    start = time.perf_counter()
    side.cli(*args)
    return time.perf_counter() - start


def run_rm(side: Side) -> float:
    return timed(side, "run", "--rm", side.image, "true")


def start_twenty(side: Side) -> float:
    """Wall time of 20 concurrent `run -d IMAGE sleep 600` (each returns once it runs)."""
    start = time.perf_counter()
    running = [
        subprocess.Popen(
            side.command("run", "-d", "--label", "bench=twenty", side.image, "sleep", "600"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=side.full_env(),
        )
        for _ in range(TWENTY)
    ]
    for process in running:
        _, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{side.name} run -d: {err.decode()}")
    return time.perf_counter() - start


def twenty_ids(side: Side) -> list[str]:
    return side.cli("ps", "-q", "--no-trunc", "--filter", "label=bench=twenty").split()


def run_twenty(side: Side) -> float:
    elapsed = start_twenty(side)
    remove_twenty(side)
    return elapsed


def remove_twenty(side: Side) -> float:
    ids = twenty_ids(side)
    return timed(side, "rm", "-f", *ids) if ids else 0.0


def rm_twenty(side: Side) -> float:
    start_twenty(side)
    return remove_twenty(side)


def pss_bytes(pids: Sequence[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def memory_per_container(side: Side) -> float:
    """(PSS of every engine process with 20 sleeping containers − without) / 20, in MiB."""
    before = pss_bytes(side.pids())
    start_twenty(side)
    time.sleep(1)  # what the shims touch once their containers run
    during = pss_bytes(side.pids())
    remove_twenty(side)
    return (during - before) / TWENTY / MiB


def idle_memory(side: Side) -> float:
    return pss_bytes(side.pids()) / MiB


def pull_big(side: Side) -> float:
    side.cli("rmi", "-f", side.big_image, check=False)
    return timed(side, "pull", side.big_image)


def version(side: Side) -> float:
    return timed(side, "version")


def ps(side: Side) -> float:
    return timed(side, "ps")


def inspect_one(side: Side) -> float:
    return timed(side, "inspect", "bench-one")


def make_one(side: Side) -> None:
    side.cli("run", "-d", "--name", "bench-one", side.image, "sleep", "600")


def remove_one(side: Side) -> None:
    side.cli("rm", "-f", "bench-one", check=False)


# -- many containers existing ---------------------------------------------------------------


def make_many(count: int) -> Step:
    def prepare(side: Side) -> None:
        batch = 10
        for first in range(0, count, batch):
            running = [
                subprocess.Popen(
                    side.command("create", "--name", f"many-{i}", side.image, "true"),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=side.full_env(),
                )
                for i in range(first, min(first + batch, count))
            ]
            for process in running:
                process.wait()

    return prepare


def remove_many(side: Side) -> None:
    side.remove_all()


def ps_all(side: Side) -> float:
    return timed(side, "ps", "-a")


def inspect_many(side: Side) -> float:
    return timed(side, "inspect", "many-0")


def create_one_more(side: Side) -> float:
    elapsed = timed(side, "create", "--name", "bench-new", side.image, "true")
    side.cli("rm", "bench-new")
    return elapsed


def rm_one_more(side: Side) -> float:
    side.cli("create", "--name", "bench-new", side.image, "true")
    return timed(side, "rm", "bench-new")


# -- a published port -------------------------------------------------------------------------

WEB = "mkdir -p /www && echo bench > /www/index.html && exec httpd -f -p 80 -h /www"


def start_web(side: Side) -> None:
    port = free_port()
    side.cli(
        "run",
        "-d",
        "--name",
        "bench-web",
        "-p",
        f"127.0.0.1:{port}:80",
        side.image,
        "sh",
        "-c",
        WEB,
    )
    side.state["url"] = f"http://127.0.0.1:{port}/"
    _wait_http(str(side.state["url"]))


def stop_web(side: Side) -> None:
    side.cli("rm", "-f", "bench-web", check=False)


def _wait_http(url: str) -> None:
    deadline = time.monotonic() + 30
    while subprocess.run(["curl", "-fs", url], capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing answers at {url}")
        time.sleep(0.1)


def requests_per_second(side: Side, seconds: int = 5) -> float:
    """`wrk -t2 -c16` (busybox httpd closes every connection: each request is a connection)."""
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", str(side.state["url"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
    return float(line.split()[1])


# -- the table --------------------------------------------------------------------------------


def groups(many: int) -> list[Group]:
    """Issue 17's scenarios, in the order they run."""
    return [
        Group(
            (
                Scenario(
                    "idle_memory",
                    "idle engine memory (PSS of every engine process), no containers",
                    "MiB",
                    "≤ 1.0",
                    1.0,
                    idle_memory,
                ),
            )
        ),
        Group(
            (
                Scenario("version", "`version` (CLI round trip)", "s", "≤ 1.5", 1.5, version),
                Scenario("ps", "`ps` (CLI round trip)", "s", "≤ 1.5", 1.5, ps),
                Scenario(
                    "inspect",
                    "`inspect` of one container (CLI round trip)",
                    "s",
                    "≤ 1.5",
                    1.5,
                    inspect_one,
                ),
                Scenario(
                    "run_rm",
                    "`run --rm IMAGE true`, default bridge",
                    "s",
                    "≤ 0.7 (goal 0.4)",
                    0.7,
                    run_rm,
                ),
            ),
            make_one,
            remove_one,
        ),
        Group(
            (
                Scenario(
                    "run_d_20",
                    f"{TWENTY} concurrent `run -d IMAGE sleep 600`, until all running",
                    "s",
                    "≤ 0.5",
                    0.5,
                    run_twenty,
                    heavy=True,
                ),
                Scenario(
                    "rm_f_20",
                    f"`rm -f` of those {TWENTY}",
                    "s",
                    "≤ 0.5",
                    0.5,
                    rm_twenty,
                    heavy=True,
                ),
                Scenario(
                    "memory_per_container",
                    f"memory per running container (PSS of all engine processes / {TWENTY}), {TWENTY} running",
                    "MiB",
                    "≤ 0.7",
                    0.7,
                    memory_per_container,
                    heavy=True,
                ),
            )
        ),
        Group(
            (
                Scenario(
                    "pull",
                    "pull of a ~60 MB 5-layer image from 127.0.0.1 (after rmi)",
                    "s",
                    "≤ 1.0",
                    1.0,
                    pull_big,
                    heavy=True,
                ),
            )
        ),
        Group(
            (
                Scenario(
                    "many_ps_a",
                    f"`ps -a` with {many} containers existing",
                    "s",
                    "≤ 1.0 (goal 0.5)",
                    1.0,
                    ps_all,
                ),
                Scenario(
                    "many_inspect",
                    f"`inspect` with {many} containers existing",
                    "s",
                    "≤ 1.0 (goal 0.5)",
                    1.0,
                    inspect_many,
                ),
                Scenario(
                    "many_create",
                    f"`create` with {many} containers existing",
                    "s",
                    "≤ 1.0 (goal 0.5)",
                    1.0,
                    create_one_more,
                ),
                Scenario(
                    "many_rm",
                    f"`rm` with {many} containers existing",
                    "s",
                    "≤ 1.0 (goal 0.5)",
                    1.0,
                    rm_one_more,
                ),
            ),
            make_many(many),
            remove_many,
        ),
        Group(
            (
                Scenario(
                    "port_rps",
                    "requests/s through a published port on 127.0.0.1 (higher is better)",
                    "req/s",
                    "≥ 1.3",
                    1.3,
                    requests_per_second,
                    heavy=True,
                    higher_is_better=True,
                ),
            ),
            start_web,
            stop_web,
        ),
        *build_groups(),
    ]


# -- builds -------------------------------------------------------------------------------------

BUILD_TAG = "bench-build:latest"
DOCKERFILE = """FROM {image}
ENV APP=/app
RUN mkdir -p $APP && echo built > $APP/built
COPY index.html $APP/
CMD ["cat", "/app/index.html"]
"""


def prepare_build(side: Side) -> None:
    """A small context with a five-step Dockerfile, built once (the cache the rebuild uses)."""
    context = Path(tempfile.mkdtemp(prefix="bench-build-"))
    (context / "Dockerfile").write_text(DOCKERFILE.format(image=side.image))
    (context / "index.html").write_text("<p>bench</p>\n")
    side.state["build_context"] = str(context)
    side.cli("build", "-q", "-t", BUILD_TAG, str(context))


def clean_build(side: Side) -> None:
    side.cli("rmi", "-f", BUILD_TAG, check=False)
    shutil.rmtree(str(side.state.pop("build_context", "")), ignore_errors=True)


def rebuild(side: Side) -> float:
    return timed(side, "build", "-q", "-t", BUILD_TAG, str(side.state["build_context"]))


def cold_build(side: Side) -> float:
    return timed(
        side, "build", "-q", "--no-cache", "-t", BUILD_TAG, str(side.state["build_context"])
    )


def build_groups() -> list[Group]:
    """Issue 17's build figure (a no-change rebuild of a five-step Dockerfile, ≤ 1.0), and the
    cold build of the same (every step run: --no-cache) beside it."""
    return [
        Group(
            (
                Scenario(
                    "build_rebuild",
                    "no-change rebuild of a 5-step Dockerfile",
                    "s",
                    "≤ 1.0",
                    1.0,
                    rebuild,
                ),
                Scenario(
                    "build_cold",
                    "cold build (--no-cache) of the same 5-step Dockerfile",
                    "s",
                    "≤ 1.0",
                    1.0,
                    cold_build,
                    heavy=True,
                ),
            ),
            prepare_build,
            clean_build,
        )
    ]
