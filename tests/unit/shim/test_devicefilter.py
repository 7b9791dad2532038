"""The cgroup-v2 device filter's program (no root): the bytes it makes are decoded and run by a
tiny eBPF interpreter here, and must decide as the rule list means — the last matching rule
wins, per access bit, nothing allowed unless a rule allows it. The kernel's own verdicts are in
tests/integration/engine/test_device_filter.py."""

from __future__ import annotations

import random
import struct
from pathlib import Path
from typing import Any

import pytest
from dockyard.services.engine import spec
from dockyard.shim import devicefilter, resources
from dockyard.shim.cgroups import Cgroup
from dockyard.shim.devicefilter import BLOCK, CHAR, DeviceFilterError, Rule

M, R, W = 1, 2, 4


def run(code: bytes, kind: int, major: int, minor: int, access: int) -> int:
    """Execute the subset of eBPF the filter may use against one bpf_cgroup_dev_ctx."""
    ctx = struct.pack("<III", access << 16 | kind, major, minor)
    regs = [0] * 11
    defined = {1}
    pc, steps = 0, 0
    while True:
        assert 0 <= pc < len(code) // 8, "jumped out of the program"
        steps += 1
        assert steps < 10_000
        op, regbyte, off, imm = struct.unpack_from("<BBhi", code, pc * 8)
        dst, src = regbyte & 0xF, regbyte >> 4
        pc += 1
        if op == 0x61:  # ldx u32
            assert src == 1 and off in (0, 4, 8)
            regs[dst] = struct.unpack_from("<I", ctx, off)[0]
            defined.add(dst)
        elif op in (0x54, 0x74):  # and, rsh (32-bit, immediate)
            assert dst in defined
            value = regs[dst] & imm if op == 0x54 else regs[dst] >> imm
            regs[dst] = value & 0xFFFFFFFF
        elif op == 0xB7:
            regs[dst] = imm
            defined.add(dst)
        elif op == 0x05:
            pc += off
        elif op in (0x15, 0x45):  # jeq, jset (immediate)
            assert dst in defined and off >= 0
            taken = regs[dst] == imm if op == 0x15 else regs[dst] & imm
            pc += off if taken else 0
        elif op == 0x95:
            assert 0 in defined, "exit before r0 is set"
            return regs[0]
        else:
            raise AssertionError(f"unexpected opcode {op:#x}")


def expected(rules: list[Rule], kind: int, major: int, minor: int, access: int) -> int:
    """What the rule list means: each access bit asked is decided by the last rule that
    names it and matches the device; every bit must be allowed."""
    for bit in (M, R, W):
        if not access & bit:
            continue
        verdict = False
        for rule in rules:
            if (
                rule.access & bit
                and rule.kind in (None, kind)
                and rule.major in (None, major)
                and rule.minor in (None, minor)
            ):
                verdict = rule.allow
        if not verdict:
            return 0
    return 1


def decide(rules: list[dict[str, Any]], kind: int, major: int, minor: int, access: int) -> int:
    code = devicefilter.encode(devicefilter.program([Rule.of_spec(r) for r in rules]))
    return run(code, kind, major, minor, access)


DEFAULTS = spec._device_rules(privileged=False)


@pytest.mark.parametrize(
    ("kind", "major", "minor", "access", "allowed"),
    [
        (CHAR, 1, 3, R | W, 1),  # /dev/null
        (CHAR, 1, 5, R, 1),  # /dev/zero
        (CHAR, 136, 7, R | W, 1),  # a pty: 136:*
        (CHAR, 5, 2, R | W, 1),  # /dev/ptmx
        (CHAR, 10, 237, R | W, 0),  # /dev/loop-control
        (CHAR, 10, 237, M, 1),  # docker lets any node be made, not opened
        (BLOCK, 254, 0, M, 1),
        (BLOCK, 254, 0, R, 0),  # the host's disk
        (BLOCK, 1, 3, R, 0),  # a block device with /dev/null's numbers
        (CHAR, 1, 1, R, 0),  # /dev/mem
    ],
)
def test_dockers_default_rules(
    kind: int, major: int, minor: int, access: int, allowed: int
) -> None:
    assert decide(DEFAULTS, kind, major, minor, access) == allowed


def test_a_device_flag_allows_just_the_access_it_names() -> None:
    rules = [*DEFAULTS, {"allow": True, "type": "b", "major": 254, "minor": 0, "access": "r"}]
    assert decide(rules, BLOCK, 254, 0, R) == 1
    assert decide(rules, BLOCK, 254, 0, R | W) == 0
    assert decide(rules, BLOCK, 254, 1, R) == 0


def test_the_last_matching_rule_wins_per_access_bit() -> None:
    allow_all = {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}
    deny_w = {"allow": False, "type": "c", "major": 1, "minor": 3, "access": "w"}
    assert decide([allow_all, deny_w], CHAR, 1, 3, R) == 1
    assert decide([allow_all, deny_w], CHAR, 1, 3, R | W) == 0  # O_RDWR is refused
    assert decide([deny_w, allow_all], CHAR, 1, 3, R | W) == 1
    split = [{**allow_all, "access": "r"}, {**allow_all, "access": "w"}]
    assert decide(split, CHAR, 1, 3, R | W) == 1  # as v1 merges the two exceptions


def test_privileged_allows_everything_and_no_rules_allow_nothing() -> None:
    assert decide(spec._device_rules(privileged=True), BLOCK, 8, 0, M | R | W) == 1
    assert decide([], CHAR, 1, 3, R) == 0


def test_random_rule_lists_decide_as_they_mean() -> None:
    rng = random.Random(7)
    for _ in range(300):
        rules = [_random_rule(rng) for _ in range(rng.randint(0, 8))]
        parsed = [Rule.of_spec(r) for r in rules]
        code = devicefilter.encode(devicefilter.program(parsed))
        for _ in range(20):
            ask = (rng.choice((BLOCK, CHAR)), rng.randint(0, 3), rng.randint(0, 3))
            access = rng.randint(1, 7)
            assert run(code, *ask, access) == expected(parsed, *ask, access), rules


def _random_rule(rng: random.Random) -> dict[str, Any]:
    rule: dict[str, Any] = {"allow": rng.random() < 0.6, "type": rng.choice("abc")}
    rule["access"] = "".join(c for c in "rwm" if rng.random() < 0.6) or "r"
    for key in ("major", "minor"):
        if rng.random() < 0.7:
            rule[key] = rng.randint(0, 3)
    return rule


def test_every_instruction_is_reachable() -> None:
    """The verifier refuses a program with an instruction no path reaches."""
    rules = [{"allow": False, "access": "rwm"}, {"allow": True, "access": "rwm"}, *DEFAULTS]
    code = devicefilter.encode(devicefilter.program([Rule.of_spec(r) for r in rules]))
    seen, todo = set(), [0]
    while todo:
        pc = todo.pop()
        if pc in seen:
            continue
        seen.add(pc)
        op, _, off, _ = struct.unpack_from("<BBhi", code, pc * 8)
        nexts = {0x95: [], 0x05: [pc + 1 + off]}.get(op, [pc + 1])
        todo += nexts + ([pc + 1 + off] if op in (0x15, 0x45) else [])
    assert seen == set(range(len(code) // 8))


def test_known_encodings() -> None:
    insns = devicefilter.program([])
    code = devicefilter.encode(insns)
    assert code[:8] == bytes.fromhex("6112000000000000")  # r2 = *(u32 *)(r1 + 0)
    assert code[8:16] == bytes.fromhex("54020000ffff0000")  # w2 &= 0xffff
    assert code[-16:] == bytes.fromhex("b7000000010000009500000000000000")  # r0 = 1; exit


@pytest.mark.parametrize(
    "rule",
    [
        {"allow": True, "type": "x"},
        {"allow": True, "type": "c", "access": "rwx"},
        {"allow": True, "type": "c", "major": "1"},
        {"allow": True, "type": "c", "minor": 1 << 40},
    ],
)
def test_bad_rules_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(DeviceFilterError, match="invalid device rule"):
        Rule.of_spec(rule)


def test_a_program_too_long_to_jump_across_is_refused() -> None:
    rules = [Rule(True, CHAR, n, 0, M | R | W) for n in range(6000)]
    with pytest.raises(DeviceFilterError, match="too many device rules"):
        devicefilter.program(rules)


def test_a_filter_the_kernel_refuses_fails_the_containers_start(tmp_path: Path) -> None:
    """Never an unfiltered container: a directory that is no cgroup (or no right to load a
    program) is one line from `apply`, which fails the create."""
    group = Cgroup("/dockyard/x", {"": tmp_path}, v2=True)
    with pytest.raises(resources.ResourceError) as caught:
        resources.apply(group, {"devices": DEFAULTS})
    assert str(caught.value).startswith("cannot apply the device rules to the cgroup: cannot ")
    assert "\n" not in str(caught.value)


def test_a_v1_host_without_a_devices_cgroup_runs_no_container(tmp_path: Path) -> None:
    """v1's rules used to be skipped without a word when the devices hierarchy was missing."""
    group = Cgroup("/dockyard/x", {"memory": tmp_path / "memory"}, v2=False)
    with pytest.raises(resources.ResourceError, match="no devices cgroup"):
        resources.apply(group, {"devices": DEFAULTS})
    (tmp_path / "devices").mkdir()
    (tmp_path / "devices" / "devices.allow").write_text("")
    (tmp_path / "devices" / "devices.deny").write_text("")
    group = Cgroup("/dockyard/x", {"devices": tmp_path / "devices"}, v2=False)
    resources.apply(group, {"devices": DEFAULTS})
    assert (tmp_path / "devices" / "devices.allow").read_text() == "c 10:200 rwm"
