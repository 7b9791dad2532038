"""The volume store: records and data directories, docker's local driver rules, and what a
crash at each step of a create or a removal leaves (settled by `reconcile`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.snapshots.volumes import local
from dockyard.services.snapshots.volumes.store import VolumeStore


@pytest.fixture
def store(tmp_path: Path) -> VolumeStore:
    return VolumeStore(tmp_path)


def test_create_get_list_remove(store: VolumeStore, tmp_path: Path) -> None:
    volume = store.create("data", "", {}, {"team": "a"})
    assert (volume.name, volume.driver, volume.labels) == ("data", "local", {"team": "a"})
    assert volume.mountpoint == str(tmp_path / "volumes" / "data" / "_data")
    assert oct(os.stat(volume.mountpoint).st_mode & 0o7777) == "0o755"
    assert volume.mount == local.Mount("bind", volume.mountpoint, ("rbind",))
    assert store.get("data") == volume
    assert [v.name for v in store.list()] == ["data"]
    store.remove("data")
    assert store.list() == []
    assert not (tmp_path / "volumes" / "data").exists()
    with pytest.raises(NotFound, match="get data: no such volume"):
        store.get("data")


def test_creating_an_existing_name_answers_the_volume_as_it_is(store: VolumeStore) -> None:
    first = store.create("data", "local", {}, {"a": "1"})
    (Path(first.mountpoint) / "kept").write_text("x")
    again = store.create("data", "local", {"type": "tmpfs", "device": "tmpfs"}, {"b": "2"})
    assert again == first
    assert (Path(first.mountpoint) / "kept").read_text() == "x"


def test_anonymous_volumes_get_a_random_name(store: VolumeStore) -> None:
    one, two = store.create("", "", {}, {}), store.create("", "", {}, {})
    assert len(one.name) == 64 and one.name != two.name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a", "volume name is too short"),
        ("a/b", 'create a/b: "a/b" includes invalid characters for a local volume name'),
        ("../x", "includes invalid characters"),
        (".hidden", "includes invalid characters"),
        ("-x", "includes invalid characters"),
    ],
)
def test_bad_names_are_refused_in_dockers_words(
    store: VolumeStore, tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        store.create(name, "", {}, {})
    assert sorted(p.name for p in (tmp_path / "volumes").iterdir()) == []


def test_only_the_local_driver_exists(store: VolumeStore) -> None:
    with pytest.raises(
        NotFound, match='create x1: error looking up volume plugin nfs3: plugin "nfs3"'
    ):
        store.create("x1", "nfs3", {}, {})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"foo": "bar"}, 'invalid option: "foo"'),
        ({"type": "tmpfs"}, 'missing required option: "device"'),
        ({"device": "/x"}, 'missing required option: "type"'),
        ({"o": "size=1m"}, "missing required option"),
        ({"size": "1g"}, "quota size requested but no quota support"),
    ],
)
def test_driver_options_are_checked(
    store: VolumeStore, options: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        store.create("opts", "", options, {})
    assert store.list() == []


def test_option_volumes_are_described_as_their_own_mounts(store: VolumeStore) -> None:
    tmpfs = store.create("t1", "", {"type": "tmpfs", "device": "tmpfs", "o": "size=1m,uid=5"}, {})
    assert tmpfs.mount == local.Mount("tmpfs", "tmpfs", ("size=1m", "uid=5"))
    bound = store.create("b1", "", {"type": "none", "device": "/srv/x", "o": "bind"}, {})
    assert bound.mount == local.Mount("bind", "/srv/x", ("bind",))
    plain_none = store.create("b2", "", {"type": "none", "device": "/srv/y"}, {})
    assert plain_none.mount == local.Mount("bind", "/srv/y", ("bind",))


def test_records_survive_a_new_store(tmp_path: Path) -> None:
    first = VolumeStore(tmp_path)
    made = first.create("kept", "", {}, {"k": "v"})
    first.close()
    again = VolumeStore(tmp_path)
    again.reconcile()
    assert again.get("kept") == made


def test_a_create_cut_before_its_record_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "volumes" / ".creating-1234" / "_data").mkdir(parents=True)
    store = VolumeStore(tmp_path)
    store.reconcile()
    assert list((tmp_path / "volumes").iterdir()) == []
    assert store.list() == []


def test_a_record_without_its_directory_is_dropped(store: VolumeStore, tmp_path: Path) -> None:
    """A create cut between its record and its rename, or a removal between its rename and
    the record's deletion."""
    store.create("half", "", {}, {})
    os.rename(tmp_path / "volumes" / "half", tmp_path / "volumes" / ".removing-99")
    store.reconcile()
    assert store.list() == []
    assert list((tmp_path / "volumes").iterdir()) == []
    store.create("half", "", {}, {})  # the name is free again
    assert [v.name for v in store.list()] == ["half"]


def test_a_directory_without_a_record_is_adopted_not_deleted(
    store: VolumeStore, tmp_path: Path
) -> None:
    data = tmp_path / "volumes" / "restored" / "_data"
    data.mkdir(parents=True)
    (data / "precious").write_text("x")
    store.reconcile()
    assert store.get("restored").mountpoint == str(data)
    assert (data / "precious").read_text() == "x"


def test_usage_counts_blocks_once_per_inode(store: VolumeStore) -> None:
    data = Path(store.create("sized", "", {}, {}).mountpoint)
    assert store.usage("sized") == 0
    (data / "a").write_bytes(b"x" * 10000)
    os.link(data / "a", data / "b")
    (data / "d").mkdir()
    os.symlink("/", data / "d" / "root")  # never followed
    size = store.usage("sized")
    assert 10000 <= size < 10000 + 3 * 8192 + 4096
