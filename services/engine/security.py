"""What a container may do: capabilities, privileged mode, security options, seccomp.

Docker's defaults: its 14 default capabilities, adjusted by --cap-add/--cap-drop ("ALL" works
both ways); --privileged gives every capability, every host device, writable /sys and no masked
paths and no seccomp filter; `--security-opt no-new-privileges[=true]`,
`seccomp=unconfined` and `seccomp=<profile JSON>`. The default seccomp profile (applied where
libseccomp is present) refuses, with EPERM, the syscalls docker's default profile refuses to a
container without extra capabilities: namespace and mount manipulation, kernel modules and
keyrings, clocks, reboot, swap, bpf, perf, ptrace of other processes' memory, and friends.
"""

from __future__ import annotations

import ctypes.util
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from dockyard.api.errors import InvalidArgument

DEFAULT_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
)
ALL_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
DENIED_SYSCALLS = (
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "mount_setattr",
    "move_mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "quotactl",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "sysfs",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
)


@dataclass(frozen=True)
class Security:
    capabilities: tuple[str, ...]
    no_new_privileges: bool
    seccomp: dict[str, Any] | None
    privileged: bool


def capability_name(name: str) -> str:
    key = name.strip().upper()
    key = key if key.startswith("CAP_") or key == "ALL" else f"CAP_{key}"
    if key != "ALL" and key not in ALL_CAPABILITIES:
        raise InvalidArgument(f'unknown capability: "{key}"')
    return key


def capabilities(add: list[str], drop: list[str], privileged: bool) -> tuple[str, ...]:
    if privileged:
        return ALL_CAPABILITIES
    adds = [capability_name(c) for c in add]
    drops = {capability_name(c) for c in drop}
    base = list(ALL_CAPABILITIES) if "ALL" in adds else list(DEFAULT_CAPABILITIES)
    for cap in adds:
        if cap != "ALL" and cap not in base:
            base.append(cap)
    if "ALL" in drops:
        return tuple(c for c in adds if c != "ALL")
    return tuple(c for c in base if c not in drops)


def resolve(add: list[str], drop: list[str], privileged: bool, options: list[str]) -> Security:
    caps = capabilities(add, drop, privileged)
    no_new_privileges, seccomp = False, None if privileged else default_profile(caps)
    for option in options:
        key, sep, value = option.partition("=") if "=" in option else option.partition(":")
        if key == "no-new-privileges":
            no_new_privileges = not sep or _boolean(value, option)
        elif key == "seccomp":
            seccomp = None if value == "unconfined" else _profile(value)
        elif key in ("apparmor", "label"):
            continue  # no AppArmor or SELinux here: accepted, like docker on such a host
        else:
            raise InvalidArgument(f'Invalid --security-opt: "{option}"')
    return Security(caps, no_new_privileges, seccomp, privileged)


def _boolean(value: str, option: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise InvalidArgument(f'Invalid --security-opt: "{option}"')


def _profile(text: str) -> dict[str, Any]:
    try:
        profile = json.loads(text)
    except ValueError:
        raise InvalidArgument(
            "seccomp profile must be JSON (the CLI reads a file path for you)"
        ) from None
    if not isinstance(profile, dict) or "defaultAction" not in profile:
        raise InvalidArgument("seccomp profile has no defaultAction")
    return profile


@cache
def seccomp_available() -> bool:
    return ctypes.util.find_library("seccomp") is not None


# What an added capability gives back, as docker's profile does.
ALLOWED_BY_CAPABILITY = {
    "CAP_SYS_ADMIN": (
        "mount",
        "umount",
        "umount2",
        "unshare",
        "setns",
        "pivot_root",
        "fsconfig",
        "fsmount",
        "fsopen",
        "fspick",
        "move_mount",
        "open_tree",
        "mount_setattr",
        "quotactl",
        "lookup_dcookie",
        "perf_event_open",
        "bpf",
        "name_to_handle_at",
        "open_by_handle_at",
    ),
    "CAP_SYS_MODULE": ("init_module", "finit_module", "delete_module"),
    "CAP_SYS_TIME": ("clock_settime", "clock_adjtime", "settimeofday", "stime"),
    "CAP_SYS_BOOT": ("reboot",),
    "CAP_SYS_PTRACE": ("process_vm_readv", "process_vm_writev", "kcmp"),
    "CAP_SYS_PACCT": ("acct",),
    "CAP_SYS_NICE": ("mbind", "set_mempolicy", "get_mempolicy", "move_pages"),
    "CAP_SYS_RAWIO": ("iopl", "ioperm"),
}


def default_profile(capabilities: tuple[str, ...] = DEFAULT_CAPABILITIES) -> dict[str, Any] | None:
    if not seccomp_available():
        return None
    allowed = {name for cap in capabilities for name in ALLOWED_BY_CAPABILITY.get(cap, ())}
    denied = [name for name in DENIED_SYSCALLS if name not in allowed]
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
    }
