"""Push and login against a real registry (open, htpasswd, token auth), credential helpers,
and interop with another OCI tool (skopeo) in both directions."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import PASSWORD, USER, Client, Registry

pytestmark = pytest.mark.integration


def pushed_manifest(registry: Registry, repository: str, tag: str) -> bytes:
    accept = {"Accept": f"{images.DOCKER_MANIFEST}, {images.OCI_MANIFEST}"}
    status, _, body = Client(registry).request(
        "GET", f"/v2/{repository}/manifests/{tag}", headers=accept
    )
    assert status == 200, body
    return body


def local_id(engine: Engine, ref: str) -> str:
    return engine.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()


def test_push_then_pull_back(engine: Engine, busybox: str, tmp_path: Path) -> None:
    with Registry.start(tmp_path) as registry:
        target = f"{registry.host}/pushed/busybox:v1"
        engine.ok("tag", busybox, target)
        out = engine.ok("push", target)
        lines = out.splitlines()
        assert lines[0] == f"The push refers to repository [{registry.host}/pushed/busybox]"
        assert lines[-2].endswith(": Pushed")
        manifest = pushed_manifest(registry, "pushed/busybox", "v1")
        digest = images.sha256(manifest)
        assert lines[-1] == f"v1: digest: {digest} size: {len(manifest)}"
        repo_digests = engine.ok("image", "inspect", "-f", "{{json .RepoDigests}}", target)
        assert f"{registry.host}/pushed/busybox@{digest}" in json.loads(repo_digests)
        again = engine.ok("push", target)
        assert ": Layer already exists" in again and ": Pushed" not in again
        other = f"{registry.host}/elsewhere/busybox:v2"
        engine.ok("tag", busybox, other)
        assert ": Mounted from pushed/busybox" in engine.ok("push", other)
        image_id = local_id(engine, target)
        engine.ok("rmi", target, other)
        engine.ok("pull", target)
        assert local_id(engine, target) == image_id  # the same config, byte for byte
        assert engine.ok("run", "--rm", target, "echo", "ok") == "ok\n"
        engine.ok("rmi", target)


def test_push_of_a_name_not_here_and_of_a_digest(engine: Engine, tmp_path: Path) -> None:
    with Registry.start(tmp_path) as registry:
        missing = engine.cli("push", f"{registry.host}/no/such:v1")
        assert missing.returncode == 1
        assert missing.stderr.strip() == (
            "Error response from daemon: An image does not exist locally with the tag: "
            f"{registry.host}/no/such:v1"
        )
        digest = engine.cli("push", f"{registry.host}/no/such@sha256:{'a' * 64}")
        assert digest.returncode == 1 and "cannot push a digest reference" in digest.stderr


@pytest.mark.parametrize("auth", ["basic", "token"])
def test_login_then_push_to_an_authenticated_registry(
    engine: Engine, busybox: str, tmp_path: Path, auth: str
) -> None:
    config = {"DOCKER_CONFIG": str(tmp_path / "docker")}
    with Registry.start(tmp_path, auth=auth) as registry:
        target = f"{registry.host}/private/busybox:v1"
        engine.ok("tag", busybox, target)
        refused = engine.cli("push", target, env=config)
        assert refused.returncode == 1 and "unauthorized" in refused.stderr
        wrong = engine.cli(
            "login", registry.host, "-u", USER, "--password-stdin", input="wrong\n", env=config
        )
        assert wrong.returncode == 1 and "unauthorized" in wrong.stderr
        assert not (tmp_path / "docker/config.json").exists()  # nothing stored
        out = engine.ok(
            "login", registry.host, "-u", USER, "--password-stdin", input=PASSWORD, env=config
        )
        assert out == "Login Succeeded\n"
        stored = json.loads((tmp_path / "docker/config.json").read_text())
        assert registry.host in stored["auths"]  # docker's own format: docker shares it
        assert (tmp_path / "docker/config.json").stat().st_mode & 0o077 == 0
        engine.ok("push", target, env=config)
        engine.ok("rmi", target)
        engine.ok("pull", target, env=config)
        assert engine.ok("logout", registry.host, env=config) == (
            f"Removing login credentials for {registry.host}\n"
        )
        engine.ok("rmi", target)
        anonymous = engine.cli("pull", target, env=config)
        assert anonymous.returncode == 1 and "unauthorized" in anonymous.stderr


HELPER = '''#!{python}
"""A docker credential helper that keeps its secrets in a JSON file (for the tests)."""
import json, sys
from pathlib import Path
store = Path({store!r})
found = json.loads(store.read_text()) if store.exists() else {{}}
action = sys.argv[1]
data = sys.stdin.read()
if action == "store":
    entry = json.loads(data)
    found[entry["ServerURL"]] = [entry["Username"], entry["Secret"]]
elif action == "get":
    if data.strip() not in found:
        print("credentials not found in native keychain")
        sys.exit(1)
    user, secret = found[data.strip()]
    print(json.dumps({{"ServerURL": data.strip(), "Username": user, "Secret": secret}}))
elif action == "erase":
    found.pop(data.strip(), None)
store.write_text(json.dumps(found))
'''


def test_a_credential_helper_keeps_the_secret(engine: Engine, busybox: str, tmp_path: Path) -> None:
    bin_dir, secrets = tmp_path / "bin", tmp_path / "secrets.json"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-dytest"
    helper.write_text(HELPER.format(python=sys.executable, store=str(secrets)))
    helper.chmod(0o755)
    config_dir = tmp_path / "docker"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps({"credsStore": "dytest"}))
    env = {"DOCKER_CONFIG": str(config_dir), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    with Registry.start(tmp_path, auth="basic") as registry:
        target = f"{registry.host}/helped/busybox:v1"
        engine.ok("tag", busybox, target)
        engine.ok("login", registry.host, "-u", USER, "--password-stdin", input=PASSWORD, env=env)
        assert json.loads(secrets.read_text()) == {registry.host: [USER, PASSWORD]}
        assert PASSWORD not in (config_dir / "config.json").read_text()
        engine.ok("push", target, env=env)
        engine.ok("rmi", target)
        engine.ok("pull", target, env=env)  # the credentials came from the helper
        engine.ok("logout", registry.host, env=env)
        assert json.loads(secrets.read_text()) == {}
        engine.ok("rmi", target)


def test_monolithic_and_chunked_uploads(tmp_path: Path) -> None:
    """The upload protocol itself, against the real registry: one PUT, then PATCHes."""
    from dockyard.services.images import upload
    from dockyard.services.images.registry import Registries
    from dockyard.services.images.registry_auth import Credentials

    data = os.urandom(300 * 1024)
    blob = tmp_path / "blob"
    blob.write_bytes(data)
    digest = images.sha256(data)

    async def push_both(host: str) -> tuple[bool, bool]:
        registries = Registries((), tmp_path)
        try:
            registry = registries.get(host, Credentials())
            await upload.upload(registry, "up/mono", digest, blob, len(data))
            await upload.upload(
                registry, "up/chunked", digest, blob, len(data), monolithic_max=0, chunk=64 << 10
            )
            return (
                await upload.exists(registry, "up/mono", digest),
                await upload.exists(registry, "up/chunked", digest),
            )
        finally:
            await registries.close()

    with Registry.start(tmp_path) as registry:
        assert asyncio.run(push_both(registry.host)) == (True, True)
        for repository in ("up/mono", "up/chunked"):
            status, _, body = Client(registry).request("GET", f"/v2/{repository}/blobs/{digest}")
            assert status == 200 and body == data


def test_skopeo_pulls_what_dockyard_pushed(engine: Engine, tmp_path: Path) -> None:
    layered = images.layered_image()
    with Registry.start(tmp_path) as registry:
        images.push(registry, "source/layered", "latest", layered)
        source = f"{registry.host}/source/layered"
        target = f"{registry.host}/interop/layered:v1"
        engine.ok("pull", source)
        engine.ok("tag", source, target)
        engine.ok("push", target)
        copied = tmp_path / "copied"
        subprocess.run(
            ["skopeo", "copy", "--src-tls-verify=false", f"docker://{target}", f"dir:{copied}"],
            check=True,
            capture_output=True,
        )
        manifest = json.loads((copied / "manifest.json").read_text())
        assert manifest["config"]["digest"] == layered.id
        assert [layer["digest"] for layer in manifest["layers"]] == [
            images.sha256(layer.blob) for layer in layered.layers
        ]
        for layer in layered.layers:
            assert (copied / images.sha256(layer.blob)[7:]).read_bytes() == layer.blob
        config = json.loads((copied / layered.id[7:]).read_text())
        assert config["config"] == {"Cmd": ["sh"]}
        engine.ok("rmi", source, target)


def test_push_all_tags_pushes_every_local_tag_of_the_repository(
    engine: Engine, busybox: str, registry: Registry
) -> None:
    """docker 20.10's push -a (moby's pushV2Repository): each local tag of the repository in
    lexical order, "The push refers to repository" said once; another repository's left."""
    repository = f"{registry.host}/pushed/alltags"
    names = [f"{repository}:b2", f"{repository}:a1", f"{repository}-other:c3"]
    for name in names:
        engine.ok("tag", busybox, name)
    try:
        out = engine.ok("push", "--all-tags", repository)
        lines = out.splitlines()
        assert lines[0] == f"The push refers to repository [{repository}]"
        assert out.count("The push refers to repository") == 1 and "Using default tag" not in out
        digests = [line.split(":", 1)[0] for line in lines if ": digest: sha256:" in line]
        assert digests == ["a1", "b2"]
        manifest = pushed_manifest(registry, "pushed/alltags", "b2")
        assert manifest == pushed_manifest(registry, "pushed/alltags", "a1")
        status, _, _ = Client(registry).request("GET", "/v2/pushed/alltags-other/tags/list")
        assert status == 404  # the other repository's tag was not pushed
        assert engine.ok("push", "-a", "-q", repository) == f"{repository}\n"
        tagged = engine.cli("push", "-a", f"{repository}:a1")
        assert (tagged.returncode, tagged.stdout) == (1, "")
        assert tagged.stderr == "tag can't be used with --all-tags/-a\n"
        none = engine.cli("push", "-a", f"{registry.host}/pushed/never-tagged")
        assert none.returncode == 1
        assert none.stderr == (
            "Error response from daemon: An image does not exist locally with the tag: "
            f"{registry.host}/pushed/never-tagged\n"
        )
    finally:
        engine.cli("rmi", *names)
