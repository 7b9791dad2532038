"""Images in and out of Dockyard through the Docker API, driven by the real docker CLI: push
to the tests' registry (and pull back), login to a registry with htpasswd credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker
from tests.support.registry import PASSWORD, USER, Registry

pytestmark = pytest.mark.integration


def test_push_and_pull_back(
    clients: Docker, image: str, registry: Registry, cleanup: list[tuple[str, str]]
) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    pushed = f"{registry.host}/pushed/app"
    cleanup += [("image", f"{pushed}:v1"), ("image", f"{pushed}:v2")]
    docker.ok("tag", image, f"{pushed}:v1")
    docker.ok("tag", image, f"{pushed}:v2")
    out = docker.ok("push", f"{pushed}:v1")
    assert f"The push refers to repository [{pushed}]" in out
    digest = out.splitlines()[-1]
    assert digest.startswith("v1: digest: sha256:") and " size: " in digest
    every = docker.ok("push", "--all-tags", pushed)  # each local tag, one after the other
    assert every.count("The push refers to repository") == 1
    assert "v1: digest: sha256:" in every and "v2: digest: sha256:" in every
    docker.ok("rmi", f"{pushed}:v1", f"{pushed}:v2")
    assert docker.ok("run", "--rm", f"{pushed}:v2", "echo", "pulled back") == "pulled back\n"
    repo_digests = docker.ok("image", "inspect", "-f", "{{json .RepoDigests}}", f"{pushed}:v2")
    assert f"{pushed}@{digest.split()[2]}" in json.loads(repo_digests)
    missing = docker.run("push", f"{registry.host}/pushed/never:v1")
    assert missing.returncode == 1
    assert "An image does not exist locally with the tag" in missing.stderr


def test_login_then_push_to_a_registry_with_passwords(
    clients: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    with Registry.start(tmp_path / "registry", auth="basic") as private:
        target = f"{private.host}/team/app:v1"
        cleanup.append(("image", target))
        docker.ok("tag", image, target)
        refused = docker.run("login", "-u", USER, "--password-stdin", private.host, input="wrong\n")
        assert refused.returncode == 1 and "unauthorized" in refused.stderr.lower()
        login = docker.run("login", "-u", USER, "--password-stdin", private.host, input=PASSWORD)
        assert login.returncode == 0 and "Login Succeeded" in login.stdout, login.stderr
        assert private.host in (docker.config / "config.json").read_text()
        assert "digest: sha256:" in docker.ok("push", target)
        docker.ok("rmi", target)  # a build FROM it pulls it with the client's credentials
        (tmp_path / "Dockerfile").write_text(f"FROM {target}\nRUN echo built on the private one\n")
        cleanup.append(("image", "from-private"))
        built = docker.ok("build", "-t", "from-private", str(tmp_path))
        assert "built on the private one" in built
        docker.ok("logout", private.host)
        anonymous = docker.run("push", target)
        assert anonymous.returncode == 1 and "unauthorized" in anonymous.stderr.lower()
