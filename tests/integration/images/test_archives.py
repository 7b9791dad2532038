"""save, load, import and export: tar files in docker's and OCI's formats, both ways, and
interop with skopeo (docker-archive and oci-archive)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import CLI, Engine
from tests.support.faults import own_bridge
from tests.support.registry import Registry

pytestmark = pytest.mark.integration


def image_id(engine: Engine, ref: str) -> str:
    return engine.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()


@pytest.fixture
def fresh_engine() -> Iterator[Engine]:
    """An engine of its own, with nothing in it: where a saved image is loaded."""
    base = Path(tempfile.mkdtemp(prefix="dy-load-"))
    engine = Engine.start(base, {"dns": ["127.0.0.1"], **own_bridge()})
    try:
        yield engine
    finally:
        leaks = engine.shut_down()
        shutil.rmtree(base, ignore_errors=True)
        assert not leaks, f"the engine left behind: {leaks}"


def test_save_then_load_gives_the_same_image(
    engine: Engine, fresh_engine: Engine, registry: Registry, tmp_path: Path
) -> None:
    ref = f"{registry.host}/test/layered"
    layered = images.layered_image()
    engine.ok("pull", ref)
    archive = tmp_path / "layered.tar"
    assert engine.ok("save", "-o", str(archive), ref) == ""
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
    assert {"oci-layout", "index.json", "manifest.json"} <= names
    assert manifest == [
        {
            "Config": f"blobs/sha256/{layered.id[7:]}",
            "RepoTags": [f"{ref}:latest"],
            "Layers": [f"blobs/sha256/{images.sha256(layer.blob)[7:]}" for layer in layered.layers],
        }
    ]
    assert index["manifests"][0]["digest"] == layered.digest
    for source in (f"docker-archive:{archive}", f"oci-archive:{archive}"):  # others read it
        config = skopeo("inspect", "--config", "--raw", source).rstrip("\n")
        assert images.sha256(config.encode()) == layered.id
    engine.ok("rmi", ref)
    assert fresh_engine.ok("images", "-q") == ""
    assert fresh_engine.ok("load", "-i", str(archive)) == f"Loaded image: {ref}:latest\n"
    assert image_id(fresh_engine, ref) == layered.id
    assert fresh_engine.ok("run", "--rm", ref, "cat", "/etc/motd") == "layer two\n"


def test_save_to_a_pipe_and_load_from_stdin(engine: Engine, busybox: str) -> None:
    saved = subprocess.run(
        [CLI, "-H", engine.host, "save", busybox], capture_output=True, check=True
    ).stdout
    engine.ok("tag", busybox, "piped/busybox:v1")
    by_id = subprocess.run(
        [CLI, "-H", engine.host, "save", image_id(engine, busybox)],
        capture_output=True,
        check=True,
    ).stdout
    engine.ok("rmi", "piped/busybox:v1")
    loaded = subprocess.run(
        [CLI, "-H", engine.host, "load"], input=by_id, capture_output=True, check=True
    )
    assert loaded.stdout.decode() == f"Loaded image ID: {image_id(engine, busybox)}\n"
    with tarfile.open(fileobj=io.BytesIO(saved)) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest[0]["RepoTags"] == ["busybox:latest"]


def test_a_load_over_a_name_says_which_image_it_took_the_name_from(
    engine: Engine, busybox: str
) -> None:
    """docker's notice when a loaded image takes a name another image had."""
    engine.ok("tag", busybox, "renamed/x:v1")
    saved = subprocess.run(
        [CLI, "-H", engine.host, "save", "renamed/x:v1"], capture_output=True, check=True
    ).stdout
    engine.ok("run", "--name", "renamer", busybox, "touch", "/made")
    engine.ok("commit", "renamer", "renamed/x:v1")
    engine.ok("rm", "renamer")
    other = image_id(engine, "renamed/x:v1")
    try:
        loaded = subprocess.run(
            [CLI, "-H", engine.host, "load"], input=saved, capture_output=True, check=True
        )
        assert loaded.stdout.decode() == (
            f"The image renamed/x:v1 already exists, renaming the old one with ID {other} "
            "to empty string\nLoaded image: renamed/x:v1\n"
        )
        assert image_id(engine, "renamed/x:v1") == image_id(engine, busybox)
        again = subprocess.run(
            [CLI, "-H", engine.host, "load"], input=saved, capture_output=True, check=True
        )
        assert again.stdout.decode() == "Loaded image: renamed/x:v1\n"  # its own name: no notice
    finally:
        engine.cli("rmi", "renamed/x:v1", other)


def test_skopeo_archives_load(engine: Engine, tmp_path: Path) -> None:
    layered = images.layered_image()
    with Registry.start(tmp_path) as registry:
        images.push(registry, "skopeo/layered", "v1", layered)
        source = f"docker://{registry.host}/skopeo/layered:v1"
        docker_archive = tmp_path / "docker.tar"
        oci_archive = tmp_path / "oci.tar"
        for target in (
            f"docker-archive:{docker_archive}:skopeo/copied:v2",
            f"oci-archive:{oci_archive}:v3",
        ):
            subprocess.run(
                ["skopeo", "copy", "--src-tls-verify=false", source, target],
                check=True,
                capture_output=True,
            )
    assert engine.ok("load", "-i", str(docker_archive)) == "Loaded image: skopeo/copied:v2\n"
    assert image_id(engine, "skopeo/copied:v2") == layered.id
    engine.ok("rmi", "skopeo/copied:v2")
    out = engine.ok("load", "-i", str(oci_archive))  # a bare tag names no repository
    config_id = oci_config_digest(oci_archive)  # skopeo rewrites the config to OCI's
    assert out == f"Loaded image ID: {config_id}\n"
    assert engine.ok("run", "--rm", config_id, "cat", "/etc/motd") == "layer two\n"
    engine.ok("rmi", config_id)


def skopeo(*args: str) -> str:
    return subprocess.run(["skopeo", *args], capture_output=True, check=True, text=True).stdout


def oci_config_digest(archive: Path) -> str:
    with tarfile.open(archive) as tar:
        index = json.loads(tar.extractfile("index.json").read())  # type: ignore[union-attr]
        digest = index["manifests"][0]["digest"]
        manifest = json.loads(tar.extractfile(f"blobs/sha256/{digest[7:]}").read())  # type: ignore[union-attr]
    return str(manifest["config"]["digest"])


@dataclass(frozen=True)
class Symlink:
    target: str


def bad_archive(tmp_path: Path, files: dict[str, bytes | Symlink]) -> Path:
    path = tmp_path / "bad.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, Symlink):
                info.type, info.linkname = tarfile.SYMTYPE, data.target
                tar.addfile(info)
                continue
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def store_state(engine: Engine) -> tuple[set[Path], str, set[Path]]:
    """What a failed load must leave as it was: blobs, images, layer snapshots."""
    root = engine.root
    blobs = set((root / "images/blobs/sha256").iterdir())
    snapshots = engine.snapshot_dirs()
    return blobs, engine.ok("images", "-a", "--no-trunc", "-q"), snapshots


def assert_one_line_error(
    engine: Engine, result: subprocess.CompletedProcess[str], text: str
) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], result.stderr
    assert list((engine.root / "images/ingest").iterdir()) == []


BUSYBOX_CONFIG = images.busybox_image().config_bytes()
DOCKER_MANIFEST = b'[{"Config": "c.json", "Layers": ["l.tar"]}]'
MISSING = "ab" * 32
OCI_INDEX = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": images.OCI_INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": f"sha256:{MISSING}",
                "size": 300,
            }
        ],
    }
).encode()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"hello.txt": b"hi"}, "holds no manifest.json nor index.json"),
        ({"manifest.json": b"{not json"}, "manifest.json is not valid JSON"),
        ({"manifest.json": b'[{"Config": 5, "Layers": []}]'}, "Config: expected a string"),
        ({"manifest.json": b'[{"Config": "c.json", "Layers": []}]'}, "c.json is missing"),
        (
            {
                "manifest.json": b'[{"Config": "c.json", "Layers": ["../../etc/passwd"]}]',
                "c.json": BUSYBOX_CONFIG,
            },
            "../../etc/passwd reaches outside the archive",
        ),
        (
            {"manifest.json": DOCKER_MANIFEST, "c.json": BUSYBOX_CONFIG, "../l.tar": b"x"},
            "../l.tar reaches outside the archive",
        ),
        (
            {
                "manifest.json": DOCKER_MANIFEST,
                "c.json": BUSYBOX_CONFIG,
                "l.tar": Symlink("/etc/passwd"),
            },
            "l.tar links to the absolute path /etc/passwd",
        ),
        (
            {"manifest.json": DOCKER_MANIFEST, "c.json": BUSYBOX_CONFIG, "l.tar": Symlink("../x")},
            "l.tar reaches outside the archive",
        ),
        (
            {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}', "index.json": OCI_INDEX},
            f"blobs/sha256/{MISSING} is missing",
        ),
        (
            {
                "manifest.json": DOCKER_MANIFEST,
                "c.json": BUSYBOX_CONFIG,
                "l.tar": images.unique_layer().tar,
            },
            "diff ID mismatch",  # a layer here already: the blob is checked all the same
        ),
        (
            {
                "manifest.json": DOCKER_MANIFEST,
                "c.json": images.Image([images.unique_layer()]).config_bytes(),
                "l.tar": images.unique_layer().tar,
            },
            "diff ID mismatch",  # a new layer: checked as it is unpacked
        ),
    ],
)
def test_a_bad_archive_is_one_clear_error(
    engine: Engine, busybox: str, tmp_path: Path, files: dict[str, bytes | Symlink], message: str
) -> None:
    before = store_state(engine)
    result = engine.cli("load", "-i", str(bad_archive(tmp_path, files)))
    assert_one_line_error(engine, result, message)
    assert store_state(engine) == before


def test_a_truncated_archive_changes_nothing(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/test/layered"
    engine.ok("pull", ref)
    saved = subprocess.run(
        [CLI, "-H", engine.host, "save", ref], capture_output=True, check=True
    ).stdout
    engine.ok("rmi", ref)
    before = store_state(engine)
    for cut in (len(saved) // 2, len(saved) - 2 * 512 - 1):  # in a layer; in the last member
        result = subprocess.run(
            [CLI, "-H", engine.host, "load"], input=saved[:cut], capture_output=True
        )
        decoded = subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
        )
        assert_one_line_error(engine, decoded, "unexpected end of data")
        assert store_state(engine) == before
    loaded = subprocess.run(
        [CLI, "-H", engine.host, "load"], input=saved, capture_output=True, check=True
    )
    assert loaded.stdout.decode() == f"Loaded image: {ref}:latest\n"
    engine.ok("rmi", ref)


def test_a_load_whose_client_goes_away_changes_nothing(engine: Engine, registry: Registry) -> None:
    ref = f"{registry.host}/test/layered"
    engine.ok("pull", ref)
    saved = subprocess.run(
        [CLI, "-H", engine.host, "save", ref], capture_output=True, check=True
    ).stdout
    engine.ok("rmi", ref)
    before = store_state(engine)
    ingest = engine.root / "images/ingest"
    loading = subprocess.Popen(
        [CLI, "-H", engine.host, "load"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        assert loading.stdin is not None
        loading.stdin.write(saved[: len(saved) // 2])
        loading.stdin.flush()
        wait_for(lambda: any(ingest.glob("spool-*/archive.tar")), "the load's spool")
    finally:
        loading.kill()
        loading.wait()
        loading.stdin.close()  # type: ignore[union-attr]
    wait_for(lambda: not any(ingest.iterdir()), "the spool to go", lambda: list(ingest.rglob("*")))
    assert store_state(engine) == before


def wait_for(
    condition: Callable[[], bool], what: str, seen: Callable[[], object] = lambda: None
) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"{what} never came (seen: {seen()})"
        time.sleep(0.01)


def test_export_then_import_with_changes(engine: Engine, busybox: str, tmp_path: Path) -> None:
    engine.ok("run", "--name", "exported", busybox, "sh", "-c", "echo made > /made; rm /bin/true")
    archive = tmp_path / "exported.tar"
    engine.ok("export", "-o", str(archive), "exported")
    assert [p.name for p in tmp_path.iterdir()] == ["exported.tar"]  # no temporary file left
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        made = tar.extractfile("made").read()  # type: ignore[union-attr]
    assert made == b"made\n" and "bin/busybox" in names and "bin/true" not in names
    assert "etc/passwd" in names and not any(n.startswith(("/", "./")) for n in names)
    changes = ["--change", 'CMD ["cat", "/made"]', "-c", "ENV GREETING=hi"]
    imported = subprocess.run(  # from stdin, as `docker import - REF` reads it
        [CLI, "-H", engine.host, "import", *changes, "-", "imported/exported:v1"],
        input=archive.read_bytes(),
        capture_output=True,
        check=True,
    )
    out = imported.stdout.decode()
    assert out == image_id(engine, "imported/exported:v1") + "\n"
    assert engine.ok("run", "--rm", "imported/exported:v1") == "made\n"
    assert engine.ok("run", "--rm", "imported/exported:v1", "sh", "-c", "echo $GREETING") == "hi\n"
    refused = engine.cli("import", "-c", "RUN true", str(archive))
    assert refused.returncode == 1 and "RUN is not a valid change command" in refused.stderr
    engine.ok("rm", "exported")
    engine.ok("rmi", "imported/exported:v1")


def test_export_of_a_running_container_to_stdout(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "running", busybox, "sleep", "600")
    engine.ok("exec", "running", "sh", "-c", "mkdir -p /etc/x && echo new > /etc/x/f; rm -r /var")
    exported = subprocess.run(
        [CLI, "-H", engine.host, "export", "running"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        names = set(tar.getnames())
        new = tar.extractfile("etc/x/f").read()  # type: ignore[union-attr]
    assert new == b"new\n" and "bin/sh" in names and "etc/passwd" in names
    assert not any(n == "var" or n.startswith("var/") for n in names)
    missing = engine.cli("export", "-o", "/dev/null", "no-such-container")
    assert missing.returncode == 1 and "No such container: no-such-container" in missing.stderr
    engine.ok("rm", "-f", "running")


def test_an_import_refused_at_its_header_says_why_while_its_client_still_sends(
    engine: Engine, tmp_path: Path
) -> None:
    """The engine refuses a bad --change before it reads the tarball; the client is still
    sending it. The refusal must reach the client as itself: a call that ended mid-upload
    reached it as "Internal error from Core" about 1 time in 15."""
    archive = tmp_path / "big.tar"
    with tarfile.open(archive, "w") as tar:
        data = bytes(range(256)) * (80 * 1024)  # 20 MiB
        info = tarfile.TarInfo("big")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    for _ in range(20):
        done = engine.cli("import", "-c", "RUN echo", str(archive), "refused:1")
        assert done.returncode == 1
        assert done.stderr == "Error response from daemon: RUN is not a valid change command\n"
