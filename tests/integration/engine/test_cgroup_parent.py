"""`run/create --cgroup-parent` as dockerd 20.10's cgroupfs driver places a container: its cgroup
is PARENT/<id>, from each hierarchy's root when PARENT starts with "/", below the runtime's own
cgroup (the shims', runc's) when not; `..` never climbs above a root (runc's CleanPath). Read back
from the real /proc/<pid>/cgroup and cgroup files of running containers, with both runtimes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

ROOT = Path("/sys/fs/cgroup")
SLEEP = ["sleep", "600"]
LIMITS = ["-m", "32m", "--cpus", "0.5", "--pids-limit", "50"]


def v1_or_skip() -> None:
    if not (ROOT / "memory").is_dir() or (ROOT / "cgroup.controllers").exists():
        pytest.skip("this host has no cgroup v1 controllers (v2: tests/unit/shim/test_cgroups.py)")


def cgroups_of(pid: int, unified: bool = False) -> dict[str, str]:
    """The real /proc/<pid>/cgroup: controller → path (v1 hierarchies; "" the unified one)."""
    found = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        found |= {c: path for c in controllers.split(",") if c or unified}
    return found


def pid_of(engine: Engine, cid: str) -> int:
    return int(engine.ok("inspect", "-f", "{{.State.Pid}}", cid))


def runtime_cgroups(engine: Engine) -> dict[str, str]:
    """The runtime service's own cgroups: where a relative parent goes (its shims are in them)."""
    return cgroups_of(engine.service_pid("runtime"), unified=True)


def hierarchy(controller: str) -> Path:
    """Where a hierarchy is mounted here ("": hybrid's unified one)."""
    return ROOT / {"": "unified", "name=systemd": "systemd"}.get(controller, controller)


def below(cgroups: dict[str, str], name: str) -> list[Path]:
    """NAME's directory below each of `cgroups` (controller → cgroup), in every hierarchy."""
    return [hierarchy(c) / cgroups[c].lstrip("/") / name for c in cgroups if hierarchy(c).is_dir()]


def assert_placed(pid: int, expected: dict[str, str]) -> None:
    """The process is in `expected`'s cgroup in every v1 controller that has a directory."""
    mine = cgroups_of(pid)
    for controller in ("memory", "cpu", "pids", "devices", "freezer"):
        assert mine[controller] == expected[controller], (controller, mine)


def assert_limited(memory: Path, cpu: Path, pids: Path) -> None:
    """The -m/--cpus/--pids-limit of LIMITS in the container's own cgroup directories."""
    assert int((memory / "memory.limit_in_bytes").read_text()) == 32 << 20
    assert int((cpu / "cpu.cfs_quota_us").read_text()) == 50000
    assert (pids / "pids.max").read_text().strip() == "50"


@pytest.mark.parametrize("runtime", ["dockyard", "runc"])
def test_an_absolute_parent_is_taken_from_each_hierarchys_root(
    engine: Engine, busybox: str, runtime: str
) -> None:
    v1_or_skip()
    top = f"cgp-{secrets.token_hex(4)}"
    engine.watch_cgroups(*below(dict.fromkeys(runtime_cgroups(engine), "/"), top))
    parent = f"/{top}/inner"
    cid = engine.ok(
        "run", "-d", "--runtime", runtime, "--cgroup-parent", parent, *LIMITS, busybox, *SLEEP
    ).strip()
    pid = pid_of(engine, cid)
    assert_placed(
        pid, dict.fromkeys(("memory", "cpu", "pids", "devices", "freezer"), f"{parent}/{cid}")
    )
    assert_limited(*(ROOT / c / top / "inner" / cid for c in ("memory", "cpu", "pids")))
    assert engine.ok("inspect", "-f", "{{.HostConfig.CgroupParent}}", cid) == f"{parent}\n"
    assert not (ROOT / "memory" / engine.cgroup_parent / cid).exists()
    engine.ok("rm", "-f", cid)
    assert not (ROOT / "memory" / top / "inner" / cid).exists()
    assert (ROOT / "memory" / top / "inner").is_dir()  # the parent stays, as runc leaves it


@pytest.mark.parametrize("runtime", ["dockyard", "runc"])
def test_a_relative_parent_is_below_the_runtimes_own_cgroup(
    engine: Engine, busybox: str, runtime: str
) -> None:
    v1_or_skip()
    top = f"cgp-{secrets.token_hex(4)}"
    own = runtime_cgroups(engine)
    engine.watch_cgroups(*below(own, top))
    cid = engine.ok(
        "run", "-d", "--runtime", runtime, "--cgroup-parent", top, *LIMITS, busybox, *SLEEP
    ).strip()
    expected = {c: f"{own[c].rstrip('/')}/{top}/{cid}" for c in own if c}
    assert_placed(pid_of(engine, cid), expected)
    dirs = [ROOT / c / expected[c].lstrip("/") for c in ("memory", "cpu", "pids")]
    assert_limited(*dirs)
    seen = engine.ok("exec", cid, "cat", "/proc/self/cgroup").splitlines()
    assert seen and all(line.endswith(":/") for line in seen)  # exec'd: at its cgroupns root
    engine.ok("rm", "-f", cid)
    assert not any(d.exists() for d in dirs)


def test_dotdot_never_climbs_out_of_a_cgroup_root(engine: Engine, busybox: str) -> None:
    """moby's TestRunInvalidCgroupParent: "../../…/X" is X below the runtime's cgroup and
    "/../../…/X" is /X; nothing is made outside /sys/fs/cgroup's hierarchies."""
    v1_or_skip()
    name = f"cgp-escape-{secrets.token_hex(4)}"
    own = runtime_cgroups(engine)
    engine.watch_cgroups(*below(own, name), *below(dict.fromkeys(own, "/"), name))
    climbing = "../" * 12 + name
    relative = engine.ok("run", "-d", "--cgroup-parent", climbing, busybox, *SLEEP).strip()
    absolute = engine.ok("create", "--cgroup-parent", "/" + climbing, busybox, *SLEEP).strip()
    engine.ok("start", absolute)
    assert (
        cgroups_of(pid_of(engine, relative))["memory"]
        == f"{own['memory'].rstrip('/')}/{name}/{relative}"
    )
    assert cgroups_of(pid_of(engine, absolute))["memory"] == f"/{name}/{absolute}"
    for outside in (Path("/") / name, Path("/sys") / name, Path("/sys/fs") / name, ROOT / name):
        assert not outside.exists(), outside
    assert engine.ok("inspect", "-f", "{{.HostConfig.CgroupParent}}", relative) == f"{climbing}\n"


def test_a_parent_inside_another_containers_cgroup_is_refused(engine: Engine, busybox: str) -> None:
    """Nested, the outer container's cgroup could not be removed with it (docker's rm fails)."""
    outer = engine.ok("run", "-d", busybox, *SLEEP).strip()
    for parent in (f"/{engine.cgroup_parent}/{outer}", f"{engine.cgroup_parent}/{outer}/more"):
        refused = engine.cli("run", "--rm", "--cgroup-parent", parent, busybox, "true")
        assert refused.returncode == 125, refused.stderr
        assert refused.stderr == (
            f"dockyard: Error response from daemon: cgroup-parent '{parent}' is inside container "
            f"{outer[:12]}'s cgroup: a container's cgroup holds only its own processes.\n"
            "See 'dockyard run --help'.\n"
        )
    engine.ok("rm", "-f", outer)
    assert not engine.leaked_cgroups()  # nothing was made inside it


def test_help_offers_the_flag(engine: Engine) -> None:
    for verb in ("run", "create"):
        assert "--cgroup-parent" in engine.ok(verb, "--help")
