"""Where the shim puts a container's cgroup from the spec's cgroupsPath, as runc's fs managers
do on v1 and v2: absolute from each hierarchy's root, relative below the shim's own cgroup,
lexically cleaned so that no `..` climbs out of a hierarchy (the hierarchies of a host are
given here; the integration tests read the real ones)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.shim import cgroups
from dockyard.shim.cgroups import Cgroup

ROOT = Path("/sys/fs/cgroup")


@pytest.fixture
def v2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cgroups, "is_v2", lambda: True)
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: {"": "/system.slice/dockyard.service"})


@pytest.fixture
def v1(monkeypatch: pytest.MonkeyPatch) -> None:
    mounts = {
        "memory": ROOT / "memory",
        "cpu": ROOT / "cpu,cpuacct",
        "name=systemd": ROOT / "systemd",
    }
    own = {"memory": "/box/7", "cpu": "/", "name=systemd": "/system.slice/d.service"}
    monkeypatch.setattr(cgroups, "is_v2", lambda: False)
    monkeypatch.setattr(cgroups, "v1_hierarchies", lambda: mounts)
    monkeypatch.setattr(cgroups, "own_cgroups", lambda: own)


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [
        ("/a/b", "/a/b"),
        ("a/b", "a/b"),
        ("/../../../x", "/x"),
        ("../../../x", "x"),
        ("a/../../x/./y//", "x/y"),
        ("//a", "/a"),
        ("..", "."),
        ("/..", "/"),
        ("", ""),
    ],
)
def test_paths_are_cleaned_as_runcs_clean_path(path: str, cleaned: str) -> None:
    assert cgroups.clean_path(path) == cleaned


@pytest.mark.usefixtures("v2")
def test_v2_absolute_from_the_root_relative_below_the_shims_own() -> None:
    assert Cgroup.for_path("/cgp/id").dirs == [ROOT / "cgp/id"]
    assert Cgroup.for_path("cgp/id").dirs == [ROOT / "system.slice/dockyard.service/cgp/id"]
    assert Cgroup.for_path("/../../../cgp/id").dirs == [ROOT / "cgp/id"]
    assert Cgroup.for_path("../../../cgp/id").dirs == [
        ROOT / "system.slice/dockyard.service/cgp/id"
    ]


@pytest.mark.usefixtures("v1")
def test_v1_each_hierarchy_from_its_root_or_the_shims_own_cgroup_in_it() -> None:
    group = Cgroup.for_path("cgp/id")
    assert group.controllers == {
        "memory": ROOT / "memory/box/7/cgp/id",
        "cpu": ROOT / "cpu,cpuacct/cgp/id",
        "name=systemd": ROOT / "systemd/system.slice/d.service/cgp/id",
    }
    assert Cgroup.for_path("/../cgp/id").controllers["memory"] == ROOT / "memory/cgp/id"


@pytest.mark.usefixtures("v1")
@pytest.mark.parametrize("path", ["/", "", ".", "..", "/../..", "a/.."])
def test_a_root_or_the_shims_own_cgroup_is_never_a_containers(path: str) -> None:
    with pytest.raises(ValueError, match="names no cgroup of the container's own"):
        Cgroup.for_path(path)


def test_own_cgroups_reads_this_process_cgroups() -> None:
    own = cgroups.own_cgroups()
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    assert len(own) >= len(lines) and all(path.startswith("/") for path in own.values())
    for line in lines:  # "4:memory:/x", "3:cpu,cpuacct:/", "1:name=systemd:/y", "0::/z"
        controllers, path = line.split(":", 1)[1].split(":", 1)
        assert all(own[c] == path for c in controllers.split(",")), line
