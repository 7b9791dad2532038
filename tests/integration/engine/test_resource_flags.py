"""docker 20.10's `run` resource flags beyond memory, CPU and pids, read back from the real
cgroup files and /proc of a running busybox container: --oom-kill-disable, --oom-score-adj.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

SLEEP = ["sleep", "600"]
CAP_SYS_RESOURCE = 1 << 24


def cgroup(engine: Engine, controller: str, container_id: str, name: str) -> Path:
    return Path("/sys/fs/cgroup", controller, engine.cgroup_parent, container_id, name)


def v1_memory(engine: Engine) -> None:
    if not Path("/sys/fs/cgroup/memory").is_dir():
        pytest.skip("no cgroup v1 memory controller on this host")


def inspect(engine: Engine, template: str, container: str) -> str:
    return engine.ok("inspect", "-f", template, container).strip()


def test_oom_kill_disable_sets_the_memory_cgroups_oom_control(engine: Engine, busybox: str) -> None:
    v1_memory(engine)
    cid = engine.ok("run", "-d", "--oom-kill-disable", "-m", "32m", busybox, *SLEEP).strip()
    control = cgroup(engine, "memory", cid, "memory.oom_control").read_text()
    assert "oom_kill_disable 1" in control.splitlines()
    assert inspect(engine, "{{json .HostConfig.OomKillDisable}}", cid) == "true"
    plain = engine.ok("run", "-d", "-m", "32m", busybox, *SLEEP).strip()
    assert "oom_kill_disable 0" in cgroup(engine, "memory", plain, "memory.oom_control").read_text()


def test_oom_score_adj_is_the_processes_own(engine: Engine, busybox: str) -> None:
    show = ["cat", "/proc/self/oom_score_adj"]
    assert engine.ok("run", "--rm", "--oom-score-adj", "500", busybox, *show).strip() == "500"
    cid = engine.ok("run", "-d", "--oom-score-adj", "300", busybox, *SLEEP).strip()
    assert engine.ok("exec", cid, *show).strip() == "300"  # exec'd processes get it too
    assert inspect(engine, "{{.HostConfig.OomScoreAdj}}", cid) == "300"
    assert engine.ok("run", "--rm", busybox, *show).strip() == "0"


def test_a_negative_oom_score_adj_needs_cap_sys_resource(engine: Engine, busybox: str) -> None:
    result = engine.cli(
        "run", "--rm", "--oom-score-adj", "-300", busybox, "cat", "/proc/self/oom_score_adj"
    )
    if CAP_SYS_RESOURCE & int(_status("CapEff"), 16):
        assert result.returncode == 0 and result.stdout.strip() == "-300", result.stderr
    else:  # this host's engine cannot lower it: refused, never silently left at 0
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "cannot set oom_score_adj to -300: Permission denied" in result.stderr


def _status(key: str) -> str:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split()[1]
    return "0"


def test_oom_score_adj_out_of_range_is_refused_in_dockers_words(
    engine: Engine, busybox: str
) -> None:
    for value in ("1001", "-1001"):
        result = engine.cli("run", "--rm", "--oom-score-adj", value, busybox, "true")
        assert result.returncode == 125, result.stderr
        wanted = f"Invalid value {value}, range for oom score adj is [-1000, 1000]"
        assert wanted in result.stderr and "Traceback" not in result.stderr


def test_memory_reservation_is_the_soft_limit(engine: Engine, busybox: str) -> None:
    v1_memory(engine)
    cid = engine.ok("run", "-d", "--memory-reservation", "20m", "-m", "64m", busybox, *SLEEP)
    soft = cgroup(engine, "memory", cid.strip(), "memory.soft_limit_in_bytes")
    assert int(soft.read_text()) == 20 << 20
    assert inspect(engine, "{{.HostConfig.MemoryReservation}}", cid.strip()) == str(20 << 20)
    engine.ok("update", "--memory-reservation", "30m", cid.strip())
    assert int(soft.read_text()) == 30 << 20
    too_low = engine.cli("run", "--rm", "--memory-reservation", "1m", busybox, "true")
    assert (
        too_low.returncode == 125 and "Minimum memory reservation allowed is 6MB" in too_low.stderr
    )
    above = engine.cli("run", "--rm", "-m", "8m", "--memory-reservation", "16m", busybox, "true")
    wanted = "Minimum memory limit can not be less than memory reservation limit, see usage"
    assert above.returncode == 125 and wanted in above.stderr


def test_memory_swappiness_is_the_cgroups(engine: Engine, busybox: str) -> None:
    v1_memory(engine)
    cid = engine.ok("run", "-d", "--memory-swappiness", "7", busybox, *SLEEP).strip()
    assert cgroup(engine, "memory", cid, "memory.swappiness").read_text().strip() == "7"
    assert inspect(engine, "{{.HostConfig.MemorySwappiness}}", cid) == "7"
    plain = engine.ok("run", "-d", busybox, *SLEEP).strip()
    assert inspect(engine, "{{json .HostConfig.MemorySwappiness}}", plain) == "null"
    for value in ("101", "-10"):
        result = engine.cli("run", "--rm", "--memory-swappiness", value, busybox, "true")
        wanted = f"invalid value: {value}. Valid memory swappiness range is 0-100"
        assert result.returncode == 125 and wanted in result.stderr, result.stderr


def test_cpuset_mems_is_the_cpusets(engine: Engine, busybox: str) -> None:
    nodes = Path("/sys/fs/cgroup/cpuset/cpuset.mems")
    if not nodes.exists():
        pytest.skip("no cgroup v1 cpuset controller on this host")
    available = nodes.read_text().strip()
    first = available.split(",")[0].split("-")[0]
    cid = engine.ok("run", "-d", "--cpuset-mems", first, busybox, *SLEEP).strip()
    assert cgroup(engine, "cpuset", cid, "cpuset.mems").read_text().strip() == first
    assert inspect(engine, "{{.HostConfig.CpusetMems}}", cid) == first
    assert f"Mems_allowed_list:\t{first}" in engine.ok("exec", cid, "cat", "/proc/self/status")
    result = engine.cli("run", "--rm", "--cpuset-mems", "63", busybox, "true")
    wanted = f"Requested memory nodes are not available - requested 63, available: {available}"
    assert result.returncode == 125 and wanted in result.stderr, result.stderr
    bad = engine.cli("run", "--rm", "--cpuset-mems", "x", busybox, "true")
    assert bad.returncode == 125 and "Invalid value x for cpuset mems" in bad.stderr


KMEM = Path("/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes")
DEPRECATED = (
    "Specifying a kernel memory limit is deprecated and will be removed in a future release."
)
DISCARDED = (
    "Your kernel does not support kernel memory limit capabilities or the cgroup is not "
    "mounted. Limitation discarded."
)


def kernel_memory_warnings() -> list[str]:
    """What dockerd 20.10 says of --kernel-memory here: deprecated always, and discarded where
    the memory cgroup has no kmem file (the limit is then not recorded either)."""
    return [DEPRECATED] if KMEM.exists() else [DEPRECATED, DISCARDED]


def test_kernel_memory_is_warned_about_as_dockers(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", "--kernel-memory", "50m", busybox, "echo", "ran")
    assert result.returncode == 0 and result.stdout == "ran\n", result.stderr
    assert "".join(f"WARNING: {w}\n" for w in kernel_memory_warnings()) in result.stderr
    cid = engine.ok("create", "--kernel-memory", "50m", busybox, *SLEEP).strip()
    kept = str(50 << 20) if KMEM.exists() else "0"
    assert inspect(engine, "{{.HostConfig.KernelMemory}}", cid) == kept
    quiet = engine.cli("run", "--rm", busybox, "true")
    assert "WARNING" not in quiet.stderr
    if KMEM.exists():
        small = engine.cli("run", "--rm", "--kernel-memory", "1m", busybox, "true")
        assert small.returncode == 125 and "Minimum kernel memory limit allowed is 6MB" in (
            small.stderr
        )


def test_device_cgroup_rule_is_allowed_in_the_devices_cgroup(engine: Engine, busybox: str) -> None:
    if not Path("/sys/fs/cgroup/devices").is_dir():
        pytest.skip("no cgroup v1 devices controller on this host")
    cid = engine.ok("run", "-d", "--device-cgroup-rule", "b 7:* rmw", busybox, *SLEEP).strip()
    allowed = cgroup(engine, "devices", cid, "devices.list").read_text().splitlines()
    assert "b 7:* rwm" in allowed
    assert inspect(engine, "{{json .HostConfig.DeviceCgroupRules}}", cid) == '["b 7:* rmw"]'
    plain = engine.ok("run", "-d", busybox, *SLEEP).strip()
    assert "b 7:* rwm" not in cgroup(engine, "devices", plain, "devices.list").read_text()
    bad = engine.cli("run", "--rm", "--device-cgroup-rule", "x 1:2 r", busybox, "true")
    wanted = (
        'invalid argument "x 1:2 r" for "--device-cgroup-rule" flag: '
        "invalid device cgroup format 'x 1:2 r'"
    )
    assert bad.returncode == 125 and wanted in bad.stderr, bad.stderr


def _block_device() -> Path:
    for node in sorted(Path("/dev").iterdir()):
        with contextlib.suppress(OSError):
            if stat.S_ISBLK(node.stat().st_mode):
                return node
    pytest.skip("no block device on this host")


def test_device_throttles_are_the_blkio_cgroups(engine: Engine, busybox: str) -> None:
    if not Path("/sys/fs/cgroup/blkio/blkio.throttle.read_bps_device").exists():
        pytest.skip("no cgroup v1 blkio throttling on this host")
    node = _block_device()
    rdev = node.stat().st_rdev
    number = f"{os.major(rdev)}:{os.minor(rdev)}"
    flags = [
        *("--device-read-bps", f"{node}:1mb", "--device-write-bps", f"{node}:2mb"),
        *("--device-read-iops", f"{node}:100", "--device-write-iops", f"{node}:200"),
    ]
    cid = engine.ok("run", "-d", *flags, busybox, *SLEEP).strip()
    for name, rate in (
        ("read_bps_device", 1 << 20), ("write_bps_device", 2 << 20),
        ("read_iops_device", 100), ("write_iops_device", 200),
    ):  # fmt: skip
        text = cgroup(engine, "blkio", cid, f"blkio.throttle.{name}").read_text()
        assert f"{number} {rate}" in text.splitlines(), (name, text)
    shown = inspect(engine, "{{json .HostConfig.BlkioDeviceReadBps}}", cid)
    assert shown == f'[{{"Path":"{node}","Rate":{1 << 20}}}]'
    gone = engine.cli("run", "--rm", "--device-read-bps", "/dev/nope:1mb", busybox, "true")
    assert gone.returncode == 127, gone.stderr  # docker's CLI: a start error naming ENOENT is 127
    assert "stat /dev/nope: no such file or directory" in gone.stderr
    bad = engine.cli("run", "--rm", "--device-write-iops", f"{node}:lots", busybox, "true")
    wanted = f"invalid rate for device: {node}:lots. The correct format is <device-path>:<number>."
    assert bad.returncode == 125 and wanted in bad.stderr, bad.stderr


def test_blkio_weight_is_the_cgroups_or_discarded_with_dockers_warning(
    engine: Engine, busybox: str
) -> None:
    if not Path("/sys/fs/cgroup/blkio").is_dir():
        pytest.skip("no cgroup v1 blkio controller on this host")
    node = _block_device()
    flags = ["--blkio-weight", "300", "--blkio-weight-device", f"{node}:400"]
    result = engine.cli("run", "-d", *flags, busybox, *SLEEP)
    assert result.returncode == 0, result.stderr
    cid = result.stdout.strip()
    if Path("/sys/fs/cgroup/blkio/blkio.weight").exists():
        assert cgroup(engine, "blkio", cid, "blkio.weight").read_text().strip() == "300"
        assert inspect(engine, "{{.HostConfig.BlkioWeight}}", cid) == "300"
    else:  # no CFQ weights on this kernel: docker 20.10 warns and drops both
        assert (
            "WARNING: Your kernel does not support Block I/O weight or the cgroup is not "
            "mounted. Weight discarded.\n" in result.stderr
        )
        assert (
            "WARNING: Your kernel does not support Block I/O weight_device or the cgroup is not "
            "mounted. Weight-device discarded.\n" in result.stderr
        )
        assert inspect(engine, "{{.HostConfig.BlkioWeight}}", cid) == "0"
        assert inspect(engine, "{{json .HostConfig.BlkioWeightDevice}}", cid) == "[]"
    bad = engine.cli("run", "--rm", "--blkio-weight-device", f"{node}:5", busybox, "true")
    wanted = f'"--blkio-weight-device" flag: invalid weight for device: {node}:5'
    assert bad.returncode == 125 and wanted in bad.stderr, bad.stderr


def test_update_takes_dockers_flags_and_prints_the_engines_warnings(
    engine: Engine, busybox: str
) -> None:
    """As docker 20.10's update: the names, then the engine's warnings, on stdout; the device
    throttles checked and sent (dockerd keeps none of them); no flag at all refused."""
    cid = engine.ok("run", "-d", busybox, *SLEEP).strip()
    done = engine.cli("update", "--kernel-memory", "50m", cid[:12])
    warnings = "\n".join(kernel_memory_warnings())
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{cid[:12]}\n{warnings}\n", "")
    kept = str(50 << 20) if KMEM.exists() else "0"
    assert inspect(engine, "{{.HostConfig.KernelMemory}}", cid) == kept
    engine.ok("update", "--cpu-period", "100000", "--cpu-quota", "50000", cid)
    if Path("/sys/fs/cgroup/cpu").is_dir():
        assert cgroup(engine, "cpu", cid, "cpu.cfs_quota_us").read_text().strip() == "50000"
    assert inspect(engine, "{{.HostConfig.CpuQuota}}", cid) == "50000"
    throttled = engine.cli("update", "--device-read-bps", "/dev/null:1mb", cid)
    assert (throttled.returncode, throttled.stdout) == (0, f"{cid}\n"), throttled.stderr
    bad = engine.cli("update", "--device-write-iops", "/dev/null:x", cid)
    assert bad.returncode != 0 and "invalid rate for device: /dev/null:x" in bad.stderr
    none = engine.cli("update", cid)
    assert (none.returncode, none.stderr) == (
        1,
        "you must provide one or more flags when using this command\n",
    )


def test_cpu_real_time_limits_are_the_cgroups_within_the_parents_budget(
    engine: Engine, busybox: str
) -> None:
    """--cpu-rt-period/--cpu-rt-runtime as dockerd 20.10 takes them: checked in its words,
    written to cpu.rt_period_us and cpu.rt_runtime_us, which the kernel refuses while the
    parent cgroup has no real-time budget (the host's default below the root: the run fails,
    exit 125, as runc's write fails under dockerd), and takes once the host gave it one."""
    if not Path("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").exists():
        pytest.skip("no cgroup v1 cpu controller with real-time scheduling on this host")
    engine.ok("run", "--rm", busybox, "true")  # the engine's cgroup parent exists
    parts = Path(engine.cgroup_parent.strip("/")).parts  # each level needs its budget
    chain = [Path("/sys/fs/cgroup/cpu", *parts[:n]) for n in range(1, len(parts) + 1)]
    refused = engine.cli("run", "--rm", "--cpu-rt-runtime", "1000", busybox, "true")
    assert refused.returncode == 125 and "cpu.rt_runtime_us" in refused.stderr, refused.stderr
    higher = engine.cli(
        "run", "--rm", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "2000", busybox, "true"
    )
    assert higher.returncode == 125
    assert "cpu real-time runtime cannot be higher than cpu real-time period" in higher.stderr
    try:
        for directory in chain:  # the host gives the engine's cgroups a budget
            (directory / "cpu.rt_runtime_us").write_text("10000")
        cid = engine.ok(
            "run", "-d", "--cpu-rt-period", "500000", "--cpu-rt-runtime", "1000", busybox, *SLEEP
        ).strip()
        assert cgroup(engine, "cpu", cid, "cpu.rt_period_us").read_text() == "500000\n"
        assert cgroup(engine, "cpu", cid, "cpu.rt_runtime_us").read_text() == "1000\n"
        shown = "{{.HostConfig.CpuRealtimePeriod}} {{.HostConfig.CpuRealtimeRuntime}}"
        assert inspect(engine, shown, cid) == "500000 1000"
        engine.ok("update", "--cpu-rt-runtime", "500", cid)
        assert cgroup(engine, "cpu", cid, "cpu.rt_runtime_us").read_text() == "500\n"
        assert inspect(engine, shown, cid) == "500000 500"
        engine.ok("rm", "-f", cid)
    finally:
        engine.remove_all_containers()
        for directory in reversed(chain):
            (directory / "cpu.rt_runtime_us").write_text("0")


def test_daemon_cpu_rt_runtime_gives_the_parents_their_budget(
    tmp_path: Path, busybox_tar: Path
) -> None:
    """daemon.json's cpu-rt-runtime (dockerd's --cpu-rt-runtime): a container asking for
    real-time runtime gets it without the host's help, its parent cgroup holding the budget;
    a container that asks for none leaves the parent as it was."""
    if not Path("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").exists():
        pytest.skip("no cgroup v1 cpu controller with real-time scheduling on this host")
    (tmp_path / "rt").mkdir()
    engine = Engine.start(tmp_path / "rt", {"cpu-rt-runtime": 20000})
    try:
        engine.ok("import", str(busybox_tar), "busybox:latest")
        parent = Path("/sys/fs/cgroup/cpu", engine.cgroup_parent.strip("/"))
        engine.ok("run", "--rm", "busybox", "true")
        assert (parent / "cpu.rt_runtime_us").read_text() == "0\n"  # nobody asked
        cid = engine.ok("run", "-d", "--cpu-rt-runtime", "1000", "busybox", *SLEEP).strip()
        assert (parent / "cpu.rt_runtime_us").read_text() == "20000\n"
        assert cgroup(engine, "cpu", cid, "cpu.rt_runtime_us").read_text() == "1000\n"
    finally:
        leaks = engine.shut_down()
    assert not leaks, f"the engine left behind: {leaks}"
