"""Builds a container's OCI runtime-spec (config.json) with docker's defaults.

What docker gives every container unless told otherwise: new pid, ipc, uts, mount and cgroup
namespaces plus the network sandbox's; /proc, a tmpfs /dev with devpts, shm and mqueue,
read-only /sys and cgroup fs; its default capability set; masked and read-only /proc paths;
the default device allow-list; no rlimits (the process inherits the engine's own, which is
never above its hard limit). A user ("name", "uid", "uid:gid", "name:group") is resolved by the
shim inside the container's root (annotation `org.dockyard.user`: primary group and
supplementary groups from its /etc/passwd and /etc/group, HOME), since the engine never mounts
a rootfs; process.user carries the numeric part the engine already knows.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine import isolation, limits, security
from dockyard.services.engine.merge import command, process_env
from dockyard.services.engine.model import Container, HostConfig

DEVICE_CGROUP_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")

OCI_VERSION = "1.1.0"
USER_ANNOTATION = "org.dockyard.user"
INIT_ANNOTATION = "org.dockyard.init"
PRIVILEGED_ANNOTATION = "org.dockyard.privileged"

DEFAULT_CAPABILITIES = security.DEFAULT_CAPABILITIES
MASKED_PATHS = (
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
)
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
# (type, major, minor, access): the character devices every container may use; mknod of any.
ALLOWED_DEVICES = (
    ("c", None, None, "m"),
    ("b", None, None, "m"),
    ("c", 1, 3, "rwm"),
    ("c", 1, 5, "rwm"),
    ("c", 1, 7, "rwm"),
    ("c", 1, 8, "rwm"),
    ("c", 1, 9, "rwm"),
    ("c", 5, 0, "rwm"),
    ("c", 5, 1, "rwm"),
    ("c", 5, 2, "rwm"),
    ("c", 136, None, "rwm"),
    ("c", 10, 200, "rwm"),
)


@dataclass(frozen=True)
class SpecInputs:
    """What the spec needs besides the container record."""

    hostname: str
    netns_path: str | None  # None = the host's network namespace
    cgroup_parent: str
    hosts_path: str = ""
    resolv_conf_path: str = ""
    hostname_path: str = ""
    mounts: list[dict[str, Any]] = field(default_factory=list)  # volumes, binds, tmpfs (user's)
    joined: isolation.Joined = field(default_factory=isolation.Joined)  # --ipc/--pid container:X
    linked_env: list[str] = field(default_factory=list)  # the links' variables (links.py)


def build(container: Container, inputs: SpecInputs) -> dict[str, Any]:
    host = container.host_config
    sec = security.resolve(host.cap_add, host.cap_drop, host.privileged, host.security_opt)
    mounts = _merged(
        default_mounts(sec.privileged, isolation.shm_mount(host)),
        _tmpfs(host.tmpfs) + _network_files(inputs) + inputs.mounts,
    )
    nodes, device_rules = isolation.devices(host.devices)
    doc: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": process(container, inputs.hostname, sec, inputs.linked_env),
        "root": {"path": "rootfs", "readonly": host.read_only},
        "hostname": inputs.hostname,
        **({"domainname": container.config.domainname} if container.config.domainname else {}),
        "mounts": mounts,
        "annotations": _annotations(container, sec, inputs.joined),
        "linux": {
            "namespaces": isolation.namespaces(host, inputs.netns_path, inputs.joined),
            "cgroupsPath": cgroups_path(host.cgroup_parent, inputs.cgroup_parent, container.id),
            "resources": {
                **limits.oci_resources(host.resources),
                "devices": _device_rules(sec.privileged)
                + device_rules
                + cgroup_rules(host.device_cgroup_rules),
            },
            **({"devices": nodes} if nodes else {}),
            **({"sysctl": dict(host.sysctls)} if host.sysctls else {}),
            "maskedPaths": [] if sec.privileged else list(MASKED_PATHS),
            "readonlyPaths": [] if sec.privileged else list(READONLY_PATHS),
        },
    }
    if sec.seccomp is not None:
        doc["linux"]["seccomp"] = sec.seccomp
    return doc


def cgroups_path(parent: str, engine_parent: str, container_id: str) -> str:
    """The container's cgroup: `--cgroup-parent`/<id> as dockerd's cgroupfs driver joins it
    (filepath.Join), cleaned as runc cleans it (no `..` above the root: "../../x" is "x",
    "/../x" is "/x"); a relative one is the runtime's to place below its own cgroup, as runc
    does. Without one, <the engine's cgroup-parent>/<id> from the root."""
    if not parent:
        return f"/{engine_parent.strip('/')}/{container_id}"
    joined = posixpath.normpath("/" + posixpath.join(parent, container_id).lstrip("/"))
    return joined if parent.startswith("/") else joined.lstrip("/")


CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


def named_containers(parent: str) -> list[str]:
    """The parts of a --cgroup-parent that could be a container's cgroup (its full ID): the
    engine refuses to nest a container in another's, whose rmdir would then fail (docker lets
    it on v1, and its `rm` of the outer one fails)."""
    return [part for part in parent.split("/") if CONTAINER_ID.fullmatch(part)]


def _merged(defaults: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The defaults, then the rest with parents before children (docker sorts them by depth:
    a volume on /etc goes under the engine's /etc/hosts). A mount at a destination the user's
    take is left out (`-v /x:/etc/hosts` replaces the engine's /etc/hosts, as docker's does)."""
    taken: dict[str, dict[str, Any]] = {}
    for mount in more:
        taken[mount["destination"]] = mount  # the user's come last: they win
    rest = sorted(taken.values(), key=lambda m: len([p for p in m["destination"].split("/") if p]))
    return [m for m in defaults if m["destination"] not in taken] + rest


def process(
    container: Container, hostname: str, sec: security.Security, linked: list[str] | None = None
) -> dict[str, Any]:
    """The spec's `process` (exec builds on it too); `linked`: the links' variables."""
    config = container.config
    caps = list(sec.capabilities)
    return {
        "terminal": config.tty,
        "user": _numeric_user(config.user, container.host_config.group_add),
        "args": command(config),
        "env": process_env(config, hostname, linked),
        "cwd": config.working_dir or "/",
        "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
        "rlimits": limits.rlimits(container.host_config.resources.ulimits),
        "oomScoreAdj": container.host_config.resources.oom_score_adj,
        "noNewPrivileges": sec.no_new_privileges,
    }


def _annotations(
    container: Container, sec: security.Security, joined: isolation.Joined
) -> dict[str, str]:
    annotations = {}
    if joined.shm:
        annotations[isolation.SHM_ANNOTATION] = joined.shm
    if container.config.user:
        annotations[USER_ANNOTATION] = container.config.user
    if container.host_config.init:
        annotations[INIT_ANNOTATION] = "true"
    if sec.privileged:
        annotations[PRIVILEGED_ANNOTATION] = "true"
    _ids, names = isolation.group_ids(container.host_config.group_add)
    if names:
        annotations[isolation.GROUPS_ANNOTATION] = ",".join(names)
    return annotations


def _tmpfs(tmpfs: dict[str, str]) -> list[dict[str, Any]]:
    mounts = []
    for path, options in sorted(tmpfs.items()):
        if not path.startswith("/"):
            raise InvalidArgument(f"invalid mount path: '{path}' mount path must be absolute")
        given = [o for o in options.split(",") if o]
        defaults = [
            o
            for o in ("noexec", "nosuid", "nodev")
            if o.removeprefix("no") not in given and o not in given
        ]
        mounts.append(
            {"destination": path, "type": "tmpfs", "source": "tmpfs", "options": defaults + given}
        )
    return mounts


INIT_FILES = ("/.dockerenv", "/etc/mtab")
"""What the shim gives every container whose image lacks them, as docker's init layer does (an
empty /.dockerenv, /etc/mtab → /proc/mounts): no change of the container's, as mount stubs."""


def default_mounts(
    privileged: bool = False, shm: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """/proc, /dev and its pts, mqueue and shm (`shm`: isolation.shm_mount's; {} for none),
    /sys, cgroups."""
    shm = isolation.shm_mount(HostConfig()) if shm is None else shm

    def mount(dest: str, kind: str, *options: str, source: str | None = None) -> dict[str, Any]:
        return {
            "destination": dest,
            "type": kind,
            "source": source or kind,
            "options": list(options),
        }

    return [
        mount("/proc", "proc", "nosuid", "noexec", "nodev"),
        mount("/dev", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
        mount(
            "/dev/pts",
            "devpts",
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5",
        ),
        mount("/sys", "sysfs", "nosuid", "noexec", "nodev", *(() if privileged else ("ro",))),
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "nosuid",
            "noexec",
            "nodev",
            "relatime",
            *(() if privileged else ("ro",)),
        ),
        mount("/dev/mqueue", "mqueue", "nosuid", "noexec", "nodev"),
        *([shm] if shm else []),
    ]


def _network_files(inputs: SpecInputs) -> list[dict[str, Any]]:
    files = (
        ("/etc/resolv.conf", inputs.resolv_conf_path),
        ("/etc/hostname", inputs.hostname_path),
        ("/etc/hosts", inputs.hosts_path),
    )
    return [
        {"destination": dest, "type": "bind", "source": src, "options": ["rbind", "rprivate"]}
        for dest, src in files
        if src
    ]


def cgroup_rules(rules: list[str]) -> list[dict[str, Any]]:
    """--device-cgroup-rule "TYPE MAJOR:MINOR ACCESS" as allow rules, refused in moby v20.10
    oci/devices_linux.go's words when malformed (docker checks them at start too)."""
    out = []
    for text in rules:
        match = DEVICE_CGROUP_RULE.match(text)
        if match is None:
            raise InvalidArgument(f"invalid device cgroup rule format: '{text}'")
        kind, major, minor, access = match.groups()
        rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
        rule |= {} if major == "*" else {"major": int(major)}
        rule |= {} if minor == "*" else {"minor": int(minor)}
        out.append(rule)
    return out


def _device_rules(privileged: bool) -> list[dict[str, Any]]:
    if privileged:
        return [{"allow": True, "access": "rwm"}]
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    for kind, major, minor, access in ALLOWED_DEVICES:
        rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
        if major is not None:
            rule["major"] = major
        if minor is not None:
            rule["minor"] = minor
        rules.append(rule)
    return rules


def _named_user(user: str) -> bool:
    return any(part and not part.isdigit() for part in user.split(":"))


MAX_ID = 2**31 - 1


def validate_user(user: str) -> None:
    """The numeric parts of `--user` as docker (libcontainer's user package) bounds them."""
    if any(part.isdigit() and int(part) > MAX_ID for part in user.split(":")):
        raise InvalidArgument(f"uids and gids must be in range 0-{MAX_ID}")


def _numeric_user(user: str, group_add: list[str]) -> dict[str, Any]:
    """uid/gid when `user` is numeric ("1000", "1000:100"), 0/0 when it names one (the shim
    resolves it); --group-add's numeric groups as additionalGids (its names: the shim's)."""
    extra, _names = isolation.group_ids(group_add)
    gids: dict[str, Any] = {"additionalGids": extra} if extra else {}
    if not user or _named_user(user):
        return {"uid": 0, "gid": 0, **gids}
    uid, _, gid = user.partition(":")
    return {"uid": int(uid), "gid": int(gid or 0), **gids}
