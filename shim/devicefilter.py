"""The device rules of a container's cgroup on cgroup v2: an eBPF program made from them.

cgroup v2 has no devices controller: the kernel asks the BPF_PROG_TYPE_CGROUP_DEVICE programs
attached to a task's cgroup (and its ancestors) before every mknod and every open of a device
node, and refuses with EPERM when one returns 0. `attach(cgroup_dir, rules)` turns the OCI
spec's `linux.resources.devices` (docker's default allow-list, then `--device`'s) into such a
program, loads it (bpf(2) BPF_PROG_LOAD) and attaches it to the cgroup (BPF_PROG_ATTACH with
BPF_F_ALLOW_MULTI, so it runs next to any program an ancestor holds: every one must allow).

The rules mean what they mean on v1's devices.allow/deny: the last rule that matches decides,
nothing is allowed unless a rule allows it. The decision is taken for each access bit the
kernel asks about (mknod, read, write), so `c 1:3 r` then `c 1:3 w` allow an O_RDWR open as
v1's merged exception does, and a deny of `w` alone still denies an O_RDWR open.

The program reads `struct bpf_cgroup_dev_ctx` (include/uapi/linux/bpf.h): u32 access_type at
0 (low 16 bits the device type, BPF_DEVCG_DEV_BLOCK 1 / CHAR 2; high 16 bits the access,
BPF_DEVCG_ACC_MKNOD 1 / READ 2 / WRITE 4), u32 major at 4, u32 minor at 8; it returns 1 to
allow. It calls no helper, so it needs no GPL-compatible license.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BLOCK, CHAR = 1, 2
ACCESS = {"m": 1, "r": 2, "w": 4}
SYSCALL_BPF = {"x86_64": 321, "aarch64": 280}

# bpf(2) commands, the program and attach types, the attach flag (include/uapi/linux/bpf.h)
BPF_PROG_LOAD, BPF_PROG_ATTACH = 5, 8
BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI = 15, 6, 2

# eBPF opcodes used (class | op | source)
LDX_W = 0x61  # dst = *(u32 *)(src + off)
ALU_AND_K = 0x54  # dst = (u32) dst & imm
ALU_RSH_K = 0x74  # dst = (u32) dst >> imm
MOV64_K = 0xB7  # dst = imm
JA = 0x05  # goto +off
JEQ_K = 0x15  # if dst == imm goto +off
JSET_K = 0x45  # if dst & imm goto +off
EXIT = 0x95  # return r0
R0, R1, R2, R3, R4, R5 = range(6)  # r1: the context; r2 type, r3 access, r4 major, r5 minor


class DeviceFilterError(Exception):
    """The rules could not be made into a program, or the kernel refused it."""


@dataclass(frozen=True)
class Rule:
    allow: bool
    kind: int | None  # BLOCK, CHAR, or None for "a" (any)
    major: int | None  # None: any
    minor: int | None
    access: int  # ACCESS bits

    @classmethod
    def of_spec(cls, rule: dict[str, Any]) -> Rule:
        kind = {"a": None, "b": BLOCK, "c": CHAR}.get(rule.get("type") or "a", -1)
        access = rule.get("access") or "rwm"
        if kind == -1 or not set(access) <= set(ACCESS):
            raise DeviceFilterError(f"invalid device rule {rule}")
        bits = sum(ACCESS[c] for c in set(access))
        return cls(
            bool(rule.get("allow")), kind, _number(rule, "major"), _number(rule, "minor"), bits
        )


def _number(rule: dict[str, Any], key: str) -> int | None:
    value = rule.get(key)
    if value is None or value == "*" or value == -1:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << 31:
        raise DeviceFilterError(f"invalid device rule {rule}: {key} {value!r}")
    return value


@dataclass(frozen=True)
class Insn:
    code: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0


def program(rules: list[Rule]) -> list[Insn]:
    """The instructions deciding as `rules` do: one section per access bit, each a chain of
    the rules that speak of that bit, last rule first; a section denies or goes on."""
    asm = _Assembler()
    bits = sorted(ACCESS.values())
    for n, bit in enumerate(bits):
        after = f"bit{n + 1}"
        # each section reads the context afresh: what a section's checks taught the verifier
        # about r2-r5 is dead where the next begins, so its paths meet there (and are pruned)
        # instead of multiplying from section to section
        asm.emit(Insn(LDX_W, R2, R1, 0), Insn(ALU_AND_K, R2, imm=0xFFFF))
        asm.emit(Insn(LDX_W, R3, R1, 0), Insn(ALU_RSH_K, R3, imm=16))
        asm.emit(Insn(LDX_W, R4, R1, 4), Insn(LDX_W, R5, R1, 8))
        asm.jump(Insn(JSET_K, R3, imm=bit), 1)  # asked for this bit: decide it
        asm.jump(Insn(JA), after)
        _section(asm, [r for r in reversed(rules) if r.access & bit], after)
        asm.label(after)
    asm.emit(Insn(MOV64_K, R0, imm=1), Insn(EXIT))
    return asm.resolve()


def _section(asm: _Assembler, rules: list[Rule], allowed: str) -> None:
    for n, rule in enumerate(rules):
        skip = f"{allowed}-r{n}"
        checks = [(R2, rule.kind), (R4, rule.major), (R5, rule.minor)]
        for reg, value in checks:
            if value is not None:  # the mismatch falls through: the verifier walks it first,
                asm.jump(Insn(JEQ_K, reg, imm=value), 1)  # with r2-r5 still unknown, and
                asm.jump(Insn(JA), skip)  # prunes the narrower paths that reach `skip` later
        if rule.allow:
            asm.jump(Insn(JA), allowed)
        else:
            asm.emit(Insn(MOV64_K, R0, imm=0), Insn(EXIT))
        if all(value is None for _, value in checks):
            return  # matches every device: the rules before it are never reached
        asm.label(skip)
    asm.emit(Insn(MOV64_K, R0, imm=0), Insn(EXIT))  # no rule matched: denied


class _Assembler:
    """Instructions with forward jumps to named labels (or a count), resolved at the end."""

    def __init__(self) -> None:
        self.insns: list[tuple[Insn, str | int | None]] = []
        self.labels: dict[str, int] = {}

    def emit(self, *insns: Insn) -> None:
        self.insns.extend((i, None) for i in insns)

    def jump(self, insn: Insn, target: str | int) -> None:
        self.insns.append((insn, target))

    def label(self, name: str) -> None:
        self.labels[name] = len(self.insns)

    def resolve(self) -> list[Insn]:
        out = []
        for at, (insn, target) in enumerate(self.insns):
            if isinstance(target, str):
                off = self.labels[target] - at - 1
                if off > 0x7FFF:  # bpf_insn.off is an s16
                    raise DeviceFilterError("too many device rules for one program")
                insn = Insn(insn.code, insn.dst, insn.src, off, insn.imm)
            elif isinstance(target, int):
                insn = Insn(insn.code, insn.dst, insn.src, target, insn.imm)
            out.append(insn)
        return out


def encode(insns: list[Insn]) -> bytes:
    """struct bpf_insn: u8 code, u8 dst:4 | src:4 (dst in the low nibble), s16 off, s32 imm."""
    return b"".join(struct.pack("<BBhi", i.code, i.src << 4 | i.dst, i.off, i.imm) for i in insns)


def attach(cgroup_dir: Path, rules: list[dict[str, Any]]) -> None:
    """Load the program made from `rules` and attach it to the cgroup at `cgroup_dir`."""
    code = encode(program([Rule.of_spec(r) for r in rules]))
    prog_fd = _load(code)
    try:
        cgroup_fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            attr = struct.pack("<IIII", cgroup_fd, prog_fd, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)
            _bpf(BPF_PROG_ATTACH, attr, "attach the device filter")
        finally:
            os.close(cgroup_fd)
    finally:
        os.close(prog_fd)  # the cgroup holds the program now


def _load(code: bytes) -> int:
    """The program's fd; when the kernel refuses it, loaded again for the verifier's reason."""
    insns = ctypes.create_string_buffer(code, len(code))
    license = ctypes.create_string_buffer(b"Apache")
    head = struct.pack(
        "<IIQQ",
        BPF_PROG_TYPE_CGROUP_DEVICE,
        len(code) // 8,
        ctypes.addressof(insns),
        ctypes.addressof(license),
    )
    try:
        return _bpf(BPF_PROG_LOAD, head, "load the device filter")
    except DeviceFilterError as err:
        log = ctypes.create_string_buffer(1 << 20)
        try:  # log_level 1, log_size, log_buf
            logged = head + struct.pack("<IIQ", 1, len(log), ctypes.addressof(log))
            os.close(_bpf(BPF_PROG_LOAD, logged, "load the device filter"))
        except DeviceFilterError:
            lines = log.value.decode(errors="replace").strip().splitlines()
            raise DeviceFilterError(f"{err}{': ' + lines[-1] if lines else ''}") from None
        raise


def _bpf(cmd: int, attr: bytes, what: str) -> int:
    number = SYSCALL_BPF.get(platform.machine())
    if number is None:
        raise DeviceFilterError(f"cannot {what}: bpf(2) on {platform.machine()} is unknown")
    buffer = ctypes.create_string_buffer(attr.ljust(128, b"\0"), 128)
    libc = ctypes.CDLL(None, use_errno=True)
    result = int(libc.syscall(number, cmd, buffer, 128))
    if result < 0:
        errno = ctypes.get_errno()
        raise DeviceFilterError(f"cannot {what}: {os.strerror(errno)}")
    return result
