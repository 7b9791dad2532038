"""Runtime verbs on real containers: exec, pause, top, stats, update, limits, security, logs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

SLEEP = ["sleep", "600"]


def cgroup_file(engine: Engine, controller: str, container: str, name: str) -> Path:
    cid = engine.ok("inspect", "-f", "{{.Id}}", container).strip()
    return Path("/sys/fs/cgroup") / controller / engine.cgroup_parent / cid / name


def one_line_error(result: object, code: int | None = None) -> str:
    stderr = result.stderr  # type: ignore[attr-defined]
    assert result.returncode != 0 and (code is None or result.returncode == code), stderr  # type: ignore[attr-defined]
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr, stderr
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


def test_illegal_transitions_are_clear_errors(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "idle", busybox, *SLEEP)
    assert "is not running" in one_line_error(engine.cli("pause", "idle"))
    assert "is not running" in one_line_error(engine.cli("kill", "idle"))
    engine.ok("start", "idle")
    assert "container is running" in one_line_error(engine.cli("rm", "idle"))
    assert "is not paused" in one_line_error(engine.cli("unpause", "idle"))
    engine.ok("pause", "idle")
    assert "already paused" in one_line_error(engine.cli("pause", "idle"))
    assert "is paused" in one_line_error(engine.cli("exec", "idle", "true"))
    assert "invalid signal" in one_line_error(engine.cli("kill", "-s", "SIGNOPE", "idle")).lower()
    engine.ok("rm", "-f", "idle")  # a paused container is thawed and killed


def test_stop_uses_the_stop_signal_then_sigkill(engine: Engine, busybox: str) -> None:
    trap = "trap 'echo got-usr1; exit 5' USR1; while true; do sleep 0.1; done"
    engine.ok("run", "-d", "--name", "polite", "--stop-signal", "USR1", busybox, "sh", "-c", trap)
    time.sleep(0.3)
    engine.ok("stop", "polite")
    assert engine.ok("inspect", "-f", "{{.State.ExitCode}}", "polite") == "5\n"
    assert "got-usr1" in engine.ok("logs", "polite")
    engine.ok("run", "-d", "--name", "stubborn", busybox, "sh", "-c", "trap '' TERM; sleep 600")
    time.sleep(0.3)
    started = time.monotonic()
    engine.ok("stop", "-t", "1", "stubborn")
    assert time.monotonic() - started < 30  # a bound against hanging, not a timing claim
    assert engine.ok("inspect", "-f", "{{.State.ExitCode}}", "stubborn") == "137\n"


def test_wait_returns_the_exit_code(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "waited", busybox, "sh", "-c", "sleep 0.3; exit 4")
    assert engine.ok("wait", "waited") == "4\n"


# -- exec and attach ----------------------------------------------------------------------------


def test_exec_joins_the_container(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "host1", "--hostname", "inside", busybox, *SLEEP)
    assert engine.ok("exec", "host1", "hostname") == "inside\n"
    inner = engine.ok(
        "exec", "host1", "sh", "-c", "readlink /proc/1/ns/pid; readlink /proc/self/ns/pid"
    )
    first, second = inner.split()
    assert first == second  # the same pid namespace as the container's init
    out = engine.ok(
        "exec",
        "-e",
        "FOO=bar",
        "-w",
        "/tmp",
        "-u",
        "65534:65534",
        "host1",
        "sh",
        "-c",
        "echo $FOO; pwd; id -u",
    )
    assert out == "bar\n/tmp\n65534\n"
    assert engine.cli("exec", "host1", "sh", "-c", "exit 9").returncode == 9
    assert engine.cli("exec", "-i", "host1", "cat", input="piped\n").stdout == "piped\n"
    assert engine.cli("exec", "host1", "no-such-command").returncode == 127
    assert engine.cli("exec", "host1", "/etc/passwd").returncode == 126
    cgroup = engine.ok("exec", "host1", "cat", "/proc/self/cgroup")
    assert engine.ok("exec", "host1", "cat", "/proc/1/cgroup") == cgroup
    status = engine.ok("exec", "host1", "grep", "CapEff", "/proc/self/status")
    assert status == engine.ok("exec", "host1", "grep", "CapEff", "/proc/1/status")


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
    engine.ok(
        "run", "-d", "--name", "talker", busybox, "sh", "-c", "sleep 0.5; echo spoken; exit 2"
    )
    result = engine.cli("attach", "talker")
    assert "spoken" in result.stdout and result.returncode == 2


# -- pause, top, stats, update, limits ------------------------------------------------------------


def test_pause_freezes_every_process(engine: Engine, busybox: str) -> None:
    counter = "i=0; while true; do i=$((i+1)); echo $i > /tmp/t; mv /tmp/t /tmp/n; sleep 0.05; done"
    engine.ok("run", "-d", "--name", "frozen", busybox, "sh", "-c", counter)
    upper = Path(engine.ok("inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "frozen").strip())
    for _ in range(100):
        if (upper / "tmp" / "n").exists():
            break
        time.sleep(0.05)
    engine.ok("pause", "frozen")
    frozen_at = (upper / "tmp" / "n").read_text()
    time.sleep(0.3)
    assert (upper / "tmp" / "n").read_text() == frozen_at  # nothing ran while paused
    assert engine.ok("inspect", "-f", "{{.State.Paused}}", "frozen") == "true\n"
    assert "(Paused)" in engine.ok("ps", "--format", "{{.Status}}")
    freezer = cgroup_file(engine, "freezer", "frozen", "freezer.state")
    assert freezer.read_text().strip() == "FROZEN"
    engine.ok("unpause", "frozen")
    assert freezer.read_text().strip() == "THAWED"
    first = int(engine.ok("exec", "frozen", "cat", "/tmp/n"))
    time.sleep(0.3)
    assert int(engine.ok("exec", "frozen", "cat", "/tmp/n")) > first


def test_top_lists_the_containers_processes(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "topped", busybox, "sh", "-c", "sleep 601 & sleep 602")
    time.sleep(0.3)
    out = engine.ok("top", "topped")
    assert out.splitlines()[0].split()[:3] == ["UID", "PID", "PPID"]
    assert "sleep 601" in out and "sleep 602" in out


def test_stats_no_stream(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "measured", "-m", "64m", busybox, *SLEEP)
    out = engine.ok("stats", "--no-stream", "measured")
    header, row = out.splitlines()
    assert header.split()[:3] == ["CONTAINER", "ID", "NAME"] and "MEM USAGE / LIMIT" in header
    assert "measured" in row and "/ 64MiB" in row
    assert row.split()[-1] == "1"  # PIDS


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


def test_oom_kill_is_exit_137_and_recorded(engine: Engine, busybox: str) -> None:
    hog = 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'
    result = engine.cli(
        "run", "--name", "hog", "-m", "16m", "--memory-swap", "16m", busybox, "sh", "-c", hog
    )
    assert result.returncode == 137 and "survived" not in result.stdout
    assert engine.ok("inspect", "-f", "{{.State.OOMKilled}}", "hog") == "true\n"


# -- security -----------------------------------------------------------------------------------


def cap_eff(engine: Engine, busybox: str, *flags: str) -> int:
    out = engine.ok("run", "--rm", *flags, busybox, "grep", "CapEff", "/proc/self/status")
    return int(out.split()[1], 16)


CAP_CHOWN, CAP_NET_RAW, CAP_SYS_ADMIN, CAP_SYS_TIME = 0, 13, 21, 25
DOCKER_DEFAULT = 0xA80425FB


def test_docker_default_capabilities_and_add_drop(engine: Engine, busybox: str) -> None:
    assert cap_eff(engine, busybox) == DOCKER_DEFAULT
    changed = cap_eff(engine, busybox, "--cap-drop", "NET_RAW", "--cap-add", "CAP_SYS_TIME")
    assert changed == (DOCKER_DEFAULT & ~(1 << CAP_NET_RAW)) | (1 << CAP_SYS_TIME)
    assert cap_eff(engine, busybox, "--cap-drop", "ALL") == 0
    assert (
        "unknown capability"
        in one_line_error(engine.cli("run", "--rm", "--cap-add", "NOPE", busybox, "true")).lower()
    )


def test_privileged_gets_every_capability_and_the_devices(engine: Engine, busybox: str) -> None:
    caps = cap_eff(engine, busybox, "--privileged")
    assert caps & (1 << CAP_SYS_ADMIN) and caps.bit_count() > DOCKER_DEFAULT.bit_count()
    plain = engine.ok("run", "--rm", busybox, "ls", "/dev").split()
    privileged = engine.ok("run", "--rm", "--privileged", busybox, "ls", "/dev").split()
    assert len(privileged) > len(plain)
    assert (
        engine.cli(
            "run", "--rm", "--privileged", busybox, "sh", "-c", "mkdir /m && mount -t tmpfs t /m"
        ).returncode
        == 0
    )


def test_seccomp_default_and_unconfined(engine: Engine, busybox: str) -> None:
    # docker's profile allows unshare(2) only with CAP_SYS_ADMIN, which the default set lacks
    confined = engine.cli("run", "--rm", busybox, "unshare", "-U", "true")
    assert confined.returncode != 0 and "Operation not permitted" in confined.stderr
    assert (
        engine.cli(
            "run", "--rm", "--security-opt", "seccomp=unconfined", busybox, "unshare", "-U", "true"
        ).returncode
        == 0
    )
    mode = engine.ok("run", "--rm", busybox, "grep", "Seccomp:", "/proc/self/status")
    assert mode.split()[1] == "2"


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


def test_read_only_rootfs_and_tmpfs(engine: Engine, busybox: str) -> None:
    script = "touch /x 2>/dev/null && echo wrote-root; touch /scratch/y && echo wrote-tmpfs; grep ' /scratch ' /proc/mounts"
    out = engine.ok(
        "run",
        "--rm",
        "--read-only",
        "--tmpfs",
        "/scratch:size=1m,mode=0700",
        busybox,
        "sh",
        "-c",
        script,
    )
    assert "wrote-root" not in out and "wrote-tmpfs" in out
    assert "tmpfs /scratch tmpfs" in out and "size=1024k" in out and "mode=700" in out


def test_ulimit_never_above_the_engines_hard_limit(engine: Engine, busybox: str) -> None:
    out = engine.ok(
        "run", "--rm", "--ulimit", "nofile=256:512", busybox, "sh", "-c", "ulimit -n; ulimit -Hn"
    )
    assert out == "256\n512\n"
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY:
        above = engine.cli("run", "--rm", "--ulimit", f"nofile={hard + 1}", busybox, "true")
        assert "hard limit" in one_line_error(above, 125)


def test_init_is_pid_one_and_reaps(engine: Engine, busybox: str) -> None:
    out = engine.ok(
        "run",
        "--rm",
        "--init",
        busybox,
        "sh",
        "-c",
        "echo $$; sleep 0.1 & wait; ps -o pid,stat | grep -c Z || true",
    )
    pid, zombies = out.split()
    assert pid != "1" and zombies == "0"
    plain = engine.ok("run", "--rm", busybox, "sh", "-c", "echo $$")
    assert plain == "1\n"


def test_user_with_supplementary_groups_from_the_image(engine: Engine, busybox: str) -> None:
    assert (
        engine.ok("run", "--rm", "-u", "1234:5678", busybox, "id")
        == "uid=1234 gid=5678 groups=5678\n"
    )
    assert engine.ok("run", "--rm", "-u", "nobody", busybox, "id", "-u") == "65534\n"
    unknown = engine.cli("run", "--rm", "-u", "no-such-user", busybox, "true")
    assert "no-such-user" in one_line_error(unknown)


# -- restart policies, events, logs -------------------------------------------------------------


def test_on_failure_restarts_n_times(engine: Engine, busybox: str) -> None:
    engine.ok(
        "run", "-d", "--name", "flaky", "--restart", "on-failure:2", busybox, "sh", "-c", "exit 3"
    )
    for _ in range(200):
        state = engine.ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "flaky").split()
        if state == ["2", "exited"]:
            break
        time.sleep(0.1)
    assert state == ["2", "exited"]
    assert engine.ok("inspect", "-f", "{{.State.ExitCode}}", "flaky") == "3\n"
    bad = engine.cli("run", "--rm", "--restart", "always", busybox, "true")
    assert "conflicting options" in one_line_error(bad).lower()
    assert (
        "invalid restart policy"
        in one_line_error(engine.cli("run", "--restart", "sometimes", busybox, "true")).lower()
    )


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


def test_logs_rotate_and_are_bounded(engine: Engine, busybox: str) -> None:
    lines = "for i in $(seq 2000); do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"
    engine.ok(
        "run",
        "--name",
        "chatty",
        "--log-opt",
        "max-size=2k",
        "--log-opt",
        "max-file=3",
        busybox,
        "sh",
        "-c",
        lines,
    )
    path = Path(engine.ok("inspect", "-f", "{{.LogPath}}", "chatty").strip())
    files = sorted(path.parent.glob(path.name + "*"))
    assert 1 < len(files) <= 3
    assert all(f.stat().st_size <= 2048 + 200 for f in files)
    out = engine.ok("logs", "chatty").splitlines()
    assert out[-1].startswith("line-2000-") and len(out) < 2000
    assert out == sorted(out, key=lambda line: int(line.split("-")[1]))
    default = json.loads(engine.ok("inspect", "chatty"))[0]["HostConfig"]["LogConfig"]
    assert default["Config"] == {"max-size": "2k", "max-file": "3"}
    engine.ok("run", "--name", "quiet", busybox, "true")
    bounded = json.loads(engine.ok("inspect", "quiet"))[0]["HostConfig"]["LogConfig"]["Config"]
    assert bounded["max-size"] and bounded["max-file"]  # bounded by the daemon's default


def test_logs_timestamps_since_and_until(engine: Engine, busybox: str) -> None:
    engine.ok("run", "--name", "timed", busybox, "sh", "-c", "echo early; sleep 1.5; echo late")
    stamped = engine.ok("logs", "-t", "timed").splitlines()
    assert stamped[0].endswith(" early") and stamped[0][:4].isdigit() and "T" in stamped[0]
    late_at = stamped[1].split()[0]
    assert engine.ok("logs", "--since", late_at, "timed") == "late\n"
    assert engine.ok("logs", "--until", late_at, "timed") == "early\n"
    assert (
        "invalid" in one_line_error(engine.cli("logs", "--since", "yesterday-ish", "timed")).lower()
    )
