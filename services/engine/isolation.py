"""What `run --ipc/--pid/--uts/--sysctl/--device/--shm-size/--group-add` ask of a container,
checked as docker checks them and turned into the OCI spec's parts.

    ipc   "" (private) | shareable   a namespace of its own (a shareable one others may join)
          none                       a namespace of its own and no /dev/shm at all
          host                       the host's, and the host's /dev/shm
          container:<id>             that container's (it must run and be shareable), and
                                     its /dev/shm: the shim takes a copy of that mount inside
                                     the donor's mount namespace (org.dockyard.shm-of names
                                     it; for another OCI runtime it binds that copy from the
                                     host into the spec, as dockerd binds the donor's shm)
    pid   "" | host | container:<id> its own, the host's, another running container's
    uts   "" | host                  its own host name, or the host's (no -h with it)

A sysctl must be one a namespace isolates (runc refuses others): `kernel.msg*`, `kernel.sem`,
`kernel.shm*`, `fs.mqueue.*` (ipc namespace) and `net.*` (network namespace); and not one of
the host's own namespace (`net.*` with --network host, ipc ones with --ipc host).
A device must be a host device node (its type, numbers and mode are read at start, as dockerd
does); its permissions are some of "rwm" and become a cgroup rule allowing just that.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from dataclasses import dataclass
from typing import Any

from dockyard.api import errors
from dockyard.services.engine.model import DeviceMapping, HostConfig

SHM_SIZE = 64 * 1024 * 1024  # docker's default /dev/shm
MAX_GID = 2**31 - 1  # runc's range, as spec.MAX_ID for -u
IPC_MODES = ("", "private", "shareable", "host", "none")
IPC_SYSCTLS = (
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
)  # fmt: skip
SHM_ANNOTATION = "org.dockyard.shm-of"  # the mount namespace whose /dev/shm the shim shares
GROUPS_ANNOTATION = "org.dockyard.groups"  # --group-add names, resolved in the container's root


def check(host: HostConfig, hostname: str) -> None:
    """At create: modes, sysctls and device permissions (what docker refuses up front)."""
    if host.ipc_mode not in IPC_MODES and not host.ipc_mode.startswith("container:"):
        raise errors.InvalidArgument(f"Invalid IPC mode: {host.ipc_mode}")
    if host.pid_mode not in ("", "host") and not host.pid_mode.startswith("container:"):
        raise errors.InvalidArgument(f"invalid PID mode: {host.pid_mode}")
    if host.uts_mode not in ("", "host"):
        raise errors.InvalidArgument(f"invalid UTS mode: {host.uts_mode}")
    if host.cgroupns_mode not in ("", "private", "host"):
        raise errors.InvalidArgument(f"invalid cgroup namespace mode: {host.cgroupns_mode}")
    if host.uts_mode == "host" and hostname:
        raise errors.InvalidArgument("conflicting options: hostname and the UTS mode")
    if host.shm_size < 0:
        raise errors.InvalidArgument("SHM size can not be less than 0")
    for key in host.sysctls:
        check_sysctl(key, host)
    if any(g.isdigit() and int(g) > MAX_GID for g in host.group_add):
        raise errors.InvalidArgument(f"uids and gids must be in range 0-{MAX_GID}")
    for device in host.devices:
        paths = (device.path_on_host, device.path_in_container or "/")
        if not all(p.startswith("/") for p in paths) or set(device.cgroup_permissions) - set("rwm"):
            raise errors.InvalidArgument(f"invalid device mapping: {device.path_on_host}")


def check_sysctl(key: str, host: HostConfig) -> None:
    ipc = key in IPC_SYSCTLS or key.startswith("fs.mqueue.")
    if not (ipc or key.startswith("net.")) or not all(c.isalnum() or c in "._-" for c in key):
        raise errors.InvalidArgument(f'sysctl "{key}" is not in a separate kernel namespace')
    if ipc and host.ipc_mode == "host":
        raise errors.InvalidArgument(f'sysctl "{key}" is not allowed in the hosts ipc namespace')
    if key.startswith("net.") and host.network_mode == "host":
        raise errors.InvalidArgument(f'sysctl "{key}" not allowed in host network namespace')


@dataclass(frozen=True)
class Joined:
    """The namespaces of other containers this one joins, by path (/proc/<pid>/ns/<type>)."""

    ipc: str = ""
    pid: str = ""
    shm: str = ""  # the ipc donor's mount namespace, whose /dev/shm is shared too


def namespaces(host: HostConfig, netns_path: str | None, joined: Joined) -> list[dict[str, str]]:
    """The OCI spec's linux.namespaces: mount always new; pid, ipc, uts and cgroup as asked;
    the network's by path (none for the host's)."""
    spaces: list[dict[str, str]] = []
    for kind, mode, path in (
        ("pid", host.pid_mode, joined.pid),
        ("ipc", host.ipc_mode, joined.ipc),
    ):
        if path:
            spaces.append({"type": kind, "path": path})
        elif mode != "host":
            spaces.append({"type": kind})
    if host.uts_mode != "host":
        spaces.append({"type": "uts"})
    spaces.append({"type": "mount"})
    if host.cgroupns_mode != "host":
        spaces.append({"type": "cgroup"})
    if netns_path is not None:
        spaces.append({"type": "network", "path": netns_path})
    return spaces


def shm_mount(host: HostConfig) -> dict[str, Any]:
    """/dev/shm: a tmpfs of --shm-size (64 MiB), the host's with --ipc host, none ({}) with
    --ipc none."""
    if host.ipc_mode == "none":
        return {}
    if host.ipc_mode == "host":
        return {"destination": "/dev/shm", "type": "bind", "source": "/dev/shm",
                "options": ["rbind", "rprivate"]}  # fmt: skip
    size = host.shm_size or SHM_SIZE
    options = ["nosuid", "noexec", "nodev", "mode=1777", f"size={size}"]
    return {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": options}


def devices(mappings: list[DeviceMapping]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The spec's linux.devices (nodes to make) and the cgroup rules allowing them."""
    nodes, rules = [], []
    for mapping in mappings:
        access = mapping.cgroup_permissions or "rwm"
        for node in device_nodes(mapping):
            nodes.append(node)
            rules.append({"allow": True, "type": node["type"], "major": node["major"],
                          "minor": node["minor"], "access": access})  # fmt: skip
    return nodes, rules


def device_nodes(mapping: DeviceMapping) -> list[dict[str, Any]]:
    """--device's node; or, for a directory (`--device /dev/snd`), every device node under it
    (its subdirectories too, symlinks not followed), each at the same place under the
    container path, as docker does; a directory holding none is refused like a file."""
    source = mapping.path_on_host
    target = mapping.path_in_container or source
    info = _device_stat(source)
    if stat.S_ISDIR(info.st_mode):
        found = [
            _node(posixpath.join(target, os.path.relpath(path, source)), found_info)
            for path, found_info in _devices_under(source)
        ]
        if found:
            return found
    elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return [_node(target, info)]
    raise errors.InvalidArgument(
        f'error gathering device information while adding custom device "{source}": '
        "not a device node"
    )


def _device_stat(source: str) -> os.stat_result:
    try:
        return os.stat(source)
    except OSError as err:
        reason = (err.strerror or str(err)).lower()
        raise errors.NotFound(
            f'error gathering device information while adding custom device "{source}": {reason}'
        ) from None


def _devices_under(directory: str) -> list[tuple[str, os.stat_result]]:
    found = []
    for parent, _, names in sorted(os.walk(directory)):
        for name in sorted(names):
            path = os.path.join(parent, name)
            with contextlib.suppress(OSError):
                info = os.lstat(path)
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
                    found.append((path, info))
    return found


def _node(path: str, info: os.stat_result) -> dict[str, Any]:
    return {
        "path": path,
        "type": "c" if stat.S_ISCHR(info.st_mode) else "b",
        "major": os.major(info.st_rdev),
        "minor": os.minor(info.st_rdev),
        "fileMode": stat.S_IMODE(info.st_mode),
        "uid": info.st_uid,
        "gid": info.st_gid,
    }


def group_ids(group_add: list[str]) -> tuple[list[int], list[str]]:
    """--group-add's numeric ids, and the names the shim resolves in the container's root."""
    ids = [int(g) for g in group_add if g.isdigit()]
    return ids, [g for g in group_add if not g.isdigit()]
