"""docker's mount syntax as the daemon reads it: -v (Binds), --mount (validated), --volumes-from,
tmpfs options; each error in docker's words."""

from __future__ import annotations

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine import mountspecs
from dockyard.services.engine.model import MountSpec


@pytest.mark.parametrize(
    ("raw", "kind", "source", "target", "read_only", "mode"),
    [
        ("data:/data", "volume", "data", "/data", False, ""),
        ("data:/data:ro", "volume", "data", "/data", True, "ro"),
        ("/srv:/srv:rw,z", "bind", "/srv", "/srv", False, "rw,z"),
        ("/srv:/mnt:ro,rslave", "bind", "/srv", "/mnt", True, "ro,rslave"),
        ("/anon", "volume", "", "/anon", False, ""),
        ("data:/d:nocopy", "volume", "data", "/d", False, "nocopy"),
    ],
)
def test_binds(raw: str, kind: str, source: str, target: str, read_only: bool, mode: str) -> None:
    parsed = mountspecs.parse_bind(raw)
    spec = parsed.spec
    assert (spec.type, spec.source, spec.target, spec.read_only) == (
        kind,
        source,
        target,
        read_only,
    )
    assert parsed.mode == mode and parsed.binds
    assert parsed.copy_data == ("nocopy" not in mode)


def test_a_bind_propagation_is_kept() -> None:
    assert mountspecs.parse_bind("/a:/b:rshared").spec.bind_propagation == "rshared"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("/data:rw", "invalid volume specification: '/data:rw'"),
        ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
        (":/x", "invalid volume specification: ':/x'"),
        ("data:/x:rw,ro", "invalid mode: rw,ro"),
        ("data:/x:bogus", "invalid mode: bogus"),
        ("data:relative", "invalid mount path: 'relative' mount path must be absolute"),
        ("/src:/", "destination can't be '/'"),
        ("data:/x:nocopy,nocopy", "invalid mode"),
    ],
)
def test_bad_binds_are_one_line_in_dockers_words(raw: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(", r"\(")):
        mountspecs.parse_bind(raw)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            MountSpec("bind", "/x", "relative"),
            "invalid mount path: 'relative' mount path must be absolute",
        ),
        (MountSpec("bind", "/x", "/no/such/dir"), "bind source path does not exist: /no/such/dir"),
        (MountSpec("bind", "/x"), "field Source must not be empty"),
        (MountSpec("volume", "x", "v"), "invalid mount path: 'x' mount path must be absolute"),
        (MountSpec("volume", "", "v"), "field Target must not be empty"),
        (
            MountSpec("volume", "/x", read_only=True),
            "must not set ReadOnly mode when using anonymous",
        ),
        (
            MountSpec("volume", "/x", has_bind_options=True),
            "field BindOptions must not be specified",
        ),
        (MountSpec("tmpfs", "/x", "src"), "field Source must not be specified"),
        (MountSpec("tmpfs", "/x", has_volume_options=True), "field VolumeOptions must not be"),
        (MountSpec("bind", "/x", "/", bind_propagation="weird"), "invalid propagation mode: weird"),
        (MountSpec("npipe", "/x"), "mount type unknown"),
    ],
)
def test_mount_specs_are_validated_as_dockers_daemon_does(spec: MountSpec, message: str) -> None:
    with pytest.raises(InvalidArgument, match=f'invalid mount config for type "{spec.type}": '):
        mountspecs.validate(spec, bind_source_must_exist=True)
    with pytest.raises(InvalidArgument, match=message):
        mountspecs.validate(spec, bind_source_must_exist=True)


def test_a_missing_bind_source_is_fine_for_v() -> None:
    assert mountspecs.parse_bind("/no/such/dir:/x").spec.source == "/no/such/dir"


def test_volumes_from() -> None:
    assert mountspecs.parse_volumes_from("db") == ("db", "rw")
    assert mountspecs.parse_volumes_from("db:ro") == ("db", "ro")
    for bad in ("db:shared", "db:nocopy", "db:weird"):
        with pytest.raises(InvalidArgument, match="invalid mode"):
            mountspecs.parse_volumes_from(bad)
    with pytest.raises(InvalidArgument, match="cannot be an empty string"):
        mountspecs.parse_volumes_from("")


def test_tmpfs_options_as_docker_writes_them() -> None:
    assert mountspecs.tmpfs_options(64 << 20, 0o1777, True) == ["ro", "mode=1777", "size=64m"]
    assert mountspecs.tmpfs_options(1 << 30, 0, False) == ["size=1g"]
    assert mountspecs.tmpfs_options(1000, 0o700, False) == ["mode=700", "size=1000"]
    assert mountspecs.tmpfs_options(0, 0, False) == []


def test_container_paths() -> None:
    assert mountspecs.absolute_path("/a/b/../c/") == "/a/c"
    with pytest.raises(InvalidArgument, match="must be absolute"):
        mountspecs.absolute_path("a")
    with pytest.raises(InvalidArgument, match="can't be '/'"):
        mountspecs.absolute_path("/a/..")
