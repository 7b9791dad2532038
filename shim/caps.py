"""Capability names (capabilities(7)) and the masks capset(2) takes."""

from __future__ import annotations

from pathlib import Path

NAMES = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
)
NUMBERS = {f"CAP_{name}": number for number, name in enumerate(NAMES)}


def last_cap() -> int:
    """The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap)."""
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        return len(NAMES) - 1


def number(name: str) -> int:
    key = name.upper()
    key = key if key.startswith("CAP_") else f"CAP_{key}"
    if key not in NUMBERS:
        raise ValueError(f"unknown capability {name!r}")
    return NUMBERS[key]


def mask(names: list[str] | tuple[str, ...]) -> int:
    """The bit mask of `names`, minus what this kernel does not know and what we do not
    hold ourselves (this host's bounding set may lack some: none can be granted beyond it)."""
    top = last_cap()
    bits = 0
    for name in names:
        n = number(name)
        if n <= top:
            bits |= 1 << n
    return bits & held()


def held() -> int:
    """Our own bounding set (/proc/self/status CapBnd)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return (1 << (last_cap() + 1)) - 1
