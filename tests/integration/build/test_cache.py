"""The layer cache: hits, misses from the changed step on, --no-cache, content not times, cache
mounts, and records that outlive the engine."""

from __future__ import annotations

import os

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def steps(out: str) -> list[tuple[str, bool]]:
    """(instruction, from the cache) for each step of a build's output."""
    found: list[tuple[str, bool]] = []
    for line in out.splitlines():
        if line.startswith("Step "):
            found.append((line.split(" : ", 1)[1], False))
        elif line == " ---> Using cache" and found:
            found[-1] = (found[-1][0], True)
    return found


def image_id(out: str) -> str:
    return out.rsplit("Successfully built ", 1)[1].split()[0]


DOCKERFILE = """FROM {base}
RUN echo one > /one
COPY app.txt /app.txt
RUN cat /app.txt > /copy
CMD ["cat", "/copy"]
"""


def test_a_rebuild_reuses_every_step_and_gives_the_same_image(
    context: Context, busybox: str
) -> None:
    context.write("app.txt", "version 1\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    first = context.ok("-t", "cached")
    assert not any(hit for _, hit in steps(first)[1:])
    second = context.ok("-t", "cached")
    assert [hit for _, hit in steps(second)[1:]] == [True, True, True, True]
    assert image_id(first) == image_id(second)
    assert context.engine.ok("run", "--rm", "cached") == "version 1\n"


def test_a_changed_file_rebuilds_from_its_copy_on(context: Context, busybox: str) -> None:
    context.write("app.txt", "version 1\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    context.ok("-t", "changing")
    context.write("app.txt", "version 2\n")
    out = context.ok("-t", "changing")
    assert [hit for _, hit in steps(out)[1:]] == [True, False, False, False]
    assert context.engine.ok("run", "--rm", "changing") == "version 2\n"


def test_times_do_not_matter_but_permissions_do(context: Context, busybox: str) -> None:
    app = context.write("app.txt", "same\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    context.ok()
    os.utime(app, (1, 1))
    assert [hit for _, hit in steps(context.ok())[1:]] == [True, True, True, True]
    app.chmod(0o600)
    assert [hit for _, hit in steps(context.ok())[1:]] == [True, False, False, False]


def test_a_changed_instruction_rebuilds_from_there(context: Context, busybox: str) -> None:
    context.write("app.txt", "x\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    context.ok()
    context.dockerfile(DOCKERFILE.format(base=busybox).replace("> /copy", "> /copied"))
    assert [hit for _, hit in steps(context.ok())[1:]] == [True, True, False, False]


def test_no_cache_runs_every_step(context: Context, busybox: str) -> None:
    context.write("app.txt", "x\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    context.ok()
    out = context.ok("--no-cache")
    assert not any(hit for _, hit in steps(out))
    assert out.count(" ---> Running in ") == 3  # the RUNs' and CMD's (COPY makes none)


def test_build_args_are_part_of_the_key(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox}\nARG FLAVOUR=plain\nRUN echo $FLAVOUR > /flavour\n")
    context.ok("-t", "flavoured")
    again = context.ok("-t", "flavoured", "--build-arg", "FLAVOUR=spicy")
    assert steps(again)[-1][1] is False
    assert context.engine.ok("run", "--rm", "flavoured", "cat", "/flavour") == "spicy\n"


def test_a_cache_mount_keeps_its_files_between_builds(context: Context, busybox: str) -> None:
    context.dockerfile(
        f"FROM {busybox}\n"
        "RUN --mount=type=cache,target=/var/cache/app,id=test-counter "
        "echo run >> /var/cache/app/runs && wc -l < /var/cache/app/runs > /runs "
        "&& ls /var/cache/app > /listing\n"
    )
    context.ok("-t", "counted")
    before = int(context.engine.ok("run", "--rm", "counted", "cat", "/runs"))
    context.ok("-t", "counted", "--no-cache")
    after = int(context.engine.ok("run", "--rm", "counted", "cat", "/runs"))
    assert after == before + 1
    # the mount's target is not part of the layer: the image has no /var/cache/app
    listing = context.engine.ok("run", "--rm", "counted", "sh", "-c", "ls /var/cache 2>&1; true")
    assert "app" not in listing


def test_the_cache_outlives_a_restart_of_the_engine(
    context: Context, engine: Engine, busybox: str
) -> None:
    context.write("app.txt", "kept\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    context.ok()
    engine.stop()
    engine.restart()
    assert [hit for _, hit in steps(context.ok())[1:]] == [True, True, True, True]


def test_the_cache_outlives_the_images_that_used_it(
    context: Context, engine: Engine, busybox: str
) -> None:
    context.write("app.txt", "leased\n")
    context.dockerfile(DOCKERFILE.format(base=busybox) + "LABEL unique=gc-test\n")
    context.ok("-t", "collected")
    engine.ok("rmi", "collected")
    out = context.ok("-t", "collected")
    assert [hit for _, hit in steps(out)[1:]] == [True, True, True, True, True]
    assert engine.ok("run", "--rm", "collected") == "leased\n"


def test_builder_prune_gives_the_space_back(context: Context, engine: Engine, busybox: str) -> None:
    context.write("big.bin", "x" * 300_000)
    context.dockerfile(
        f"FROM {busybox}\nCOPY big.bin /big.bin\nRUN --mount=type=cache,target=/c touch /c/x\n"
    )
    context.ok("-t", "to-prune")
    context.write("Dockerfile.kept", f"FROM {busybox}\nRUN echo kept > /kept\n")
    context.ok("-f", str(context.path / "Dockerfile.kept"), "-t", "kept-over-prune")
    engine.ok("rmi", "to-prune")
    out = engine.ok("builder", "prune", "-f")
    assert out.startswith("Total reclaimed space: ")
    assert out.split()[-1].endswith("kB") and float(out.split()[-1][:-2]) >= 300
    assert [hit for _, hit in steps(context.ok())[1:]] == [False, False]
    assert engine.ok("run", "--rm", "kept-over-prune", "cat", "/kept") == "kept\n"
