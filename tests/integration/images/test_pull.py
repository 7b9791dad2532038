"""Pulls from a real registry (Debian's docker-registry on loopback), through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import Client, Registry

pytestmark = pytest.mark.integration


def _blobs(engine: Engine) -> set[str]:
    return {p.name for p in (engine.root / "images/blobs/sha256").iterdir()}


def _ingests(engine: Engine) -> list[Path]:
    return list((engine.root / "images/ingest").iterdir())


def test_pull_by_tag_then_run(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/library/busybox"
    engine.cli("rmi", ref)  # the session's Docker API tests may have pulled it: a new tag here
    out = engine.ok("pull", ref)
    assert "Using default tag: latest" in out
    assert f"Status: Downloaded newer image for {ref}:latest" in out
    assert out.splitlines()[-1] == f"{ref}:latest"
    assert "Image is up to date" in engine.ok("pull", ref)
    assert engine.ok("run", "--rm", ref, "echo", "pulled") == "pulled\n"
    image_id = engine.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()
    assert image_id == images.busybox_image().id
    engine.ok("rmi", ref)


def test_an_up_to_date_pull_reads_as_docker_20_10s(engine: Engine, registry: Registry) -> None:
    """Recorded from dockerd 20.10 pulling the same image from the same kind of registry: the
    repository's path (not the registry's host), and no layer lines for an image it has."""
    ref = f"{registry.host}/library/busybox"
    engine.cli("rmi", ref)
    first = engine.ok("pull", ref).splitlines()
    assert first[:2] == ["Using default tag: latest", "latest: Pulling from library/busybox"]
    assert engine.ok("pull", ref) == (
        "Using default tag: latest\n"
        "latest: Pulling from library/busybox\n"
        f"Digest: {images.busybox_image().digest}\n"
        f"Status: Image is up to date for {ref}:latest\n"
        f"{ref}:latest\n"
    )
    engine.ok("rmi", ref)


def test_pull_by_digest_records_the_repo_digest(engine: Engine, registry: Registry) -> None:
    digest = images.busybox_image().digest
    ref = f"{registry.host}/library/busybox@{digest}"
    engine.ok("pull", ref)
    assert engine.ok("image", "inspect", "-f", "{{index .RepoDigests 0}}", ref).strip() == (
        f"{registry.host}/library/busybox@{digest}"
    )
    engine.ok("rmi", ref)


def test_the_image_config_is_merged(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/test/configured:v1"
    assert engine.ok("run", "--rm", ref) == "hello from the image\n"
    assert engine.ok("run", "--rm", ref, "sh", "-c", "pwd; id -u") == "/tmp\n65534\n"
    assert engine.ok("run", "--rm", "-e", "GREETING=overridden", ref) == "overridden\n"
    engine.ok("rmi", ref)


def test_an_index_resolves_to_the_hosts_platform_or_the_asked_one(
    engine: Engine, registry: Registry
) -> None:
    ref = f"{registry.host}/test/multi"
    engine.ok("pull", ref)
    assert engine.ok("image", "inspect", "-f", "{{.Architecture}}", ref) == "amd64\n"
    engine.ok("rmi", ref)
    engine.ok("pull", "--platform", "linux/arm64", ref)
    assert (
        engine.ok("image", "inspect", "-f", "{{.Architecture}} {{.Variant}}", ref) == "arm64 v8\n"
    )
    engine.ok("rmi", ref)
    missing = engine.cli("pull", "--platform", "linux/s390x", ref)
    assert missing.returncode == 1 and "no matching manifest for linux/s390x" in missing.stderr


def test_whiteouts_and_opaque_directories_apply(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/test/layered"
    script = (
        "ls /data; echo --; ls /data/dir; echo --; cat /etc/motd; test -e /bin/true || echo no-true"
    )
    out = engine.ok("run", "--rm", ref, "sh", "-c", script)
    assert out == "dir\nkeep\n--\nnew\n--\nlayer two\nno-true\n"
    engine.ok("rmi", ref)


def test_layers_shared_by_two_images_are_stored_once(engine: Engine, tmp_path: Path) -> None:
    shared = images.unique_layer()
    first = images.Image([images.busybox_layer(), shared], {"Cmd": ["true"]})
    second = images.Image(
        [images.busybox_layer(), shared, images.unique_layer()], {"Cmd": ["true"]}
    )
    with Registry.start(tmp_path) as registry:
        images.push(registry, "test/first", "latest", first)
        images.push(registry, "test/second", "latest", second)
        before = engine.snapshot_dirs()
        engine.ok("pull", f"{registry.host}/test/first")
        out = engine.ok("pull", f"{registry.host}/test/second")
        assert f"{images.sha256(shared.blob)[7:19]}: Already exists" in out
        new = engine.snapshot_dirs() - before
        assert len(new) in (3, 2)  # busybox's own layer may already be there from another test
        blob = images.sha256(shared.blob).removeprefix("sha256:")
        assert blob in _blobs(engine)
        engine.ok("rmi", f"{registry.host}/test/first", f"{registry.host}/test/second")
        assert blob not in _blobs(engine)
        assert engine.snapshot_dirs() <= before


def test_rmi_frees_blobs_and_snapshots(engine: Engine, tmp_path: Path) -> None:
    image = images.Image([images.unique_layer(), images.unique_layer()], {"Cmd": ["true"]})
    with Registry.start(tmp_path) as registry:
        images.push(registry, "test/freed", "latest", image)
        before_blobs, before_snapshots = _blobs(engine), engine.snapshot_dirs()
        ref = f"{registry.host}/test/freed"
        engine.ok("pull", ref)
        assert len(engine.snapshot_dirs() - before_snapshots) == 2
        assert len(_blobs(engine) - before_blobs) == 4  # two layers, the config, the manifest
        out = engine.ok("rmi", ref)
        assert f"Untagged: {ref}:latest" in out and f"Deleted: {image.id}" in out
        assert _blobs(engine) == before_blobs
        assert engine.snapshot_dirs() == before_snapshots


def test_rmi_of_an_image_a_container_uses_is_refused(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/library/busybox"
    engine.ok("pull", ref)
    engine.ok("create", "--name", "user-of-image", ref, "true")
    refused = engine.cli("rmi", ref)
    assert (
        refused.returncode == 1
        and "container" in refused.stderr
        and "is using its referenced image" in refused.stderr
    )
    engine.ok("rm", "user-of-image")
    engine.ok("rmi", ref)


def test_rmi_conflicts_are_dockerds_by_name_and_by_id(engine: Engine, registry: Registry) -> None:
    """dockerd 20.10's order: by its last name, any container using it is a "must force"
    (running or not), and forced, a running one keeps the image (only the name goes); by ID, a
    running one cannot be forced and a stopped one must be."""
    ref = f"{registry.host}/library/busybox"
    engine.ok("pull", ref)
    image = engine.ok("image", "inspect", "-f", "{{.Id}}", ref).strip().removeprefix("sha256:")
    running = engine.ok("run", "-d", ref, "sleep", "60").strip()
    by_name = engine.cli("rmi", ref)
    assert by_name.stderr == (
        f'Error response from daemon: conflict: unable to remove repository reference "{ref}" '
        f"(must force) - container {running[:12]} is using its referenced image {image[:12]}\n"
    )
    by_id = engine.cli("rmi", image[:12])
    assert by_id.stderr == (
        f"Error response from daemon: conflict: unable to delete {image[:12]} (cannot be "
        f"forced) - image is being used by running container {running[:12]}\n"
    )
    forced = engine.cli("rmi", "-f", ref)  # dockerd takes the name away, keeps the image
    assert (forced.returncode, forced.stdout) == (0, f"Untagged: {ref}:latest\n"), forced.stderr
    assert engine.ok("image", "inspect", "-f", "{{.RepoTags}}", image) == "[]\n"
    assert engine.ok("inspect", "-f", "{{.State.Running}}", running) == "true\n"
    engine.ok("rm", "-f", running)
    engine.ok("tag", image, ref)
    stopped = engine.ok("create", ref, "true").strip()
    by_id = engine.cli("rmi", image[:12])
    assert by_id.stderr == (
        f"Error response from daemon: conflict: unable to delete {image[:12]} (must be "
        f"forced) - image is being used by stopped container {stopped[:12]}\n"
    )
    engine.ok("rm", stopped)
    engine.ok("rmi", ref)


def test_registry_down_is_one_clear_error(engine: Engine) -> None:
    result = engine.cli("pull", "127.0.0.1:1/library/busybox")
    assert result.returncode == 1
    assert "connection refused" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_tag_and_malformed_reference(engine: Engine, registry: Registry) -> None:
    result = engine.cli("pull", f"{registry.host}/library/busybox:nope")
    assert result.returncode == 1
    assert result.stderr == (  # docker 20.10's words: the registry's code, then its message
        f"Error response from daemon: manifest for {registry.host}/library/busybox:nope not "
        "found: manifest unknown: manifest unknown\n"
    )
    assert result.stdout == ""  # no "Pulling from" for what the registry does not have
    result = engine.cli("pull", "UPPER/case")
    assert (
        result.returncode == 1
        and "invalid reference format: repository name must be lowercase" in result.stderr
    )


def test_run_pulls_a_missing_image(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/library/busybox"
    result = engine.cli("run", "--rm", ref, "echo", "fresh")
    assert result.returncode == 0
    assert result.stdout == "fresh\n"
    assert f"Unable to find image '{ref}:latest' locally" in result.stderr
    engine.ok("rmi", ref)


def test_a_blob_that_does_not_match_its_digest_is_refused(engine: Engine, tmp_path: Path) -> None:
    with Registry.start(tmp_path) as registry:
        image = images.Image([images.busybox_layer(), images.unique_layer(), images.unique_layer()])
        images.push(registry, "test/corrupt", "latest", image)
        layer = images.sha256(image.layers[2].blob)
        registry.blob_path(layer).write_bytes(b"not the layer at all")
        blobs, layers = _blobs(engine), engine.snapshot_dirs()
        result = engine.cli("pull", f"{registry.host}/test/corrupt")
        assert result.returncode == 1
        assert "failed to verify blob" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert engine.cli("image", "inspect", f"{registry.host}/test/corrupt").returncode == 1
        assert _blobs(engine) == blobs  # nothing half-stored: not even the blobs that verified
        assert engine.snapshot_dirs() == layers


@pytest.mark.parametrize("auth", ["basic", "token"])
def test_authenticated_registries(engine: Engine, tmp_path: Path, auth: str) -> None:
    with Registry.start(tmp_path, auth=auth) as registry:
        images.push(registry, "private/busybox", "latest", images.busybox_image())
        ref = f"{registry.host}/private/busybox"
        config = {"DOCKER_CONFIG": str(tmp_path / "cli")}
        anonymous = engine.cli("pull", ref, env=config)
        assert anonymous.returncode == 1 and "unauthorized" in anonymous.stderr
        wrong = engine.cli("login", registry.host, "-u", "dockyard", "-p", "wrong", env=config)
        assert wrong.returncode == 1 and "unauthorized" in wrong.stderr
        engine.ok("login", registry.host, "-u", "dockyard", "-p", "s3cret-password", env=config)
        engine.ok("pull", ref, env=config)
        assert engine.ok("run", "--rm", ref, "echo", auth, env=config) == f"{auth}\n"
        engine.ok("rmi", ref)


def test_https_registry_with_its_ca_in_certs_d(engine: Engine, tmp_path: Path) -> None:
    with Registry.start(tmp_path, tls=True) as registry:
        images.push(registry, "secure/busybox", "latest", images.busybox_image())
        ref = f"{registry.host}/secure/busybox"
        untrusted = engine.cli("pull", ref)
        assert untrusted.returncode == 1 and "certificate" in untrusted.stderr.lower()
        certs = engine.config.parent / "certs.d" / registry.host
        certs.mkdir(parents=True)
        assert registry.ca is not None
        (certs / "ca.crt").write_bytes(registry.ca.read_bytes())
        engine.ok("pull", ref)
        engine.ok("rmi", ref)


def test_an_insecure_registry_from_the_daemon_config(engine: Engine, tmp_path: Path) -> None:
    with Registry.start(tmp_path, ip="127.0.0.3") as registry:
        images.push(registry, "plain/busybox", "latest", images.busybox_image())
        engine.ok("pull", f"{registry.host}/plain/busybox")
        engine.ok("rmi", f"{registry.host}/plain/busybox")


def test_bearer_tokens_are_cached_per_repository(engine: Engine, tmp_path: Path) -> None:
    with Registry.start(tmp_path, auth="token") as registry:
        assert registry.token_server is not None
        issued = registry.token_server.issued
        for name in ("first", "second"):
            images.push(registry, f"cached/{name}", "latest", images.busybox_image())
        config = {"DOCKER_CONFIG": str(tmp_path / "cli")}
        engine.ok("login", registry.host, "-u", "dockyard", "-p", "s3cret-password", env=config)
        first, second = (f"{registry.host}/cached/{name}" for name in ("first", "second"))
        engine.ok("pull", first, env=config)
        asked = len(issued)
        engine.ok("rmi", first)
        engine.ok("pull", first, env=config)
        assert len(issued) == asked  # the token for first's repository was still good
        engine.ok("pull", second, env=config)
        assert issued[asked:] == ["repository:cached/second:pull"]  # another repository
        engine.ok("rmi", first, second)


def test_a_layer_unpacked_from_an_import_still_gets_its_blob(
    engine: Engine, busybox: str, registry: Registry
) -> None:
    """The imported busybox and the registry's share their layer (one diff id): the pull finds
    it unpacked, yet keeps its blob, for a push of the pulled image sends that blob."""
    ref = f"{registry.host}/library/busybox"
    engine.cli("rmi", ref)
    image = images.busybox_image()
    engine.ok("pull", ref)
    assert {images.sha256(layer.blob)[7:] for layer in image.layers} <= _blobs(engine)
    copy = f"{registry.host}/copies/busybox:pushed"
    engine.ok("tag", ref, copy)
    try:
        engine.ok("push", copy)
    finally:
        engine.cli("rmi", ref, copy)


def test_a_layer_there_without_its_blob_reads_pull_complete(
    engine: Engine, registry: Registry, tmp_path: Path
) -> None:
    """Its rootfs imported first, an image's only layer is unpacked but its blob is not here:
    the pull downloads the blob and says "Pull complete", as docker's does, not "Already
    exists" (that is for a layer whose blob is here too)."""
    layer = images.unique_layer()
    rootfs = tmp_path / "rootfs.tar"
    rootfs.write_bytes(layer.tar)
    engine.ok("import", str(rootfs), "unpacked-first:v1")
    ref = f"{registry.host}/unpacked/first:v1"
    images.push(registry, "unpacked/first", "v1", images.Image([layer]))
    pulled = engine.ok("pull", ref)
    short = images.sha256(layer.blob)[7:19]
    assert f"{short}: Pull complete\n" in pulled and "Already exists" not in pulled
    engine.ok("rmi", ref, "unpacked-first:v1")


@pytest.mark.parametrize("compression", ["zstd", ""])
def test_zstd_and_uncompressed_layers_pull_and_run(
    engine: Engine, registry: Registry, compression: str
) -> None:
    """OCI's tar+zstd (BuildKit's and podman's `--compression zstd`) and a plain tar: each
    layer is unpacked, its diff ID checked against the uncompressed tar."""
    marker = images.unique_layer()
    layers = [images.busybox_layer(), images.Layer(marker.tar, compression)]
    image = images.Image(layers, {"Cmd": ["sh"]}, oci=True)
    repository = f"formats/{compression or 'plain'}"
    images.push(registry, repository, "v1", image)
    ref = f"{registry.host}/{repository}:v1"
    try:
        engine.ok("pull", ref)
        listed = engine.ok("run", "--rm", ref, "sh", "-c", "ls / | grep unique-")
        assert listed.startswith("unique-")
    finally:
        engine.cli("rmi", ref)


def test_a_corrupt_zstd_layer_is_one_line_and_leaves_nothing(
    engine: Engine, registry: Registry
) -> None:
    good = images.Layer(images.unique_layer().tar, "zstd")
    blob = bytearray(good.blob)
    blob[len(blob) // 2] ^= 0xFF  # damaged inside the frame: its digest is its own, the tar not
    image = images.Image([images.busybox_layer(), good], {"Cmd": ["sh"]}, oci=True)
    doc = json.loads(image.manifest_bytes())
    doc["layers"][-1]["digest"] = images.sha256(bytes(blob))
    doc["layers"][-1]["size"] = len(blob)
    client = Client(registry)
    client.push_blob("formats/corrupt", bytes(blob), images.sha256(bytes(blob)))
    for layer in image.layers[:1]:
        client.push_blob("formats/corrupt", layer.blob, images.sha256(layer.blob))
    config = image.config_bytes()
    client.push_blob("formats/corrupt", config, images.sha256(config))
    client.push_manifest("formats/corrupt", "v1", json.dumps(doc).encode(), images.OCI_MANIFEST)
    result = engine.cli("pull", f"{registry.host}/formats/corrupt:v1")
    assert result.returncode == 1, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert images.sha256(bytes(blob))[7:] not in _blobs(engine)
    assert "formats/corrupt" not in engine.ok("images")


def test_run_and_create_pull_as_pull_says(engine: Engine, registry: Registry) -> None:
    """--pull missing (the default), always (asks the registry even when the image is here:
    docker's progress, without "Unable to find image") and never (a missing image is an
    error, nothing asked of the registry); another word is refused as docker's CLI does."""
    ref = f"{registry.host}/test/configured:v1"
    engine.cli("rmi", ref)
    never = engine.cli("run", "--rm", "--pull", "never", ref)
    assert never.returncode == 125 and "No such image" in never.stderr, never.stderr
    assert engine.cli("create", "--pull", "never", ref).returncode != 0
    assert engine.cli("image", "inspect", ref).returncode == 1  # nothing was pulled
    first = engine.cli("run", "--rm", ref)
    assert first.stdout == "hello from the image\n" and "Unable to find image" in first.stderr
    again = engine.cli("run", "--rm", "--pull", "always", ref)
    assert again.stdout == "hello from the image\n", again.stderr
    assert "Image is up to date" in again.stderr and "Unable to find" not in again.stderr
    created = engine.cli("create", "--pull", "always", ref)
    assert created.returncode == 0 and "Image is up to date" in created.stderr, created.stderr
    engine.ok("rm", created.stdout.strip())
    assert engine.ok("run", "--rm", "--pull", "never", ref) == "hello from the image\n"
    bad = engine.cli("run", "--pull", "sometimes", ref)
    assert bad.returncode == 125
    assert bad.stderr.splitlines()[0] == (
        "dockyard: invalid pull option: 'sometimes': must be one of "
        '"always", "missing" or "never".'
    ), bad.stderr
    engine.ok("rmi", ref)
    pulled = engine.cli("create", ref)  # docker's: refused for want of the image, pulled, made
    assert pulled.returncode == 0 and "Unable to find image" in pulled.stderr, pulled.stderr
    engine.ok("rm", pulled.stdout.strip())
    engine.ok("rmi", ref)


def test_pull_all_tags_pulls_each_tag_the_registry_lists(
    engine: Engine, registry: Registry
) -> None:
    """docker 20.10's pull -a (moby's pullV2Repository): every tag in the registry's order,
    each with its lines and digest, then one status for the repository and its name alone."""
    repository = f"{registry.host}/test/alltags"
    one = images.busybox_image(Env=["TAG=one"])
    two = images.busybox_image(Env=["TAG=two"])
    images.push(registry, "test/alltags", "one", one)
    images.push(registry, "test/alltags", "two", two)
    try:
        out = engine.ok("pull", "-a", repository)
        lines = out.splitlines()
        assert lines[0] == "one: Pulling from test/alltags"
        assert "Using default tag" not in out
        starts = [line for line in lines if ": Pulling from " in line or line.startswith("Digest")]
        assert starts == [
            "one: Pulling from test/alltags",
            f"Digest: {one.digest}",
            "two: Pulling from test/alltags",
            f"Digest: {two.digest}",
        ]
        assert lines[-2:] == [f"Status: Downloaded newer image for {repository}", repository]
        for tag, word in (("one", "one"), ("two", "two")):
            assert engine.ok("run", "--rm", f"{repository}:{tag}", "sh", "-c", "echo $TAG") == (
                f"{word}\n"
            )
        again = engine.ok("image", "pull", "--all-tags", "-q", repository)
        assert again == f"{repository}\n"
        assert "Status: Image is up to date for " in engine.ok("pull", "-a", repository)
    finally:
        engine.cli("rmi", f"{repository}:one", f"{repository}:two")

    tagged = engine.cli("pull", "-a", f"{repository}:one")
    assert (tagged.returncode, tagged.stdout) == (1, "")
    assert tagged.stderr == "tag can't be used with --all-tags/-a\n"
    missing = engine.cli("pull", "-a", f"{registry.host}/test/never-pushed")
    assert missing.returncode == 1
    assert missing.stderr == (
        f"Error response from daemon: pull access denied for {registry.host}/test/never-pushed, "
        "repository does not exist or may require 'docker login': "
        "name unknown: repository name not known to registry\n"
    )
