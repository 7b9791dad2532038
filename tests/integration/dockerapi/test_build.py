"""`docker build` through the Docker API (the classic builder's wire: a tar context, streamed
JSON, `Successfully built`), driven by the real docker CLI and by docker-py: images from a
Dockerfile FROM the tests' busybox, the cache (and its prune), build args, targets, labels,
.dockerignore, and a failing RUN's exit code. docker-py's build is in test_docker_py.py."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration

DOCKERFILE = """\
FROM {image} AS base
ARG GREETING=hello
RUN echo "$GREETING" > /greeting
COPY . /context/
FROM base AS final
LABEL stage=final
RUN cat /greeting
CMD ["cat", "/greeting"]
"""


def _context(tmp_path: Path, image: str) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE.format(image=image))
    (tmp_path / "kept.txt").write_text("kept\n")
    (tmp_path / "secret.txt").write_text("never sent\n")
    (tmp_path / ".dockerignore").write_text("secret.txt\n")
    return tmp_path


def test_build_tag_cache_args_and_target(
    clients: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    docker = clients
    context = _context(tmp_path, image)
    cleanup += [("image", "built:v1"), ("image", "built:base")]
    greeting = f"GREETING=hi-{secrets.token_hex(4)}"  # a build the engine's cache has not seen
    word = greeting.partition("=")[2]
    first = docker.ok("build", "-t", "built:v1", "--build-arg", greeting, str(context))
    assert "Step 1/8 : FROM" in first and f"\n{word}\n" in first  # the RUN's output streamed
    built = first.splitlines()[-2].removeprefix("Successfully built ")
    assert first.splitlines()[-1] == "Successfully tagged built:v1"
    image_id = docker.ok("image", "inspect", "-f", "{{.Id}}", "built:v1").strip()
    assert image_id.removeprefix("sha256:").startswith(built) and len(built) == 12
    assert docker.ok("run", "--rm", "built:v1") == f"{word}\n"
    listing = docker.ok("run", "--rm", "built:v1", "ls", "/context")
    assert "kept.txt" in listing.split() and "secret.txt" not in listing  # .dockerignore
    labels = docker.ok("image", "inspect", "-f", "{{json .Config.Labels}}", "built:v1")
    assert '"stage":"final"' in labels
    again = docker.ok("build", "-t", "built:v1", "--build-arg", greeting, str(context))
    assert " ---> Using cache" in again and "Running in" not in again  # no RUN ran again
    assert f"Successfully built {built}" in again
    quiet = docker.ok("build", "-q", "--target", "base", "-t", "built:base", str(context))
    base_id = docker.ok("image", "inspect", "-f", "{{.Id}}", "built:base").strip()
    assert quiet.strip() == base_id != image_id
    labels = docker.ok("image", "inspect", "-f", "{{json .Config.Labels}}", "built:base")
    assert "stage" not in labels  # the stage after the target was not built
    pruned = docker.ok("builder", "prune", "-af")
    assert pruned.splitlines()[-1].startswith("Total reclaimed space:")  # (its layers are the
    # tagged images' too here, so they stay)
    after = docker.ok("build", "-t", "built:v1", "--build-arg", greeting, str(context))
    assert "Running in" in after  # the cache is gone: the RUNs ran again


def test_a_failing_run_is_its_exit_code_and_a_bad_dockerfile_one_line(
    clients: Docker, image: str, tmp_path: Path
) -> None:
    docker = clients
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nRUN echo trying; exit 3\n")
    failed = docker.run("build", "-t", "never-tagged", str(tmp_path))
    assert failed.returncode == 3, failed.stderr
    assert "trying" in failed.stdout
    assert "The command '/bin/sh -c echo trying; exit 3' returned a non-zero code: 3" in (
        failed.stderr
    )
    assert docker.run("image", "inspect", "never-tagged").returncode == 1
    (tmp_path / "Dockerfile").write_text(f"FROM {image}\nBOGUS x\n")
    bad = docker.run("build", str(tmp_path))
    assert bad.returncode == 1
    assert "Error response from daemon: dockerfile parse error" in bad.stderr
    assert "unknown instruction: BOGUS" in bad.stderr


def test_builder_prune_filters_through_the_api(docker: Docker) -> None:
    """POST /build/prune's filters and keep-storage reach the engine, checked in dockerd's words."""
    assert docker.ok("builder", "prune", "-f", "--filter", "until=87600h").splitlines()[-1] == (
        "Total reclaimed space: 0B"  # nothing is ten years old
    )
    refused = docker.run("builder", "prune", "-f", "--filter", "colour=red")
    assert refused.returncode == 1  # the 28.x client prints its legacy-builder note first
    assert refused.stderr.splitlines()[-1] == "Error response from daemon: Invalid filter 'colour'"
