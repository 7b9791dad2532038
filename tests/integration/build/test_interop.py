"""A built image is a valid OCI/Docker image to other tools: pushed by `dockyard push` to a real
registry, skopeo copies it (checking every digest) and inspects its config and layers; pulled
back after rmi, it runs with its config."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine
from tests.support.registry import Registry

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed"),
]


def skopeo(*args: str) -> str:
    done = subprocess.run(
        ["skopeo", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_skopeo_reads_what_the_builder_made(
    context: Context, engine: Engine, registry: Registry, busybox: str, tmp_path: Path
) -> None:
    context.write("page.html", "<p>built</p>\n")
    context.dockerfile(
        f"FROM {busybox}\n"
        "COPY page.html /www/index.html\n"
        "RUN echo made > /www/made\n"
        "ENV MODE=served\n"
        'CMD ["cat", "/www/index.html", "/www/made"]\n'
    )
    name = f"{registry.host}/build/interop:v1"
    image_id = context.ok("-q", "-t", name).strip()
    engine.ok("push", name)
    reference = f"docker://{name}"
    copied = tmp_path / "copied"
    skopeo("copy", "--src-tls-verify=false", reference, f"dir:{copied}")  # every digest checked
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", reference))
    assert len(inspected["Layers"]) == 3  # busybox's, COPY's, RUN's
    raw = skopeo("inspect", "--tls-verify=false", "--raw", "--config", reference)
    assert "sha256:" + hashlib.sha256(raw.encode()).hexdigest() == image_id
    config = json.loads(skopeo("inspect", "--tls-verify=false", "--config", reference))
    assert config["config"]["Cmd"] == ["cat", "/www/index.html", "/www/made"]
    assert "MODE=served" in config["config"]["Env"]
    assert len(config["rootfs"]["diff_ids"]) == 3
    engine.ok("rmi", name)
    engine.ok("pull", name)
    assert engine.ok("run", "--rm", name) == "<p>built</p>\nmade\n"
    engine.ok("rmi", name)
