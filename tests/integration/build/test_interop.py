"""A built image is a valid OCI/Docker image to other tools: pushed as stored (its manifest,
config and layer blobs byte for byte) to a real registry, skopeo copies it (checking every
digest) and inspects its config and layers; pulled back, it runs with its config."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine
from tests.support.registry import Client, Registry

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed"),
]


def push_as_stored(engine: Engine, registry: Registry, image_id: str, repository: str) -> dict:  # type: ignore[type-arg]
    """Push the image's blobs and manifest from the engine's content store; its manifest."""
    with sqlite3.connect(engine.root / "images" / "metadata.db") as db:
        (manifest_json,) = db.execute(
            "SELECT manifest FROM images WHERE id = ?", (image_id,)
        ).fetchone()
    descriptor = json.loads(manifest_json)
    blobs = engine.root / "images" / "blobs" / "sha256"

    def blob(digest: str) -> bytes:
        return (blobs / digest.removeprefix("sha256:")).read_bytes()

    manifest = json.loads(blob(descriptor["digest"]))
    client = Client(registry)
    for layer in [manifest["config"], *manifest["layers"]]:
        client.push_blob(repository, blob(layer["digest"]), layer["digest"])
    client.push_manifest(repository, "v1", blob(descriptor["digest"]), descriptor["mediaType"])
    return manifest  # type: ignore[no-any-return]


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
    image_id = context.ok("-q", "-t", "interop").strip()
    manifest = push_as_stored(engine, registry, image_id, "build/interop")
    reference = f"docker://{registry.host}/build/interop:v1"
    copied = tmp_path / "copied"
    skopeo("copy", "--src-tls-verify=false", reference, f"dir:{copied}")  # every digest checked
    inspected = json.loads(skopeo("inspect", "--tls-verify=false", reference))
    assert inspected["Layers"] == [layer["digest"] for layer in manifest["layers"]]
    assert len(inspected["Layers"]) == 3  # busybox's, COPY's, RUN's
    config = json.loads(skopeo("inspect", "--tls-verify=false", "--config", reference))
    assert config["config"]["Cmd"] == ["cat", "/www/index.html", "/www/made"]
    assert "MODE=served" in config["config"]["Env"]
    assert len(config["rootfs"]["diff_ids"]) == 3
    engine.ok("rmi", "interop")
    pulled = f"{registry.host}/build/interop:v1"
    engine.ok("pull", pulled)
    assert engine.ok("run", "--rm", pulled) == "<p>built</p>\nmade\n"
