"""`docker build`'s flags through the Docker API's `POST /build` query (the classic builder):
the RUN steps' limits, hosts and /dev/shm read back from inside a RUN, --cache-from,
--platform, and dockerd's refusals in its words, driven by the real docker CLI."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker
from tests.support.registry import Registry

pytestmark = pytest.mark.integration

PROBE = (
    "RUN cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares"
    " /sys/fs/cgroup/cpu/cpu.cfs_quota_us > /limits; ulimit -Hn > /nofile;"
    " df -k /dev/shm | tail -1 | awk '{print $2}' > /shm; grep dyhost /etc/hosts > /hosts\n"
)


def _context(tmp_path: Path, dockerfile: str) -> str:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return str(tmp_path)


def test_run_steps_get_the_query_limits_and_hosts(
    docker: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    if not Path("/sys/fs/cgroup/memory").is_dir():
        pytest.skip("the probe reads cgroup v1 files")
    cleanup.append(("image", "apiflags:res"))
    context = _context(tmp_path, f"FROM {image}\n{PROBE}")
    docker.ok(
        "build", "--no-cache", "-t", "apiflags:res", "-m", "64m", "--cpu-shares", "512",
        "--cpu-quota", "25000", "--ulimit", "nofile=512:1024", "--shm-size", "8m",
        "--add-host", "dyhost:10.1.2.3", context,
    )  # fmt: skip

    def read(path: str) -> list[str]:
        return docker.ok("run", "--rm", "apiflags:res", "cat", path).split()

    assert read("/limits") == [str(64 << 20), "512", "25000"]
    assert read("/nofile") == ["1024"]
    assert read("/shm") == [str(8 << 10)]
    assert read("/hosts") == ["10.1.2.3", "dyhost"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--security-opt", "seccomp=unconfined"],
            "Error response from daemon: The daemon on this platform does not support setting"
            " security options on build",
        ),
        (["--isolation", "hyperv"], 'Error response from daemon: Unsupported isolation: "hyperv"'),
    ],
)
def test_what_dockerd_refuses(
    docker: Docker, image: str, tmp_path: Path, flags: list[str], message: str
) -> None:
    result = docker.run("build", *flags, _context(tmp_path, f"FROM {image}\nRUN true\n"))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Step 1/" not in result.stdout


def test_cache_from_and_platform(
    docker: Docker, registry: Registry, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    multi = f"{registry.host}/test/multi:latest"
    cleanup += [("image", "apiflags:src"), ("image", "apiflags:again"), ("image", multi)]
    word = secrets.token_hex(4)  # steps the engine's cache has not seen
    context = _context(tmp_path, f"FROM {multi}\nRUN echo {word} | tee /word\n")
    first = docker.ok("build", "--platform", "linux/arm64", "-t", "apiflags:src", context)
    assert f"\n{word}\n" in first
    arch = docker.ok("image", "inspect", "-f", "{{.Architecture}}", "apiflags:src")
    assert arch == "arm64\n"
    docker.ok("builder", "prune", "-f")
    again = docker.ok(
        "build", "--platform", "linux/arm64", "--cache-from", "apiflags:src",
        "-t", "apiflags:again", context,
    )  # fmt: skip
    assert " ---> Using cache" in again and f"\n{word}\n" not in again
    layers = "{{json .RootFS.Layers}}"
    assert docker.ok("image", "inspect", "-f", layers, "apiflags:again") == docker.ok(
        "image", "inspect", "-f", layers, "apiflags:src"
    )
