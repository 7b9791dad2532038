"""Loads an OCI seccomp profile into the current process with libseccomp (through ctypes).

The profile is the runtime-spec's `linux.seccomp`: a default action and rules naming syscalls
and an action. Rules with argument conditions are not supported and are refused (rather than
silently widened). Syscall names this architecture does not have are skipped, as runc does.
Called in the container's init just before it drops privileges and execs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

ACTIONS = {
    "SCMP_ACT_KILL": 0x00000000,
    "SCMP_ACT_KILL_THREAD": 0x00000000,
    "SCMP_ACT_KILL_PROCESS": 0x80000000,
    "SCMP_ACT_TRAP": 0x00030000,
    "SCMP_ACT_LOG": 0x7FFC0000,
    "SCMP_ACT_ALLOW": 0x7FFF0000,
}
ERRNO = 0x00050000
EPERM = 1


class SeccompError(OSError):
    pass


def action(name: str, errno_ret: int | None) -> int:
    if name == "SCMP_ACT_ERRNO":
        return ERRNO | ((errno_ret if errno_ret is not None else EPERM) & 0xFFFF)
    if name not in ACTIONS:
        raise SeccompError(f"unsupported seccomp action {name}")
    return ACTIONS[name]


def _library() -> Any:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as err:
        raise SeccompError(
            f"seccomp profile requested but libseccomp is not available: {err}"
        ) from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


class Filter:
    """A filter built from a profile (libseccomp loaded, rules added) waiting to be loaded.

    Build it while the host's filesystem is still there (the library is found and mapped
    then); `load` it after pivot_root, just before exec."""

    def __init__(self, profile: dict[str, Any]) -> None:
        self._lib = _library()
        self._context = _build(self._lib, profile)

    def load(self) -> None:
        try:
            if self._lib.seccomp_load(self._context) < 0:
                raise SeccompError("seccomp_load failed")
        finally:
            self._lib.seccomp_release(self._context)


def _build(lib: Any, profile: dict[str, Any]) -> Any:
    default = action(profile.get("defaultAction", "SCMP_ACT_ALLOW"), profile.get("defaultErrnoRet"))
    context = lib.seccomp_init(default)
    if not context:
        raise SeccompError("seccomp_init failed")
    try:
        for rule in profile.get("syscalls", []):
            if rule.get("args"):
                raise SeccompError("seccomp rules with argument conditions are not supported")
            wanted = action(rule["action"], rule.get("errnoRet"))
            if wanted == default:
                continue
            for name in rule.get("names", []):
                number = lib.seccomp_syscall_resolve_name(name.encode())
                if number < 0:
                    continue  # not a syscall on this architecture
                if lib.seccomp_rule_add(context, wanted, number, 0) < 0:
                    raise SeccompError(f"seccomp: cannot add a rule for {name}")
    except BaseException:
        lib.seccomp_release(context)
        raise
    return context
