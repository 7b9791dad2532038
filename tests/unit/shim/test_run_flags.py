"""The shim's side of run's namespace and device flags (issue 15 item 3), against the recording
fake: the init's pid namespace from the spec, sysctls once the namespaces are ours, --device
nodes made inside the rootfs, --group-add names from the container's /etc/group."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from dockyard.api import syscalls as sc
from dockyard.shim import setup, spawn, users
from dockyard.shim.inroot import Root


def _spec(*spaces: dict[str, str], **linux: Any) -> dict[str, Any]:
    return {"root": {"path": "rootfs"}, "linux": {"namespaces": list(spaces), **linux}}


@pytest.mark.parametrize(
    "spaces,calls",
    [
        ([{"type": "pid"}], [("unshare", sc.CLONE_NEWPID)]),  # a namespace of its own
        (
            [{"type": "pid", "path": "/proc/7/ns/pid"}],
            [("setns", "/proc/7/ns/pid", sc.CLONE_NEWPID)],
        ),
        ([{"type": "mount"}], []),  # --pid host: the shim's
    ],
)
def test_the_inits_pid_namespace_is_the_specs(
    spaces: list[dict[str, str]], calls: list[tuple[Any, ...]]
) -> None:
    fake = sc.Recording()
    spawn.PidNamespace.of_spec(_spec(*spaces)).enter(fake)
    assert fake.calls == calls
    fake = sc.Recording()
    spawn.PidNamespace.of_init(42).enter(fake)  # an exec joins its init's
    assert fake.calls == [("setns", "/proc/42/ns/pid", sc.CLONE_NEWPID)]


def test_sysctls_come_right_after_the_namespaces(tmp_path: Path) -> None:
    class Mount:
        type, source, options = "overlay", "overlay", ["lowerdir=/l"]

    spec = _spec(
        {"type": "ipc"}, {"type": "network", "path": "/run/netns/c"},
        sysctl={"net.ipv4.ip_forward": "1", "kernel.shmmax": "100"},
    )  # fmt: skip
    spec["mounts"] = []
    fake = sc.Recording()
    setup.prepare(spec, tmp_path, [Mount()], None, fake)
    names = fake.names()
    assert names[:4] == ["setns", "unshare", "sysctl", "sysctl"]
    assert ("sysctl", "kernel.shmmax", "100") in fake.calls


def test_a_device_node_is_made_inside_the_rootfs_even_through_a_planted_link(
    tmp_path: Path,
) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "dev").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (rootfs / "dev" / "sub").symlink_to(outside)  # an image's link out to the host
    (rootfs / "dev" / "old").write_text("the image's file goes first")
    device = {"type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 0, "gid": 0}
    spec = _spec(devices=[{**device, "path": "/dev/old"}, {**device, "path": "/dev/sub/x"}])
    fake = sc.Recording()
    with Root(rootfs) as root:
        setup.create_spec_devices(root, spec, fake)
    made = [c for c in fake.calls if c[0] == "mknod"]
    assert made == [
        ("mknod", str(rootfs / "dev"), "old", stat.S_IFCHR | 0o620, os.makedev(1, 3), (0, 0)),
        ("mknod", f"{rootfs}{outside}", "x", stat.S_IFCHR | 0o620, os.makedev(1, 3), (0, 0)),
    ]  # the link's target was made inside the rootfs, as the container sees it
    assert not (rootfs / "dev" / "old").exists() and os.listdir(outside) == []


def test_group_add_names_are_read_from_the_containers_group_file(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "group").write_text("root:x:0:\nwheel:x:10:\naudio:x:29:\n")
    assert users.added_groups(["wheel", "audio"], tmp_path) == (10, 29)
    with pytest.raises(users.UnknownUser, match="Unable to find group video: no matching entries"):
        users.added_groups(["video"], tmp_path)


def test_a_joined_ipc_namespace_brings_the_donors_shm(tmp_path: Path) -> None:
    """--ipc container:X: X's /dev/shm is copied inside X's mount namespace, before any
    namespace of the container's own, and attached over the container's /dev/shm."""

    class Mount:
        type, source, options = "overlay", "overlay", ["lowerdir=/l"]

    spec = _spec({"type": "ipc", "path": "/proc/7/ns/ipc"}, {"type": "mount"})
    spec["annotations"] = {setup.SHM_ANNOTATION: "/proc/7/ns/mnt"}
    spec["mounts"] = []
    (tmp_path / "rootfs").mkdir()
    fake = sc.Recording()
    setup.prepare(spec, tmp_path, [Mount()], None, fake)
    assert fake.calls[:3] == [
        ("setns", "/proc/7/ns/mnt", sc.CLONE_NEWNS),
        ("open_tree", "/dev/shm"),
        ("setns_fd", fake.calls[2][1], sc.CLONE_NEWNS),  # back in its own
    ]
    assert fake.calls[3:5] == [
        ("setns", "/proc/7/ns/ipc", sc.CLONE_NEWIPC),
        ("unshare", sc.CLONE_NEWNS),
    ]
    assert ("move_mount", str(tmp_path / "rootfs" / "dev" / "shm")) in fake.calls
    fake = sc.Recording()
    del spec["annotations"]
    setup.prepare(spec, tmp_path, [Mount()], None, fake)
    assert "open_tree" not in fake.names() and "move_mount" not in fake.names()
