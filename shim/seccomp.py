"""An OCI seccomp profile compiled once to a BPF program, which each container process loads.

    program = seccomp.program_of(profile)     # libseccomp through ctypes; cached by content
    syscalls.seccomp(program)              # in the process entering the container

The profile is the runtime-spec's `linux.seccomp`: a default action and rules naming syscalls
and an action. Rules with argument conditions are not supported and are refused (rather than
silently widened). Syscall names this architecture does not have are skipped, as runc does.

Building a filter rule by rule costs milliseconds, and finding libseccomp with
ctypes.util.find_library forks `ldconfig -p`: done per container, that was most of the shim's
set-up. So the library is opened by its soname (find_library only if that fails), once per
process; a profile is compiled once and its program kept by the profile's digest; and the
zygote compiles each new container's profile before it forks the container's shim, so every
shim inherits the programs compiled so far and the default profile is compiled once per zygote.
Loading is one prctl(2), no library: the exported program carries libseccomp's architecture
checks. No no_new_privs is set for it (libseccomp's own loader would): the process loads it
while it still holds CAP_SYS_ADMIN, as runc does, and no_new_privs is for the spec to ask.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import json
import os
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
SONAME = "libseccomp.so.2"

_programs: dict[str, bytes] = {}  # profile digest -> BPF program


class SeccompError(OSError):
    pass


def action(name: str, errno_ret: int | None) -> int:
    if name == "SCMP_ACT_ERRNO":
        return ERRNO | ((errno_ret if errno_ret is not None else EPERM) & 0xFFFF)
    if name not in ACTIONS:
        raise SeccompError(f"unsupported seccomp action {name}")
    return ACTIONS[name]


def program_of(profile: dict[str, Any]) -> bytes:
    """The BPF program (struct sock_filter[]) of `profile`, compiled at most once."""
    key = hashlib.sha256(json.dumps(profile, sort_keys=True).encode()).hexdigest()
    program = _programs.get(key)
    if program is None:
        lib = library()
        program = _programs[key] = _export(lib, _build(lib, profile))
    return program


@functools.cache
def library() -> Any:
    """libseccomp, opened once (by its soname: find_library forks `ldconfig -p`)."""
    try:
        lib = ctypes.CDLL(SONAME, use_errno=True)
    except OSError:
        name = ctypes.util.find_library("seccomp")
        try:
            lib = ctypes.CDLL(name or SONAME, use_errno=True)
        except OSError as err:
            raise SeccompError(
                f"seccomp profile requested but libseccomp is not available: {err}"
            ) from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def _build(lib: Any, profile: dict[str, Any]) -> Any:
    default = action(profile.get("defaultAction", "SCMP_ACT_ALLOW"), profile.get("defaultErrnoRet"))
    context = lib.seccomp_init(default)
    if not context:
        raise SeccompError("seccomp_init failed")
    try:
        for rule in profile.get("syscalls", []):
            _add_rule(lib, context, default, rule)
    except BaseException:
        lib.seccomp_release(context)
        raise
    return context


def _add_rule(lib: Any, context: Any, default: int, rule: dict[str, Any]) -> None:
    if rule.get("args"):
        raise SeccompError("seccomp rules with argument conditions are not supported")
    wanted = action(rule["action"], rule.get("errnoRet"))
    if wanted == default:
        return
    for name in rule.get("names", []):
        number = lib.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            continue  # not a syscall on this architecture
        if lib.seccomp_rule_add(context, wanted, number, 0) < 0:
            raise SeccompError(f"seccomp: cannot add a rule for {name}")


def _export(lib: Any, context: Any) -> bytes:
    """The filter as the kernel takes it (seccomp_export_bpf writes it to an fd)."""
    fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
    try:
        if lib.seccomp_export_bpf(context, fd) < 0:
            raise SeccompError("seccomp_export_bpf failed")
        return os.pread(fd, os.fstat(fd).st_size, 0)
    finally:
        os.close(fd)
        lib.seccomp_release(context)
