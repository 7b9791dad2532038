"""Runtime verbs on real containers, beyond test_runtime_ops.py: the whole lifecycle tour, wait,
attach, every cgroup file a limit reaches, impossible values, masked /proc, supplementary groups,
the events' JSON and logs --until."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration

SLEEP = ["sleep", "600"]


def cgroup_file(engine: Engine, controller: str, container: str, name: str) -> Path:
    cid = engine.ok("inspect", "-f", "{{.Id}}", container).strip()
    return Path("/sys/fs/cgroup") / controller / engine.cgroup_parent / cid / name


def one_line_error(result: object, code: int | None = None) -> str:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode != 0 and (code is None or result.returncode == code), stderr  # type: ignore[attr-defined]
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("See '")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr  # (and docker's "See …" after run)
    return str(stderr)


# -- lifecycle ----------------------------------------------------------------------------------


def test_every_verb_in_a_legal_order(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "tour", busybox, *SLEEP)
    state = lambda: engine.ok("inspect", "-f", "{{.State.Status}}", "tour").strip()  # noqa: E731
    assert state() == "created"
    engine.ok("start", "tour")
    assert state() == "running"
    engine.ok("stop", "-t", "0", "tour")
    assert state() == "exited"
    engine.ok("start", "tour")
    engine.ok("restart", "-t", "0", "tour")
    assert state() == "running"
    engine.ok("pause", "tour")
    assert state() == "paused"
    engine.ok("unpause", "tour")
    engine.ok("kill", "tour")
    assert state() == "exited"
    assert engine.ok("inspect", "-f", "{{.State.ExitCode}}", "tour") == "137\n"
    engine.ok("rename", "tour", "trip")
    engine.ok("rm", "trip")
    assert "trip" not in engine.ok("ps", "-a", "--format", "{{.Names}}")


def test_wait_returns_the_exit_code(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "waited", busybox, "sh", "-c", "sleep 0.3; exit 4")
    assert engine.ok("wait", "waited") == "4\n"


# -- exec and attach ----------------------------------------------------------------------------


def test_exec_joins_the_cgroup_and_capabilities(engine: Engine, busybox: str) -> None:
    """(test_runtime_ops.py covers exec's flags, codes and namespaces.)"""
    engine.ok("run", "-d", "--name", "host1", "--cap-drop", "CHOWN", busybox, *SLEEP)
    cgroup = engine.ok("exec", "host1", "cat", "/proc/self/cgroup")
    assert engine.ok("exec", "host1", "cat", "/proc/1/cgroup") == cgroup
    status = engine.ok("exec", "host1", "grep", "CapEff", "/proc/self/status")
    assert status == engine.ok("exec", "host1", "grep", "CapEff", "/proc/1/status")
    assert not int(status.split()[1], 16) & 1  # CAP_CHOWN dropped for the exec too


def test_exec_detached_and_in_a_stopped_container(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "bg", busybox, *SLEEP)
    engine.ok("exec", "-d", "bg", "sh", "-c", "echo detached > /tmp/mark")
    for _ in range(50):
        if engine.cli("exec", "bg", "cat", "/tmp/mark").stdout == "detached\n":
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the detached exec never ran")
    engine.ok("stop", "-t", "0", "bg")
    assert "is not running" in one_line_error(engine.cli("exec", "bg", "true"))


def test_attach_sees_the_output(engine: Engine, busybox: str) -> None:
    """The container talks until told to stop, so attach meets it running however slow we are."""
    script = "until [ -f /tmp/go ]; do echo spoken; sleep 0.1; done; echo done; exit 2"
    engine.ok("run", "-d", "--name", "talker", busybox, "sh", "-c", script)
    command = [CLI, "-H", engine.host, "attach", "talker"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL) as attach:
        assert attach.stdout is not None
        assert attach.stdout.readline() == b"spoken\n"
        engine.ok("exec", "talker", "touch", "/tmp/go")
        rest = attach.stdout.read()
        assert attach.wait(timeout=60) == 2
    assert rest.endswith(b"done\n")


# -- pause, top, stats, update, limits ------------------------------------------------------------


def test_limits_reach_the_cgroup_and_update_changes_them(engine: Engine, busybox: str) -> None:
    engine.ok(
        "run",
        "-d",
        "--name",
        "limited",
        "-m",
        "32m",
        "--memory-swap",
        "64m",
        "--cpus",
        "0.5",
        "--cpu-shares",
        "512",
        "--cpuset-cpus",
        "0",
        "--pids-limit",
        "20",
        busybox,
        *SLEEP,
    )
    assert (
        cgroup_file(engine, "memory", "limited", "memory.limit_in_bytes").read_text()
        == f"{32 << 20}\n"
    )
    assert cgroup_file(engine, "cpu", "limited", "cpu.cfs_quota_us").read_text() == "50000\n"
    assert cgroup_file(engine, "cpu", "limited", "cpu.shares").read_text() == "512\n"
    assert cgroup_file(engine, "cpuset", "limited", "cpuset.cpus").read_text() == "0\n"
    assert cgroup_file(engine, "pids", "limited", "pids.max").read_text() == "20\n"
    engine.ok("update", "--memory", "48m", "--memory-swap", "96m", "--pids-limit", "30", "limited")
    assert (
        cgroup_file(engine, "memory", "limited", "memory.limit_in_bytes").read_text()
        == f"{48 << 20}\n"
    )
    assert cgroup_file(engine, "pids", "limited", "pids.max").read_text() == "30\n"
    assert engine.ok("inspect", "-f", "{{.HostConfig.Memory}}", "limited") == f"{48 << 20}\n"
    fork_bomb = engine.cli(
        "exec", "limited", "sh", "-c", "for i in $(seq 40); do sleep 5 & done; wait"
    )
    assert "can't fork" in fork_bomb.stderr or fork_bomb.returncode != 0


def test_impossible_resource_values_are_clear_errors(engine: Engine, busybox: str) -> None:
    for flags, message in [
        (["-m", "lots"], "invalid"),
        (["-m", "1k"], "minimum"),
        (["--cpus", "-1"], "cpus"),
        (["--memory-swap", "8m", "-m", "16m"], "swap"),
        (["--ulimit", "nofile=notanumber"], "ulimit"),
    ]:
        result = engine.cli("run", "--rm", *flags, busybox, "true")
        assert message in one_line_error(result).lower(), flags
    assert engine.ok("ps", "-aq") == ""


# -- security -----------------------------------------------------------------------------------


def test_no_new_privileges_masked_and_read_only_proc(engine: Engine, busybox: str) -> None:
    nnp = engine.ok(
        "run",
        "--rm",
        "--security-opt",
        "no-new-privileges",
        busybox,
        "grep",
        "NoNewPrivs",
        "/proc/self/status",
    )
    assert nnp.split()[1] == "1"
    for masked in ("/proc/keys", "/proc/timer_list"):  # those this host has
        if Path(masked).exists():
            assert engine.ok("run", "--rm", busybox, "cat", masked) == "", masked
    sysrq = engine.cli("run", "--rm", busybox, "sh", "-c", "echo 1 > /proc/sysrq-trigger")
    assert sysrq.returncode != 0


def test_read_only_proc_paths_keep_procs_flags_and_dev_core_follows_kcore(
    engine: Engine, busybox: str
) -> None:
    """As runc's: /proc/sys & co. read-only, and still nosuid,nodev,noexec as /proc is; a
    /dev/core link only where the host has a /proc/kcore for it to name."""
    out = engine.ok("run", "--rm", busybox, "sh", "-c", "cat /proc/mounts; ls /dev")
    options = {
        f[1]: set(f[3].split(","))
        for f in (line.split() for line in out.splitlines())
        if len(f) > 3
    }
    for path in ("/proc/sys", "/proc/bus", "/proc/fs", "/proc/irq"):
        if path in options:
            assert {"ro", "nosuid", "nodev", "noexec"} <= options[path], (path, options[path])
    assert "/proc/sys" in options
    assert ("core" in out.split()) == Path("/proc/kcore").exists()


def test_default_devices_are_the_containers_own_nodes(engine: Engine, busybox: str) -> None:
    """As runc's: made in the container's /dev (root's, 0666), so its mounts name no
    devtmpfs of the host's (whose size is the host's memory); masked files are bound from them."""
    listing = "stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random"
    script = f"{listing} /dev/urandom /dev/tty; cat /proc/mounts; echo x > /dev/null"
    out = engine.ok("run", "--rm", busybox, "sh", "-c", script)
    assert out.splitlines()[:6] == [
        f"/dev/{name} character special file {minor} 666 0:0"
        for name, minor in (
            ("null", "1:3"), ("zero", "1:5"), ("full", "1:7"), ("random", "1:8"),
            ("urandom", "1:9"), ("tty", "5:0"),
        )
    ]  # fmt: skip
    assert "devtmpfs" not in out
    extra = next(n for n in ("loop-control", "fuse", "kmsg", "mem") if Path(f"/dev/{n}").exists())
    host = os.stat(f"/dev/{extra}")  # privileged: the host's devices, as the host has them
    shown = engine.ok(
        "run", "--rm", "--privileged", busybox, "stat", "-c", "%t:%T %a", f"/dev/{extra}"
    )
    major, minor, mode = os.major(host.st_rdev), os.minor(host.st_rdev), host.st_mode & 0o7777
    assert shown == f"{major:x}:{minor:x} {mode:o}\n"


def test_user_with_supplementary_groups_from_the_image(engine: Engine, busybox: str) -> None:
    assert (
        engine.ok("run", "--rm", "-u", "1234:5678", busybox, "id")
        == "uid=1234 gid=5678 groups=5678\n"
    )
    assert engine.ok("run", "--rm", "-u", "nobody", busybox, "id", "-u") == "65534\n"
    unknown = engine.cli("run", "--rm", "-u", "no-such-user", busybox, "true")
    assert "no-such-user" in one_line_error(unknown)


# -- restart policies, events, logs -------------------------------------------------------------


def test_events_stream_the_lifecycle(engine: Engine, busybox: str) -> None:
    since = str(int(time.time()) - 1)
    engine.ok("run", "-d", "--name", "evented", busybox, *SLEEP)
    engine.ok("pause", "evented")
    engine.ok("unpause", "evented")
    engine.ok("kill", "evented")
    engine.ok("rm", "evented")
    out = engine.ok(
        "events",
        "--since",
        since,
        "--until",
        str(int(time.time()) + 1),
        "--filter",
        "container=evented",
        "--format",
        "{{json .}}",
    )
    events = [json.loads(line) for line in out.splitlines()]
    actions = [e["Action"] for e in events]
    for wanted in ("create", "start", "pause", "unpause", "kill", "die", "destroy"):
        assert wanted in actions, actions
    die = next(e for e in events if e["Action"] == "die")
    assert die["Type"] == "container" and die["Actor"]["Attributes"]["name"] == "evented"
    assert die["Actor"]["Attributes"]["exitCode"] == "137"
    assert {"status", "id", "from", "time", "timeNano", "scope"} <= set(die)


def test_logs_timestamps_since_and_until(engine: Engine, busybox: str) -> None:
    engine.ok("run", "--name", "timed", busybox, "sh", "-c", "echo early; sleep 1.5; echo late")
    stamped = engine.ok("logs", "-t", "timed").splitlines()
    assert stamped[0].endswith(" early") and stamped[0][:4].isdigit() and "T" in stamped[0]
    late_at = stamped[1].split()[0]
    assert engine.ok("logs", "--since", late_at, "timed") == "late\n"
    early_at = stamped[0].split()[0]
    assert engine.ok("logs", "--until", early_at, "timed") == "early\n"  # inclusive, as docker's
    assert engine.ok("logs", "--until", late_at, "timed") == "early\nlate\n"
    assert (
        "invalid" in one_line_error(engine.cli("logs", "--since", "yesterday-ish", "timed")).lower()
    )


# -- several containers at once -------------------------------------------------------------------

TRAPS_TERM = "trap 'echo got-term' TERM; echo ready; while :; do sleep 0.1; done"


def _logged(engine: Engine, container: str, text: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in engine.ok("logs", container):
            return True
        time.sleep(0.1)
    return False


def test_stop_of_several_works_on_all_at_once(engine: Engine, busybox: str) -> None:
    """docker's stop (as kill, rm, pause, unpause) works on every name at once: the second
    container has its SIGTERM while the first still waits out its timeout; the names are
    printed in the order given."""
    for name in ("first", "second"):
        engine.ok("run", "-d", "--name", name, busybox, "sh", "-c", TRAPS_TERM)
        assert _logged(engine, name, "ready")
    stop = subprocess.Popen(
        [CLI, "-H", engine.host, "stop", "-t", "600", "first", "second"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _logged(engine, "first", "got-term") and _logged(engine, "second", "got-term")
        assert stop.poll() is None  # both still wait out their 600 s
        engine.ok("kill", "second", "first")
        out, err = stop.communicate(timeout=60)
    finally:
        if stop.poll() is None:
            stop.kill()
            stop.wait()
    assert (stop.returncode, out) == (0, "first\nsecond\n"), err
    result = engine.cli("rm", "-f", "second", "no-such-one", "first")
    assert (result.returncode, result.stdout) == (0, "second\nfirst\n"), result.stderr
    assert result.stderr.strip() == "Error: No such container: no-such-one"
