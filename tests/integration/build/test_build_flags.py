"""`build`'s flags for the RUN steps' containers, read back from inside a RUN step (the cgroup
files, /etc/hosts, /dev/shm, the rlimits it saw, written into the image), and the flags docker
20.10's CLI and dockerd refuse or ignore without BuildKit."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from tests.integration.build.conftest import Context
from tests.integration.engine.test_cgroup_parent import below, runtime_cgroups
from tests.support.engine import Engine
from tests.support.registry import Registry

pytestmark = pytest.mark.integration

CGROUP = "/sys/fs/cgroup"
PROBE = (
    "RUN cat {cg}/memory/memory.limit_in_bytes {cg}/memory/memory.memsw.limit_in_bytes"
    " {cg}/cpu/cpu.shares {cg}/cpu/cpu.cfs_period_us {cg}/cpu/cpu.cfs_quota_us"
    " {cg}/cpuset/cpuset.cpus > /limits 2>&1;"
    " ulimit -Sn > /nofile; ulimit -Hn >> /nofile;"
    " df -k /dev/shm | tail -1 | awk '{{print $2}}' > /shm;"
    " grep dyhost /etc/hosts > /hosts; true\n"
)


def v1_or_skip() -> None:
    if not Path(f"{CGROUP}/memory").is_dir():
        pytest.skip("the probe reads cgroup v1 files")


def read(engine: Engine, image: str, path: str) -> str:
    return engine.ok("run", "--rm", image, "cat", path)


def test_run_steps_get_the_resource_flags(context: Context, busybox: str) -> None:
    v1_or_skip()
    context.dockerfile(f"FROM {busybox}\n" + PROBE.format(cg=CGROUP))
    context.ok(
        "--no-cache", "-t", "flags:res",
        "-m", "64m", "--memory-swap", "96m",
        "-c", "512", "--cpu-period", "50000", "--cpu-quota", "25000",
        "--cpuset-cpus", "0", "--cpuset-mems", "0",
        "--ulimit", "nofile=512:1024",
        "--shm-size", "8m",
        "--add-host", "dyhost:10.1.2.3",
    )  # fmt: skip
    engine = context.engine
    limits = read(engine, "flags:res", "/limits").split()
    assert limits == [str(64 << 20), str(96 << 20), "512", "50000", "25000", "0"]
    assert read(engine, "flags:res", "/nofile").split() == ["512", "1024"]
    assert read(engine, "flags:res", "/shm").strip() == str(8 << 10)
    assert read(engine, "flags:res", "/hosts").split() == ["10.1.2.3", "dyhost"]
    engine.ok("rmi", "flags:res")


def test_without_the_flags_the_run_step_has_the_defaults(context: Context, busybox: str) -> None:
    v1_or_skip()
    context.dockerfile(f"FROM {busybox}\n" + PROBE.format(cg=CGROUP))
    context.ok("--no-cache", "-t", "flags:none")
    shares = read(context.engine, "flags:none", "/limits").split()[2]
    assert shares == "1024"
    assert read(context.engine, "flags:none", "/shm").strip() == str(64 << 10)
    assert read(context.engine, "flags:none", "/hosts") == ""
    context.engine.ok("rmi", "flags:none")


def test_cgroup_parent_places_the_run_step(context: Context, busybox: str) -> None:
    """The RUN's container is made below the parent: a memory limit set on the parent
    beforehand is the container's hierarchical limit, which it reads from its memory.stat."""
    v1_or_skip()
    engine = context.engine
    top = f"dyb-{secrets.token_hex(4)}"
    engine.watch_cgroups(*below(dict.fromkeys(runtime_cgroups(engine), "/"), top))
    (Path(CGROUP) / "memory" / top).mkdir()
    (Path(CGROUP) / "memory" / top / "memory.limit_in_bytes").write_text(str(48 << 20))
    context.dockerfile(
        f"FROM {busybox}\n"
        "RUN grep '^hierarchical_memory_limit ' /sys/fs/cgroup/memory/memory.stat > /cg\n"
    )
    context.ok("--no-cache", "-t", "flags:cg", "--cgroup-parent", f"/{top}")
    assert read(engine, "flags:cg", "/cg").split() == ["hierarchical_memory_limit", str(48 << 20)]
    assert not [p for p in (Path(CGROUP) / "memory" / top).iterdir() if p.is_dir()]
    context.ok("--no-cache", "-t", "flags:cg")
    assert read(engine, "flags:cg", "/cg").split()[1] != str(48 << 20)
    engine.ok("rmi", "flags:cg")


def test_a_bad_limit_fails_at_the_run_step_in_dockerds_words(
    context: Context, busybox: str
) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN true\n")
    result = context.build("-m", "1m")
    assert result.returncode == 1
    assert "Minimum memory limit allowed is 6MB" in result.stderr
    context.dockerfile(f"FROM {busybox}\nENV A=1\n")  # no RUN: no container to limit
    context.ok("-m", "1m")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--security-opt", "seccomp=unconfined"],
            "The daemon on this platform does not support setting security options on build",
        ),
        (["--isolation", "hyperv"], 'Unsupported isolation: "hyperv"'),
        (["--platform", "a/b/c/d"], '"a/b/c/d": cannot parse platform specifier'),
        (["--platform", "nonsense"], '"nonsense": unknown operating system or architecture'),
    ],
)
def test_what_dockerd_refuses_before_the_build(
    context: Context, busybox: str, flags: list[str], message: str
) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN true\n")
    result = context.build(*flags)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Step 1/" not in result.stdout


def test_squash_is_refused_by_the_cli_as_docker_without_experimental(context: Context) -> None:
    context.dockerfile("FROM scratch\n")
    result = context.build("--squash")
    assert result.returncode == 1
    assert result.stderr == (
        '"--squash" is only supported on a Docker daemon with experimental features enabled\n'
    )


def test_the_isolation_and_platform_of_the_host_are_taken(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN true\n")
    context.ok("--isolation", "default", "--platform", "linux")


def test_platform_is_the_platform_of_every_from_that_names_none(
    context: Context, registry: Registry
) -> None:
    """docker's builder looks up each FROM's image for --platform (a local one of another
    platform will not do: the one asked for is pulled); FROM --platform still wins."""
    engine = context.engine
    ref = f"{registry.host}/test/multi:latest"
    arch = ["image", "inspect", "-f", "{{.Architecture}}"]
    try:
        context.dockerfile(f"FROM {ref}\nLABEL made=yes\n")
        context.ok("-t", "bplatform:arm", "--platform", "linux/arm64")
        assert engine.ok(*arch, "bplatform:arm") == "arm64\n"
        context.ok("-t", "bplatform:amd", "--platform", "linux/amd64")  # the local arm64: pulled
        assert engine.ok(*arch, "bplatform:amd") == "amd64\n"
        context.dockerfile(f"FROM --platform=linux/arm64 {ref}\nLABEL made=yes\n")
        context.ok("-t", "bplatform:from", "--platform", "linux/amd64")
        assert engine.ok(*arch, "bplatform:from") == "arm64\n"
        context.dockerfile(f"FROM {ref}\nLABEL made=yes\n")
        missing = context.build("--platform", "linux/s390x")
        assert missing.returncode == 1
        assert "no matching manifest for linux/s390x" in missing.stderr
        context.dockerfile("FROM scratch\nLABEL made=yes\n")
        context.ok("-t", "bplatform:scratch", "--platform", "linux/arm64")
        assert engine.ok(*arch, "bplatform:scratch") == "arm64\n"
        windows = context.build("--platform", "windows/amd64")
        assert windows.returncode == 1
        assert windows.stderr.strip().endswith("operating system is not supported")
    finally:
        engine.cli("rmi", *(f"bplatform:{t}" for t in ("arm", "amd", "from", "scratch")), ref)


def test_buildkit_only_flags_are_accepted_and_ignored(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN echo ran\n")
    result = context.build(
        "--progress", "plain", "--secret", "id=x,src=/nonexistent", "--ssh", "default",
        "-o", "type=local,dest=/nonexistent", "--stream",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ran\n" in result.stdout and "Successfully built " in result.stdout
    assert result.stderr.startswith("DEPRECATED: The experimental --stream flag has been removed")


def test_compress_sends_the_context_gzipped(context: Context, busybox: str) -> None:
    context.write("big.txt", "x" * 200_000)
    context.dockerfile(f"FROM {busybox}\nCOPY big.txt /big.txt\nRUN wc -c < /big.txt\n")
    plain = context.ok("--no-cache")
    packed = context.ok("--no-cache", "--compress")
    assert "200000\n" in packed
    sent = [sent_bytes(out) for out in (plain, packed)]
    assert sent[1] < sent[0]


def sent_bytes(out: str) -> float:
    """The size on the "Sending build context" line (docker's units.HumanSize), in bytes."""
    text = out.split("Sending build context to Dockyard daemon")[1].split()[0]
    number = text.rstrip("kMGB")
    return float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[text[len(number) :]]


CACHED_DOCKERFILE = (
    "FROM {base}\n"
    "RUN echo ran-the-first | tee /first\n"
    "COPY data.txt /data.txt\n"
    "ENV STAGE=two\n"
    "RUN echo ran-the-second | tee /second\n"
)


def diff_ids(engine: Engine, image: str) -> list[str]:
    return json.loads(engine.ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", image))


def test_cache_from_a_pulled_image_stands_in_for_the_steps(
    context: Context, busybox: str, registry: Registry
) -> None:
    """The CI pattern: pull the last image, build with --cache-from it. The build cache is
    empty (pruned), and the image pulled was built elsewhere (here, then removed): its history
    and layers serve every step, nothing runs."""
    engine = context.engine
    remote = f"{registry.host}/test/cachefrom:latest"
    context.write("data.txt", "some data\n")
    context.dockerfile(CACHED_DOCKERFILE.format(base=busybox))
    try:
        first = context.ok("-t", remote)
        assert "\nran-the-first\n" in first and "\nran-the-second\n" in first
        engine.ok("push", remote)
        engine.ok("rmi", remote)
        engine.ok("builder", "prune", "-f")
        engine.ok("pull", remote)
        again = context.ok("--cache-from", remote, "-t", "cachefrom:again")
        assert "\nran-the-" not in again, again
        assert again.count(" ---> Using cache") == 4
        assert diff_ids(engine, "cachefrom:again") == diff_ids(engine, remote)
        engine.ok("builder", "prune", "-f")
        without = context.ok("-t", "cachefrom:without")  # no source, no cache: it all runs
        assert "\nran-the-first\n" in without and "Using cache" not in without
    finally:
        engine.cli("rmi", remote, "cachefrom:again", "cachefrom:without")


def test_cache_from_other_images_leaves_the_build_cache_aside(
    context: Context, busybox: str
) -> None:
    """docker's builder takes a cached step only from a source's chain once sources are given:
    a build cached here runs again with --cache-from an image that has none of its steps, and
    a source that is not here is skipped."""
    context.write("data.txt", "other data\n")
    context.dockerfile(CACHED_DOCKERFILE.format(base=busybox))
    context.ok("-t", "cachefrom:local")
    cached = context.ok()
    assert cached.count(" ---> Using cache") == 4
    out = context.ok("--cache-from", f"{busybox},not-here:at-all")
    assert "Using cache" not in out and "\nran-the-first\n" in out
    source = context.ok("--cache-from", "cachefrom:local")
    assert source.count(" ---> Using cache") == 4
    context.engine.ok("rmi", "cachefrom:local")
