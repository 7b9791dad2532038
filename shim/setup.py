"""The order in which a container is set up from its OCI spec, against any `Syscalls`.

It runs in the child the shim forks, which is already in the container's pid namespace (pid 1
of a new one the intermediate unshared, or one the spec names: --pid host or container:X):

 1. join the cgroup — before the cgroup namespace, whose root is the cgroup the process is in
    when it unshares (cgroup_namespaces(7))
 2. with --ipc container:X, a copy of X's /dev/shm mount, taken inside X's mount namespace;
    join the namespaces the spec names by path (the network sandbox, --ipc container:X),
    then unshare the new ones together (mount, cgroup; uts, ipc as asked; network for a
    fresh one); then the spec's sysctls, which belong to those namespaces
 3. make every mount rprivate, so nothing below propagates back to the host
 4. mount the rootfs (the snapshot's mounts) at <bundle>/rootfs, in the new mount namespace
    only: the host never sees it, and it vanishes with the container; make docker's init files
    in it (/.dockerenv, /etc/mtab), under what is mounted next, never in a volume or a bind
 5. the spec's mounts in order, then X's /dev/shm over the container's own
 6. the default devices (nodes made in place, as the host's), the /dev symlinks, and the
    spec's devices (--device: nodes made in place)
 7. masked paths, read-only paths
 8. pivot_root into the rootfs and detach the old root (pivot_root(2): the "." trick runc uses)
 9. a read-only root when asked, the hostname

Steps 5–7 touch paths the image shaped: each is resolved inside the rootfs and mounted onto by
fd (`inroot`), never joined to the rootfs as a string, so no symlink the image planted (`/dev`
→ `/etc/cron.d`, `/etc/hosts` → `../../../x`) leads a mount, a device node or a link out to the
host. They run before pivot_root, while the host's /dev/null and /proc/self/fd are at hand.

What comes after (user, capabilities, exec) is the process's own set-up, in `init.py`.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dockyard.api import syscalls as sc
from dockyard.shim import cgroups
from dockyard.shim.inroot import Create, Root, fd_path
from dockyard.shim.mounts import Options, parse_options

Spec = dict[str, Any]

DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
PRIVILEGED_ANNOTATION = "org.dockyard.privileged"
SHM_ANNOTATION = "org.dockyard.shm-of"  # --ipc container:X: X's mount namespace, for its /dev/shm
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


def join_cgroup(group: cgroups.Cgroup, sys: sc.Syscalls) -> None:
    for directory in group.dirs:
        sys.join_cgroup(str(directory))


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


def mount_spec(
    root: Root, spec: Spec, sys: sc.Syscalls, group: cgroups.Cgroup | None = None
) -> None:
    spaces = spec.get("linux", {}).get("namespaces", [])
    own_namespace = any(n.get("type") == "cgroup" for n in spaces)
    for mount in spec.get("mounts", []):
        destination = mount["destination"]
        if mount.get("type") == "cgroup" and not own_namespace:
            bind_own_cgroups(root, destination, list(mount.get("options", [])), group, sys)
            continue
        if mount.get("type") == "cgroup":
            mount_cgroupfs(root, destination, list(mount.get("options", [])), sys)
            continue
        options = parse_options(mount.get("options", []))
        source = mount.get("source", "")
        create: Create = "file" if options.bind and not os.path.isdir(source) else "dir"
        fstype = "" if options.bind else mount.get("type", "")
        _mount_one(root, source, destination, create, fstype, options, sys)


def _mount_one(
    root: Root,
    source: str,
    destination: str,
    create: Create,
    fstype: str,
    options: Options,
    sys: sc.Syscalls,
) -> None:
    """Mount onto `destination`, then (on the new mount, found again) remount or propagate."""
    flags = options.flags
    remount = flags & ~(sc.MS_BIND | sc.MS_REC) if options.bind else 0
    with root.target(destination, create) as target:
        if options.bind:
            sys.mount(source, target, "", flags & (sc.MS_BIND | sc.MS_REC), "")
        else:
            sys.mount(source, target, fstype, flags, options.data)
    if remount:
        with root.target(destination) as target:
            sys.mount("", target, "", sc.MS_BIND | sc.MS_REMOUNT | remount, "")
    if options.propagation:
        with root.target(destination) as target:
            sys.mount("", target, "", options.propagation, "")


def mount_cgroupfs(root: Root, destination: str, options: list[str], sys: sc.Syscalls) -> None:
    """cgroup2 on v2; on v1 a tmpfs with each hierarchy mounted below it, as runc does."""
    parsed = parse_options(options)
    if cgroups.is_v2():
        with root.target(destination, "dir") as target:
            sys.mount("cgroup2", target, "cgroup2", parsed.flags, "")
        return
    base = parsed.flags & ~sc.MS_RDONLY
    with root.target(destination, "dir") as target:
        sys.mount("tmpfs", target, "tmpfs", base, "mode=755")
    for controller in sorted(cgroups.v1_hierarchies()):
        data = f"none,{controller}" if controller.startswith("name=") else controller
        sub = f"{destination}/{controller.removeprefix('name=')}"
        # a controller this namespace cannot mount is skipped
        with root.target(sub, "dir") as target, contextlib.suppress(OSError):
            sys.mount("cgroup", target, "cgroup", parsed.flags, data)
    if parsed.flags & sc.MS_RDONLY:
        with root.target(destination) as target:
            sys.mount("", target, "", sc.MS_REMOUNT | sc.MS_RDONLY | base, "mode=755")


def bind_own_cgroups(
    root: Root,
    destination: str,
    options: list[str],
    group: cgroups.Cgroup | None,
    sys: sc.Syscalls,
) -> None:
    """--cgroupns host: a cgroupfs mounted in the host's cgroup namespace would show the host's
    whole tree, so the container's own cgroup directories are bound there instead, as runc
    binds them (v2: its directory at the destination; v1: a tmpfs, each hierarchy's directory
    below it). No cgroup of its own (none made): the tmpfs alone."""
    parsed = parse_options(options)
    readonly = sc.MS_BIND | sc.MS_REMOUNT | (parsed.flags & ~sc.MS_RDONLY) | sc.MS_RDONLY
    dirs = {} if group is None else group.controllers
    if group is not None and group.v2:
        _bind(root, str(dirs[""]), destination, readonly if parsed.flags & sc.MS_RDONLY else 0, sys)
        return
    base = parsed.flags & ~sc.MS_RDONLY
    with root.target(destination, "dir") as target:
        sys.mount("tmpfs", target, "tmpfs", base, "mode=755")
    for controller, directory in sorted(dirs.items()):
        sub = f"{destination}/{controller.removeprefix('name=')}"
        _bind(root, str(directory), sub, readonly if parsed.flags & sc.MS_RDONLY else 0, sys)
    if parsed.flags & sc.MS_RDONLY:
        with root.target(destination) as target:
            sys.mount("", target, "", sc.MS_REMOUNT | sc.MS_RDONLY | base, "mode=755")


def _bind(root: Root, source: str, destination: str, remount: int, sys: sc.Syscalls) -> None:
    with root.target(destination, "dir") as target:
        sys.mount(source, target, "", sc.MS_BIND, "")
    if remount:
        with root.target(destination) as target:
            sys.mount("", target, "", remount, "")


def create_init_files(root: Root) -> None:
    """What docker's init layer gives every container whose image lacks it: an empty
    /.dockerenv (tools tell a container by it) and /etc/mtab → /proc/mounts. The engine counts
    both as mount stubs, so they are no change of the container's (diff, commit)."""
    with contextlib.suppress(OSError):  # a read-only rootfs, an image's odd /etc: none then
        top = root.open("/", "dir")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            os.close(os.open(".dockerenv", flags, 0o755, dir_fd=top))
        except FileExistsError:
            pass
        finally:
            os.close(top)
    with contextlib.suppress(OSError):
        root.symlink("/etc", "mtab", "/proc/mounts")


def create_devices(root: Root, sys: sc.Syscalls, privileged: bool = False) -> None:
    """The default devices, root's and 0666 (every host device, as the host has it, when
    privileged), made as nodes in the container's /dev as runc makes them, so nothing of the
    host's devtmpfs shows in its mounts; where the rootfs already holds that path, the host's
    node is bound onto it instead (nothing there is replaced). Then the /dev links."""
    for name in host_devices() if privileged else DEVICES:
        host = os.stat(f"/dev/{name}")
        mode = host.st_mode if privileged else stat.S_IFMT(host.st_mode) | 0o666
        owner = (host.st_uid, host.st_gid) if privileged else (0, 0)
        parent = root.open("/dev", "dir")
        try:
            sys.mknod(parent, name, mode, host.st_rdev, owner)
        except FileExistsError:
            with root.target(f"/dev/{name}", "file") as node:
                sys.mount(f"/dev/{name}", node, "", sc.MS_BIND, "")
        finally:
            os.close(parent)
    for name, text in DEV_LINKS.items():
        if name != "core" or os.path.exists(text):  # runc's: /dev/core only with a kcore
            root.symlink("/dev", name, text)


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


def write_sysctls(spec: Spec, sys: sc.Syscalls) -> None:
    """The spec's sysctls, written once the namespaces they belong to are ours (the engine
    lets through only those a namespace isolates)."""
    for key, value in sorted(spec.get("linux", {}).get("sysctl", {}).items()):
        sys.sysctl(key, str(value))


def create_spec_devices(root: Root, spec: Spec, sys: sc.Syscalls) -> None:
    """The spec's devices (--device), made as nodes inside the rootfs (whatever the image has
    at that path goes first, as runc does) and owned as on the host."""
    for device in spec.get("linux", {}).get("devices", []):
        directory, _, name = device["path"].rstrip("/").rpartition("/")
        kind = stat.S_IFCHR if device.get("type", "c") == "c" else stat.S_IFBLK
        parent = root.open(directory or "/", "dir")
        try:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(name, dir_fd=parent)
            mode = kind | device.get("fileMode", 0o666)
            owner = (device.get("uid", 0), device.get("gid", 0))
            sys.mknod(parent, name, mode, os.makedev(device["major"], device["minor"]), owner)
        finally:
            os.close(parent)


def take_shm(spec: Spec, sys: sc.Syscalls) -> int | None:
    """--ipc container:X: a detached copy of X's /dev/shm mount (an fd), taken inside X's
    mount namespace (a mount of another namespace cannot be bound from here), then back in
    this process's own; None when the spec shares no /dev/shm."""
    donor = spec.get("annotations", {}).get(SHM_ANNOTATION)
    if not donor:
        return None
    own = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    try:
        sys.setns(donor, sc.CLONE_NEWNS)
        try:
            return sys.open_tree("/dev/shm")
        finally:
            sys.setns_fd(own, sc.CLONE_NEWNS)
    finally:
        os.close(own)


def attach_shm(root: Root, shm: int | None, sys: sc.Syscalls) -> None:
    """The donor's /dev/shm (take_shm's) over the container's own."""
    if shm is None:
        return
    try:
        with root.target("/dev/shm", "dir") as target:
            sys.move_mount(shm, target)
    finally:
        os.close(shm)


def pivot(rootfs: Path, sys: sc.Syscalls) -> None:
    old_root = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    new_root = os.open(rootfs, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        sys.fchdir(new_root)
        sys.pivot_root(".", ".")
        sys.fchdir(old_root)  # the old root is now stacked on "/": detach it from under us
        sys.mount("", ".", "", sc.MS_SLAVE | sc.MS_REC, "")
        sys.umount(".", sc.MNT_DETACH)
        sys.chdir("/")
    finally:
        os.close(old_root)
        os.close(new_root)


def mask_paths(root: Root, spec: Spec, sys: sc.Syscalls) -> None:
    """Masked paths hidden (an empty read-only tmpfs, or the host's /dev/null), read-only
    paths bound onto themselves read-only; a path the rootfs lacks is skipped."""
    linux = spec.get("linux", {})
    with _null(root) as null:
        for path in linux.get("maskedPaths", []):
            with _existing(root, path) as found:
                if found is not None:
                    target, is_dir = found
                    if is_dir:
                        sys.mount("tmpfs", target, "tmpfs", sc.MS_RDONLY, "")
                    else:
                        sys.mount(null, target, "", sc.MS_BIND, "")
    for path in linux.get("readonlyPaths", []):
        with _existing(root, path) as found:
            if found is not None:
                sys.mount(found[0], found[0], "", sc.MS_BIND | sc.MS_REC, "")
        with _existing(root, path) as found:
            if found is not None:
                flags = sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC
                sys.mount(found[0], found[0], "", flags | _kept_flags(found[0]), "")


def _kept_flags(path: str) -> int:
    """The nosuid, nodev and noexec of the mount at `path`, which a bind remount must repeat
    (else it clears them: /proc/sys read-only would lose /proc's three, as runc's does not)."""
    return os.statvfs(path).f_flag & (sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC)  # ST_* alike


@contextlib.contextmanager
def _null(root: Root) -> Iterator[str]:
    """The null device masked files are bound from: the container's own /dev/null when it is
    one (as runc's: its mounts then name the container's /dev, not the host's devtmpfs), else
    the host's."""
    with _existing(root, "/dev/null") as found:
        if found is not None:
            info = os.stat(found[0])
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == os.stat("/dev/null").st_rdev:
                yield found[0]
                return
    yield "/dev/null"


@contextlib.contextmanager
def _existing(root: Root, path: str) -> Iterator[tuple[str, bool] | None]:
    """(`/proc/self/fd/N`, is a directory) for `path` inside the root, or None if missing."""
    try:
        fd = root.open(path)
    except (FileNotFoundError, NotADirectoryError):
        yield None
        return
    try:
        yield fd_path(fd), stat.S_ISDIR(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def readonly_root(spec: Spec, sys: sc.Syscalls) -> None:
    if spec.get("root", {}).get("readonly"):
        sys.mount("", "/", "", sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC, "")


def set_hostname(spec: Spec, sys: sc.Syscalls) -> None:
    flags, _ = new_namespace_flags(spec)
    if spec.get("hostname") and flags & sc.CLONE_NEWUTS:
        sys.sethostname(spec["hostname"])
    if spec.get("domainname") and flags & sc.CLONE_NEWUTS:  # --domainname
        sys.setdomainname(spec["domainname"])


def prepare(
    spec: Spec,
    bundle: Path,
    rootfs_mounts: list[Any],
    group: cgroups.Cgroup | None,
    sys: sc.Syscalls,
) -> None:
    """Steps 1–9 of the module docstring, in order."""
    if group is not None:
        join_cgroup(group, sys)
    shm = take_shm(spec, sys)
    enter_namespaces(spec, sys)
    write_sysctls(spec, sys)
    rootfs = bundle / spec.get("root", {}).get("path", "rootfs")
    mount_rootfs(rootfs, rootfs_mounts, sys)
    privileged = spec.get("annotations", {}).get(PRIVILEGED_ANNOTATION) == "true"
    with Root(rootfs) as root:
        create_init_files(root)  # first: under the mounts, as docker's init layer lies
        mount_spec(root, spec, sys, group)
        attach_shm(root, shm, sys)
        create_devices(root, sys, privileged)
        create_spec_devices(root, spec, sys)
        mask_paths(root, spec, sys)
    pivot(rootfs, sys)
    readonly_root(spec, sys)
    set_hostname(spec, sys)
