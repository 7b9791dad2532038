"""Which containers mount a volume (mounts.py): a device mounted once on the data directory at
the first user, unmounted after the last, counts that survive a restart of the process, and
what a crash between the steps leaves (settled by `reconcile` and `retain`). The syscalls are
recorded; the real ones run in tests/integration/volumes/test_shared_mounts.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.api.errors import FailedPrecondition, Internal
from dockyard.services.snapshots.volumes import local
from dockyard.services.snapshots.volumes.mounts import COPY_UP, VolumeMounts, _options, _unescape
from dockyard.services.snapshots.volumes.store import Volume, VolumeStore

TMPFS = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}


class Recording:
    """The kernel's mount table of a namespace, as far as these calls go."""

    def __init__(self) -> None:
        self.table: dict[str, local.Mount] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail: OSError | None = None

    def mounted(self) -> set[str]:
        return set(self.table)

    def mount(self, mount: local.Mount, target: str) -> None:
        if self.fail:
            raise self.fail
        assert target not in self.table, "mounted twice"
        self.table[target] = mount
        self.calls.append(("mount", target))

    def unmount(self, target: str) -> None:
        del self.table[target]
        self.calls.append(("unmount", target))


@pytest.fixture
def store(tmp_path: Path) -> VolumeStore:
    return VolumeStore(tmp_path)


@pytest.fixture
def kernel() -> Recording:
    return Recording()


def mounts_of(store: VolumeStore, kernel: Recording) -> VolumeMounts:
    return VolumeMounts(store.db, store.volumes_dir, kernel)


def tmpfs(store: VolumeStore, name: str = "shared") -> Volume:
    return store.create(name, "", dict(TMPFS), {})


def test_the_device_is_mounted_at_the_first_user_and_unmounted_after_the_last(
    store: VolumeStore, kernel: Recording
) -> None:
    mounts, volume = mounts_of(store, kernel), tmpfs(store)
    target = str(Path(volume.mountpoint).resolve())
    given = mounts.acquire(volume, "c1")
    assert given == local.Mount("bind", target, ("rbind",))  # the container binds _data
    assert kernel.table == {target: local.Mount("tmpfs", "tmpfs", ("size=1m",))}
    assert mounts.acquire(volume, "c2") == given
    assert mounts.acquire(volume, "c1") == given  # again for c1: still one use
    assert mounts.holders("shared") == ["c1", "c2"]
    assert mounts.current(volume) == given  # what cp into a stopped container reaches
    mounts.release("c1")
    assert target in kernel.table
    mounts.release("c1")  # idempotent
    mounts.release("c2")
    assert kernel.calls == [("mount", target), ("unmount", target)]
    assert mounts.holders("shared") == []
    assert mounts.current(volume) == volume.mount


def test_a_plain_volume_is_its_directory_and_is_not_counted(
    store: VolumeStore, kernel: Recording
) -> None:
    mounts, volume = mounts_of(store, kernel), store.create("plain", "", {}, {})
    assert mounts.acquire(volume, "c1") == volume.mount
    assert kernel.calls == [] and mounts.holders("plain") == []


def test_a_mounted_volume_is_not_removed(store: VolumeStore, kernel: Recording) -> None:
    mounts, volume = mounts_of(store, kernel), tmpfs(store)
    mounts.acquire(volume, "c1")
    with pytest.raises(FailedPrecondition, match=r"remove shared: volume is in use - \[c1\]"):
        mounts.check_unused("shared")
    mounts.release("c1")
    mounts.check_unused("shared")


def test_counts_survive_a_restart_of_the_process(
    tmp_path: Path, store: VolumeStore, kernel: Recording
) -> None:
    mounts, volume = mounts_of(store, kernel), tmpfs(store)
    mounts.acquire(volume, "c1")
    store.close()
    again = VolumeStore(tmp_path)
    restarted = mounts_of(again, kernel)
    restarted.reconcile({"shared"})
    assert restarted.holders("shared") == ["c1"] and len(kernel.table) == 1  # still in use
    restarted.release("c1")
    assert kernel.table == {}


def test_a_mount_a_crash_left_without_its_row_is_unmounted_at_start(
    store: VolumeStore, kernel: Recording
) -> None:
    volume = tmpfs(store)
    target = str(Path(volume.mountpoint).resolve())
    kernel.table[target] = volume.mount  # mounted, then killed before the row was written
    mounts_of(store, kernel).reconcile({"shared"})
    assert kernel.table == {}


def test_a_copy_a_crash_cut_short_lets_go_of_its_volume_at_start(
    store: VolumeStore, kernel: Recording
) -> None:
    mounts = mounts_of(store, kernel)
    mounts.acquire(tmpfs(store), "c1")
    mounts.acquire(tmpfs(store, "other"), f"c1{COPY_UP}")  # killed while filling it
    mounts.reconcile({"shared", "other"})
    assert (mounts.holders("shared"), mounts.holders("other")) == (["c1"], [])
    assert len(kernel.table) == 1


def test_rows_of_a_volume_that_is_gone_are_dropped_at_start(
    store: VolumeStore, kernel: Recording
) -> None:
    mounts = mounts_of(store, kernel)
    mounts.acquire(tmpfs(store), "c1")
    mounts.reconcile(set())
    assert mounts.holders("shared") == []


def test_retain_lets_go_of_every_container_not_named(store: VolumeStore, kernel: Recording) -> None:
    mounts, one, two = mounts_of(store, kernel), tmpfs(store, "one"), tmpfs(store, "two")
    mounts.acquire(one, "alive")
    mounts.acquire(one, "dead")
    mounts.acquire(two, "dead")
    mounts.retain(["alive"])
    assert (mounts.holders("one"), mounts.holders("two")) == (["alive"], [])
    assert sorted(kernel.table) == [str(Path(one.mountpoint).resolve())]


def test_a_mount_that_fails_records_nothing(store: VolumeStore, kernel: Recording) -> None:
    mounts, volume = mounts_of(store, kernel), tmpfs(store)
    kernel.fail = OSError(2, "No such file or directory")
    with pytest.raises(Internal, match=r"failed to mount local volume: .*No such file"):
        mounts.acquire(volume, "c1")
    assert mounts.holders("shared") == []


def test_options_split_into_flags_and_data() -> None:
    assert _options(("size=64m", "ro", "nosuid", "mode=1777")) == (0x3, "size=64m,mode=1777")
    assert _options(("bind",)) == (0x1000, "")
    assert _options(("rbind", "rw")) == (0x5000, "")
    assert _unescape(r"/a\040b/c\134d") == "/a b/c\\d"
