"""cgroup v2's device rules, held by the kernel: the shim's `resources.apply` on a real cgroup2
directory (here the hybrid host's /sys/fs/cgroup/unified, which runs cgroup-device programs
as a pure v2 host does) attaches the program made from docker's default rules, and a process
moved into that cgroup opens /dev/null and /dev/zero but not /dev/loop-control nor a node it
makes for a disk of the host; a `--device` rule lets just the access it names through.
Before this filter, a container on a pure v2 host opened them all."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.services.engine import isolation, spec
from dockyard.services.engine.model import DeviceMapping
from dockyard.shim import resources
from dockyard.shim.cgroups import Cgroup

pytestmark = pytest.mark.integration

_names = itertools.count()

# the child joins the cgroup, then reports what each operation gave: "ok" or the errno's name
CHILD = r"""
import errno, json, os, sys
cgroup, ops = sys.argv[1], json.loads(sys.argv[2])
with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
    f.write(str(os.getpid()))
out = []
for op, path, arg in ops:
    try:
        if op == "mknod":
            os.mknod(path, 0o600 | arg[0], os.makedev(arg[1], arg[2]))
        else:
            os.close(os.open(path, os.O_RDWR if arg == "rw" else os.O_RDONLY))
        out.append("ok")
    except OSError as err:
        out.append(errno.errorcode[err.errno])
print(json.dumps(out))
"""


def _unified() -> Path:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mount, _, fs = line.partition(" - ")
        if fs.startswith("cgroup2 "):
            return Path(mount.split()[4])
    pytest.skip("no cgroup2 hierarchy is mounted")


@pytest.fixture
def cgroup() -> Iterator[Cgroup]:
    directory = _unified() / f"dockyard-devtest-{os.getpid()}-{next(_names)}"
    directory.mkdir()
    group = Cgroup("/" + directory.name, {"": directory}, v2=True)
    try:
        yield group
    finally:
        group.kill_all()
        group.remove()
    assert not directory.exists()


def _block_node(tmp_path: Path) -> tuple[str, int, int]:
    """A node made for a block device of the host that this (unfiltered) test process opens:
    the root filesystem's disk first, else any other (a sandboxed host may refuse its disk to
    everyone; a loop device still opens)."""
    root = [f.split()[2] for f in Path("/proc/self/mountinfo").read_text().splitlines()
            if f.split()[4] == "/"]  # fmt: skip
    for name in root + sorted(os.listdir("/sys/dev/block")):
        if not Path(f"/sys/dev/block/{name}").exists():
            continue
        major, minor = (int(n) for n in name.split(":"))
        node = tmp_path / f"disk-{major}-{minor}"
        os.mknod(node, 0o600 | stat.S_IFBLK, os.makedev(major, minor))
        try:
            os.close(os.open(node, os.O_RDONLY))
        except OSError:
            continue
        return str(node), major, minor
    pytest.skip("no block device of this host opens")


def _in(group: Cgroup, ops: list[tuple[str, str, object]]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(group.controllers[""]), json.dumps(ops)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


def test_dockers_default_rules_on_a_cgroup2_cgroup(cgroup: Cgroup, tmp_path: Path) -> None:
    _, major, minor = _block_node(tmp_path)  # it opens here, outside the cgroup
    os.close(os.open("/dev/loop-control", os.O_RDWR))  # and so does this
    resources.apply(cgroup, {"devices": spec._device_rules(privileged=False)})
    disk = str(tmp_path / "disk")
    got = _in(
        cgroup,
        [
            ("open", "/dev/null", "rw"),
            ("open", "/dev/zero", "r"),
            ("open", "/dev/loop-control", "rw"),  # 10:237
            ("mknod", disk, [stat.S_IFBLK, major, minor]),  # docker's rules allow any mknod
            ("open", disk, "r"),
            ("open", disk, "rw"),
        ],
    )
    assert got == ["ok", "ok", "EPERM", "ok", "EPERM", "EPERM"]


def test_a_device_rule_lets_its_access_through(cgroup: Cgroup, tmp_path: Path) -> None:
    disk, _, _ = _block_node(tmp_path)
    mapping = DeviceMapping(path_on_host=disk, cgroup_permissions="r")  # --device DISK:DISK:r
    _, device_rules = isolation.devices([mapping])
    resources.apply(cgroup, {"devices": spec._device_rules(privileged=False) + device_rules})
    assert _in(cgroup, [("open", disk, "r"), ("open", disk, "rw")]) == ["ok", "EPERM"]


def test_no_mknod_where_no_rule_allows_it(cgroup: Cgroup, tmp_path: Path) -> None:
    rules = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 1,
             "minor": 3, "access": "rwm"}]  # fmt: skip
    resources.apply(cgroup, {"devices": rules})
    null, zero = str(tmp_path / "null"), str(tmp_path / "zero")
    got = _in(
        cgroup, [("mknod", null, [stat.S_IFCHR, 1, 3]), ("mknod", zero, [stat.S_IFCHR, 1, 5])]
    )
    assert got == ["ok", "EPERM"]
