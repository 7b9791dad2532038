"""The layer cache: hits, misses from the changed step on, --no-cache, content not times, cache
mounts, and records that outlive the engine."""

from __future__ import annotations

import os
import time

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


def test_builder_prune_until_and_keep_storage_take_the_oldest_part(
    context: Context, engine: Engine, busybox: str
) -> None:
    """docker 20.10's builder prune --filter until= / --keep-storage (BuildKit's KeepDuration
    and KeepBytes): what was made long enough ago goes, the oldest first until what is left
    fits; the rest still serves builds."""
    old, new = context.path / "Dockerfile.old", context.path / "Dockerfile.new"
    context.write("old.bin", "o" * 200_000)
    context.write("new.bin", "n" * 200_000)
    old.write_text(f"FROM {busybox}\nCOPY old.bin /old.bin\nLABEL prune=old\n")
    new.write_text(f"FROM {busybox}\nCOPY new.bin /new.bin\nLABEL prune=new\n")
    context.ok("-f", str(old), "-t", "pruned-old")
    engine.ok("rmi", "pruned-old")  # its layer is the cache's alone now
    assert engine.ok("builder", "prune", "-f", "--filter", "until=1h") == (
        "Total reclaimed space: 0B\n"  # nothing is an hour old
    )
    time.sleep(6)  # the subject of the test: the old build ages, the new one does not
    context.ok("-f", str(new), "-t", "pruned-new")
    engine.ok("rmi", "pruned-new")
    out = engine.ok("builder", "prune", "-f", "--filter", "until=4s")
    assert out.split()[-1].endswith("kB") and float(out.split()[-1][:-2]) >= 200, out
    assert [hit for _, hit in steps(context.ok("-f", str(new), "-t", "pruned-new"))[1:]] == [
        True,
        True,
    ]
    assert [hit for _, hit in steps(context.ok("-f", str(old), "-t", "pruned-old"))[1:]] == [
        False,
        False,
    ]
    engine.ok("rmi", "pruned-old", "pruned-new")
    out = engine.ok("builder", "prune", "-f", "--keep-storage", "1")  # all but a byte: all
    assert float(out.split()[-1][:-2]) >= 400 and out.split()[-1].endswith("kB"), out
    again = steps(context.ok("-f", str(new), "-t", "pruned-new"))
    assert again[1] == ("COPY new.bin /new.bin", False)  # its layer went; LABEL's record,
    engine.ok("rmi", "pruned-new")  # which holds no space, stays (and still serves)


@pytest.mark.parametrize(
    ("flags", "stderr"),
    [
        (["--filter", "colour=red"], "Error response from daemon: Invalid filter 'colour'\n"),
        (
            ["--filter", "until=soon"],
            "Error response from daemon: \"until\" filter expects a duration (e.g., '24h'): "
            'time: invalid duration "soon"\n',
        ),
        (
            ["--filter", "until=1h", "--filter", "unused-for=2h"],
            'Error response from daemon: conflicting filters: "until" and "unused-for"\n',
        ),
        (
            ["--filter", "until=1h", "--filter", "until=2h"],
            "Error response from daemon: filters expect only one value\n",
        ),
    ],
)
def test_builder_prune_refuses_filters_as_dockerd(
    engine: Engine, flags: list[str], stderr: str
) -> None:
    result = engine.cli("builder", "prune", "-f", *flags)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr)


def test_builder_prune_asks_as_docker_and_keep_storage_is_a_size(engine: Engine) -> None:
    declined = engine.cli("builder", "prune", input="n\n")
    assert declined.returncode == 0
    assert declined.stdout == (
        "WARNING! This will remove all dangling build cache. Are you sure you want to "
        "continue? [y/N] Total reclaimed space: 0B\n"
    )
    bad = engine.cli("builder", "prune", "-f", "--keep-storage", "lots")
    assert bad.returncode == 125
    assert bad.stderr.startswith(
        'invalid argument "lots" for "--keep-storage" flag: invalid size: \'lots\'\n'
    )
