"""The set-up order against the recording fake: which privileged calls, in which order."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

from dockyard.api import syscalls as sc
from dockyard.shim import setup
from dockyard.shim.inroot import Root


def _spec(netns: str | None = "/run/x/netns/c") -> dict[str, Any]:
    spaces: list[dict[str, str]] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "cgroup")]
    if netns:
        spaces.append({"type": "network", "path": netns})
    return {
        "hostname": "box",
        "root": {"path": "rootfs"},
        "process": {"args": ["sh"]},
        "mounts": [
            {
                "destination": "/proc",
                "type": "proc",
                "source": "proc",
                "options": ["nosuid", "noexec", "nodev"],
            },
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "mode=755"],
            },
            {
                "destination": "/etc/hosts",
                "type": "bind",
                "source": "/etc/hosts",
                "options": ["rbind", "ro"],
            },
        ],
        "linux": {
            "namespaces": spaces,
            "maskedPaths": ["/proc/kcore"],
            "readonlyPaths": ["/proc/sys"],
        },
    }


def test_namespaces_join_by_path_then_unshare_the_rest_but_pid() -> None:
    fake = sc.Recording()
    setup.enter_namespaces(_spec(), fake)
    expected = sc.CLONE_NEWIPC | sc.CLONE_NEWUTS | sc.CLONE_NEWNS | sc.CLONE_NEWCGROUP
    assert fake.calls == [("setns", "/run/x/netns/c", sc.CLONE_NEWNET), ("unshare", expected)]


def test_host_network_keeps_the_hosts_namespace() -> None:
    flags, joins = setup.new_namespace_flags(_spec(netns=None))
    assert not flags & sc.CLONE_NEWNET and joins == []


def test_rootfs_then_spec_mounts_then_devices(tmp_path: Path) -> None:
    fake = sc.Recording()
    rootfs = tmp_path / "rootfs"

    class Mount:
        type, source, options = "overlay", "overlay", ["lowerdir=/l", "upperdir=/u", "workdir=/w"]

    setup.mount_rootfs(rootfs, [Mount()], fake)
    with Root(rootfs) as root:
        setup.mount_spec(root, _spec(), fake)
        setup.create_devices(root, fake)
    calls = fake.calls
    assert calls[0] == ("mount", "", "/", "", sc.MS_REC | sc.MS_PRIVATE, "")
    assert calls[1] == (
        "mount",
        "overlay",
        str(rootfs),
        "overlay",
        0,
        "lowerdir=/l,upperdir=/u,workdir=/w",
    )
    assert calls[2][1:4] == ("proc", str(rootfs / "proc"), "proc")
    assert calls[3][1:4] == ("tmpfs", str(rootfs / "dev"), "tmpfs") and calls[3][5] == "mode=755"
    assert calls[4] == (
        "mount",
        "/etc/hosts",
        str(rootfs / "etc/hosts"),
        "",
        sc.MS_BIND | sc.MS_REC,
        "",
    )
    assert calls[5] == (
        "mount",
        "",
        str(rootfs / "etc/hosts"),
        "",
        sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY,
        "",
    )
    devices = [c for c in calls[6:]]  # made in the container's /dev, root's and 0666
    assert devices == [
        (
            "mknod",
            str(rootfs / "dev"),
            d,
            stat.S_IFCHR | 0o666,
            os.stat(f"/dev/{d}").st_rdev,
            (0, 0),
        )
        for d in setup.DEVICES
    ]
    assert (rootfs / "dev/ptmx").is_symlink() and (rootfs / "etc/hosts").is_file()


def test_mount_targets_resolve_symlinks_inside_the_rootfs(tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc/hosts").symlink_to("/../../../../tmp/evil")
    fake = sc.Recording()
    with Root(rootfs) as root:
        setup.mount_spec(root, {"mounts": [_spec()["mounts"][2]]}, fake)
    assert fake.calls[0][2] == str(rootfs / "tmp/evil")
    assert (rootfs / "tmp/evil").is_file()


def test_devices_and_links_stay_inside_a_rootfs_whose_dev_leads_out(tmp_path: Path) -> None:
    """An image's /dev → the host (absolute, or climbing): nodes and links land in the rootfs."""
    host = tmp_path / "host"
    host.mkdir()
    for link in (str(host), "../../../../../../../../.." + str(host)):
        rootfs = tmp_path / "rootfs"
        rootfs.mkdir()
        (rootfs / "dev").symlink_to(link)
        fake = sc.Recording()
        with Root(rootfs) as root:
            setup.create_devices(root, fake)
        inside = rootfs / str(host).lstrip("/")
        assert [c[1:3] for c in fake.calls] == [(str(inside), d) for d in setup.DEVICES]
        links = [n for n in setup.DEV_LINKS if n != "core" or os.path.exists("/proc/kcore")]
        assert sorted(p.name for p in inside.iterdir()) == sorted(links)  # nodes: mknod's
        assert list(host.iterdir()) == []
        shutil.rmtree(rootfs)


def test_masked_and_readonly_paths_on_what_exists(tmp_path: Path) -> None:
    rootfs = tmp_path / "rootfs"
    (rootfs / "proc/sys").mkdir(parents=True)
    (rootfs / "proc/kcore").write_text("")
    spec = _spec()
    spec["linux"]["maskedPaths"] = ["/proc/kcore", "/proc/acpi", "/proc/sys"]
    fake = sc.Recording()
    with Root(rootfs) as root:
        setup.mask_paths(root, spec, fake)
    kcore, sys_dir = str(rootfs / "proc/kcore"), str(rootfs / "proc/sys")
    assert fake.calls == [
        ("mount", "/dev/null", kcore, "", sc.MS_BIND, ""),
        ("mount", "tmpfs", sys_dir, "tmpfs", sc.MS_RDONLY, ""),
        ("mount", sys_dir, sys_dir, "", sc.MS_BIND | sc.MS_REC, ""),
        ("mount", sys_dir, sys_dir, "", sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC, ""),
    ]


def test_hostname_only_with_a_new_uts_namespace() -> None:
    fake = sc.Recording()
    setup.set_hostname(_spec(), fake)
    assert fake.calls == [("sethostname", "box")]
    spec = _spec()
    spec["linux"]["namespaces"] = [{"type": "mount"}]
    fake = sc.Recording()
    setup.set_hostname(spec, fake)
    assert fake.calls == []


def test_domainname_with_the_hostname_in_a_new_uts_namespace() -> None:
    fake = sc.Recording()
    setup.set_hostname({**_spec(), "domainname": "example.org"}, fake)
    assert fake.calls == [("sethostname", "box"), ("setdomainname", "example.org")]


def test_rlimits_never_above_the_ceiling_and_unlimited_is_the_largest() -> None:
    from dockyard.shim.init import _at_most

    assert _at_most(10, 20) == 10 and _at_most(30, 20) == 20
    assert _at_most(-1, 20) == 20  # unlimited asked, our hard limit given
    assert _at_most(30, -1) == 30 and _at_most(-1, -1) == -1


def test_the_whole_set_up_of_a_container_in_order(tmp_path: Path) -> None:
    """Everything privileged between the fork and the exec, in order, against one fake: the
    cgroup, the namespaces, the rootfs and its mounts, pivot_root, the hostname, then (after
    start) no_new_privs, seccomp, the capability bounding set, the user, the capabilities."""
    from dockyard.shim import init
    from dockyard.shim.cgroups import Cgroup
    from dockyard.shim.users import User

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    group = Cgroup(
        "/dy/c", {"memory": tmp_path / "memory/dy/c", "pids": tmp_path / "pids/dy/c"}, False
    )

    class Mount:
        type, source, options = "overlay", "overlay", ["lowerdir=/l", "upperdir=/u", "workdir=/w"]

    spec = _spec()
    spec["process"] = {"args": ["sh"], "noNewPrivileges": True, "capabilities": {"bounding": []}}
    fake = sc.Recording()
    setup.prepare(spec, bundle, [Mount()], group, fake)
    init.lock_down(spec["process"], b"\0" * 8 * 4, fake)
    init.switch_user(spec["process"], User(1000, 1000, (1000, 10), "/home"), fake)
    collapsed = [n for i, n in enumerate(fake.names()) if i == 0 or fake.names()[i - 1] != n]
    assert collapsed == [
        "join_cgroup",  # before the cgroup namespace, whose root is where we are then
        "setns",  # the network sandbox, by path
        "unshare",  # mount, uts, ipc, cgroup together
        "mount",  # rprivate, the rootfs, the spec's mounts
        "mknod",  # the devices
        "fchdir",
        "pivot_root",
        "fchdir",
        "mount",  # the old root made a slave ...
        "umount",  # ... and detached
        "chdir",
        "sethostname",
        "prctl",  # no_new_privs
        "seccomp",
        "prctl",  # the bounding set, then PR_SET_KEEPCAPS
        "setgroups",
        "setgid",
        "setuid",
        "prctl",  # PR_SET_KEEPCAPS off
        "capset",  # nothing for a user other than root
    ]
    rootfs = bundle / "rootfs"
    assert [c[1] for c in fake.calls[:2]] == [
        str(tmp_path / "memory/dy/c"),
        str(tmp_path / "pids/dy/c"),
    ]
    assert ("fchdir", str(rootfs)) in fake.calls and ("pivot_root", ".", ".") in fake.calls
    assert fake.calls[-5:] == [
        ("setgroups", [10, 1000]),
        ("setgid", 1000),
        ("setuid", 1000),
        ("prctl", sc.PR_SET_KEEPCAPS, 0),
        ("capset", 0, 0, 0),
    ]
    assert ("seccomp", 4) in fake.calls and ("prctl", sc.PR_SET_NO_NEW_PRIVS, 1) in fake.calls


def test_a_device_path_the_rootfs_holds_already_is_bound_over_not_replaced(
    tmp_path: Path,
) -> None:
    class Taken(sc.Recording):
        def mknod(self, *args: object) -> None:
            raise FileExistsError("taken")

    rootfs = tmp_path / "rootfs"
    (rootfs / "dev").mkdir(parents=True)
    fake = Taken()
    with Root(rootfs) as root:
        setup.create_devices(root, fake)
    assert [(c[1], c[4]) for c in fake.calls] == [(f"/dev/{d}", sc.MS_BIND) for d in setup.DEVICES]
