"""cgroup v2 (this host is v1): limits and usage against a directory laid out as v2's files."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.shim import resources
from dockyard.shim.cgroups import Cgroup

V2_FILES = {
    "memory.max": "max",
    "memory.swap.max": "max",
    "cpu.weight": "100",
    "cpu.max": "max 100000",
    "cpuset.cpus": "",
    "pids.max": "max",
    "memory.current": "10485760",
    "memory.stat": "anon 8388608\ninactive_file 2097152\n",
    "pids.current": "3",
    "cpu.stat": "usage_usec 1500\nuser_usec 1000\n",
    "io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n8:16 rbytes=1 wbytes=2\n",
    "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n",
}


@pytest.fixture
def group(tmp_path: Path) -> Cgroup:
    for name, text in V2_FILES.items():
        (tmp_path / name).write_text(text)
    return Cgroup("/dockyard/x", {"": tmp_path}, v2=True)


def read(group: Cgroup, name: str) -> str:
    return (group.controllers[""] / name).read_text()


def test_limits_in_v2_terms(group: Cgroup) -> None:
    resources.apply(
        group,
        {
            "memory": {"limit": 64 << 20, "swap": 96 << 20},
            "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1"},
            "pids": {"limit": 20},
        },
    )
    assert read(group, "memory.max") == str(64 << 20)
    assert read(group, "memory.swap.max") == str(32 << 20)  # OCI swap counts memory too
    assert read(group, "cpu.weight") == "39"  # docker's shares → weight mapping
    assert read(group, "cpu.max") == "50000 100000"
    assert read(group, "cpuset.cpus") == "0-1"
    assert read(group, "pids.max") == "20"


def test_unlimited_values(group: Cgroup) -> None:
    resources.apply(group, {"memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1}})
    assert read(group, "memory.max") == "max" and read(group, "memory.swap.max") == "max"
    assert read(group, "pids.max") == "max"


def test_usage_from_v2_files(group: Cgroup) -> None:
    (group.controllers[""] / "memory.max").write_text(str(64 << 20))
    stats = resources.stats(group, 0)
    assert stats["memory_usage"] == (10 << 20) - (2 << 20)  # without the page cache, as docker
    assert stats["memory_limit"] == 64 << 20
    assert stats["cpu_usage_ns"] == 1_500_000
    assert (stats["block_read"], stats["block_write"]) == (4097, 8194)
    assert (stats["pids_current"], stats["pids_limit"]) == (3, 0)


def test_oom_kill_from_memory_events(group: Cgroup) -> None:
    assert not resources.oom_killed(group)
    (group.controllers[""] / "memory.events").write_text("oom 1\noom_kill 1\n")
    assert resources.oom_killed(group)
