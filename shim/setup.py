"""The order in which a container is set up from its OCI spec, against any `Syscalls`.

It runs in the child the shim forks, which is already pid 1 of the container's pid namespace
(the shim unshared CLONE_NEWPID before forking, so the child's /proc mount shows it):

 1. join the cgroup — before the cgroup namespace, whose root is the cgroup the process is in
    when it unshares (cgroup_namespaces(7))
 2. join the namespaces the spec names by path (the network sandbox), then unshare the new
    ones together (mount, uts, ipc, cgroup; network when the spec asks for a fresh one)
 3. make every mount rprivate, so nothing below propagates back to the host
 4. mount the rootfs (the snapshot's mounts) at <bundle>/rootfs, in the new mount namespace
    only: the host never sees it, and it vanishes with the container
 5. the spec's mounts in order, targets resolved inside the rootfs
 6. the default devices (bind mounts of the host's nodes) and the /dev symlinks
 7. pivot_root into the rootfs and detach the old root (pivot_root(2): the "." trick runc uses)
 8. masked paths, read-only paths, a read-only root when asked
 9. the hostname

What comes after (user, capabilities, exec) is the process's own set-up, in `init.py`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Any

from dockyard.shim import cgroups
from dockyard.shim import syscalls as sc
from dockyard.shim.mounts import ensure_target, parse_options, scoped

Spec = dict[str, Any]

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
PRIVILEGED_ANNOTATION = "org.dockyard.privileged"
DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "ptmx": "pts/ptmx",
    "core": "/proc/kcore",
}


def new_namespace_flags(spec: Spec) -> tuple[int, list[tuple[str, int]]]:
    """The unshare(2) flags and the (path, type) pairs to setns(2) into; pid is the shim's."""
    flags, joins = 0, []
    for ns in spec.get("linux", {}).get("namespaces", []):
        kind = sc.NAMESPACES[ns["type"]]
        if ns["type"] == "pid":
            continue
        if ns.get("path"):
            joins.append((ns["path"], kind))
        else:
            flags |= kind
    return flags, joins


def enter_namespaces(spec: Spec, sys: sc.Syscalls) -> None:
    flags, joins = new_namespace_flags(spec)
    for path, kind in joins:
        sys.setns(path, kind)
    if flags:
        sys.unshare(flags)


def mount_rootfs(rootfs: Path, mounts: list[Any], sys: sc.Syscalls) -> None:
    sys.mount("", "/", "", sc.MS_REC | sc.MS_PRIVATE, "")
    rootfs.mkdir(exist_ok=True)
    if not mounts:  # a plain directory: pivot_root needs a mount point
        sys.mount(str(rootfs), str(rootfs), "", sc.MS_BIND | sc.MS_REC, "")
    for mount in mounts:
        options = parse_options(list(mount.options))
        kind = "" if options.bind else mount.type
        sys.mount(mount.source, str(rootfs), kind, options.flags & ~sc.MS_RDONLY, options.data)
        if options.flags & sc.MS_RDONLY:
            sys.mount("", str(rootfs), "", sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY, "")


def mount_spec(rootfs: Path, spec: Spec, sys: sc.Syscalls) -> None:
    for mount in spec.get("mounts", []):
        target = scoped(rootfs, mount["destination"])
        if mount.get("type") == "cgroup":
            mount_cgroupfs(target, list(mount.get("options", [])), sys)
            continue
        options = parse_options(mount.get("options", []))
        source = mount.get("source", "")
        ensure_target(target, directory=not (options.bind and not os.path.isdir(source)))
        _mount_one(source, str(target), "" if options.bind else mount.get("type", ""), options, sys)


def _mount_one(source: str, target: str, fstype: str, options: Any, sys: sc.Syscalls) -> None:
    flags = options.flags
    if options.bind:
        sys.mount(source, target, "", flags & (sc.MS_BIND | sc.MS_REC), "")
        remount = flags & ~(sc.MS_BIND | sc.MS_REC)
        if remount:
            sys.mount("", target, "", sc.MS_BIND | sc.MS_REMOUNT | remount, "")
    else:
        sys.mount(source, target, fstype, flags, options.data)
    if options.propagation:
        sys.mount("", target, "", options.propagation, "")


def mount_cgroupfs(target: Path, options: list[str], sys: sc.Syscalls) -> None:
    """cgroup2 on v2; on v1 a tmpfs with each hierarchy mounted below it, as runc does."""
    parsed = parse_options(options)
    target.mkdir(parents=True, exist_ok=True)
    if cgroups.is_v2():
        sys.mount("cgroup2", str(target), "cgroup2", parsed.flags, "")
        return
    base = parsed.flags & ~sc.MS_RDONLY
    sys.mount("tmpfs", str(target), "tmpfs", base, "mode=755")
    for controller in sorted(cgroups.v1_hierarchies()):
        sub = target / controller.removeprefix("name=")
        sub.mkdir(exist_ok=True)
        data = f"none,{controller}" if controller.startswith("name=") else controller
        with contextlib.suppress(OSError):  # a controller this namespace cannot mount: skip it
            sys.mount("cgroup", str(sub), "cgroup", parsed.flags, data)
    if parsed.flags & sc.MS_RDONLY:
        sys.mount("", str(target), "", sc.MS_REMOUNT | sc.MS_RDONLY | base, "mode=755")


def create_devices(rootfs: Path, sys: sc.Syscalls, privileged: bool = False) -> None:
    """The default devices (every host device when privileged), bound from the host's /dev."""
    dev = rootfs / "dev"
    for name in host_devices() if privileged else DEVICES:
        node = dev / name
        ensure_target(node, directory=False)
        sys.mount(f"/dev/{name}", str(node), "", sc.MS_BIND, "")
    for name, target in DEV_LINKS.items():
        with contextlib.suppress(FileExistsError):
            os.symlink(target, dev / name)


def host_devices() -> list[str]:
    names = []
    for entry in sorted(os.listdir("/dev")):
        try:
            mode = os.lstat(f"/dev/{entry}").st_mode
        except OSError:
            continue
        is_device = stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        if is_device and entry not in ("console", "ptmx"):  # the container gets its own
            names.append(entry)
    return names


def pivot(rootfs: Path, sys: sc.Syscalls) -> None:
    old_root = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    new_root = os.open(rootfs, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fchdir(new_root)
        sys.pivot_root(".", ".")
        os.fchdir(old_root)  # the old root is now stacked on "/": detach it from under us
        sys.mount("", ".", "", sc.MS_SLAVE | sc.MS_REC, "")
        sys.umount(".", sc.MNT_DETACH)
        os.chdir("/")
    finally:
        os.close(old_root)
        os.close(new_root)


def mask_paths(spec: Spec, sys: sc.Syscalls) -> None:
    linux = spec.get("linux", {})
    for path in linux.get("maskedPaths", []):
        if os.path.isdir(path):
            _ignore_missing(sys.mount, "tmpfs", path, "tmpfs", sc.MS_RDONLY, "")
        elif os.path.lexists(path):
            _ignore_missing(sys.mount, "/dev/null", path, "", sc.MS_BIND, "")
    for path in linux.get("readonlyPaths", []):
        if os.path.lexists(path):
            sys.mount(path, path, "", sc.MS_BIND | sc.MS_REC, "")
            sys.mount(path, path, "", sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC, "")
    if spec.get("root", {}).get("readonly"):
        sys.mount("", "/", "", sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC, "")


def set_hostname(spec: Spec, sys: sc.Syscalls) -> None:
    flags, _ = new_namespace_flags(spec)
    if spec.get("hostname") and flags & sc.CLONE_NEWUTS:
        sys.sethostname(spec["hostname"])


def _ignore_missing(call: Any, *args: Any) -> None:
    try:
        call(*args)
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise


def prepare(
    spec: Spec,
    bundle: Path,
    rootfs_mounts: list[Any],
    group: cgroups.Cgroup | None,
    sys: sc.Syscalls,
) -> None:
    """Steps 1–9 of the module docstring, in order."""
    if group is not None:
        group.add(0)  # 0 = this process (cgroups(7))
    enter_namespaces(spec, sys)
    rootfs = bundle / spec.get("root", {}).get("path", "rootfs")
    mount_rootfs(rootfs, rootfs_mounts, sys)
    mount_spec(rootfs, spec, sys)
    create_devices(rootfs, sys, spec.get("annotations", {}).get(PRIVILEGED_ANNOTATION) == "true")
    pivot(rootfs, sys)
    mask_paths(spec, sys)
    set_hostname(spec, sys)
