"""What a user does to a running container, through the CLI against real busybox containers:
exec, pause, top, stats, update, limits and OOM, capabilities, seccomp, rootfs and tmpfs,
ulimits, --init, users, restart policies, events, logs, stop signals and illegal transitions.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration

SLEEP = ["sleep", "600"]
TICKER = ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.1; done"]
DOCKER_DEFAULT_CAPS = 0xA80425FB
CAP_CHOWN, CAP_NET_ADMIN, CAP_SYS_ADMIN = 0, 12, 21


def eventually(check: Callable[[], bool], seconds: float = 30) -> bool:
    """Poll `check` until it holds (a bound against hanging, not a timing claim)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def failed(result: subprocess.CompletedProcess[str], code: int | None = None) -> str:
    """The one-line error of a command that must fail (with `code` when given)."""
    assert result.returncode != 0, result.stdout
    assert code is None or result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    # one line; and docker's pointer to the help after a refused `run` ("See 'dockyard run …'")
    # or its summary of what failed ("Error: failed to rename container named x")
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if not line.startswith(("See '", "Error: failed to "))
    ]
    assert len(lines) == 1, result.stderr
    return result.stderr


def inspect(engine: Engine, template: str, container: str) -> str:
    return engine.ok("inspect", "-f", template, container).strip()


def daemon(engine: Engine, *args: str) -> str:
    """`run -d ARGS...` and the new container's full id."""
    return engine.ok("run", "-d", *args).strip()


def cgroup(engine: Engine, controller: str, container_id: str, name: str) -> Path:
    return Path("/sys/fs/cgroup", controller, engine.cgroup_parent, container_id, name)


def cap_eff(engine: Engine, busybox: str, *flags: str) -> int:
    out = engine.ok("run", "--rm", *flags, busybox, "grep", "CapEff", "/proc/self/status")
    return int(out.split()[1], 16)


# -- exec ---------------------------------------------------------------------------------------


def test_exec_returns_the_commands_exit_code(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "ex-code", busybox, *SLEEP)
    assert engine.ok("exec", "ex-code", "echo", "inside") == "inside\n"
    assert engine.cli("exec", "ex-code", "sh", "-c", "exit 7").returncode == 7
    assert engine.cli("exec", "ex-code", "false").returncode == 1
    both = engine.cli("exec", "ex-code", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (both.stdout, both.stderr, both.returncode) == ("out\n", "err\n", 3)


def test_exec_env_workdir_and_user(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "ex-opts", "-e", "KEPT=image", busybox, *SLEEP)
    script = 'echo "$KEPT $ADDED $(pwd) $(id -u):$(id -g)"'
    out = engine.ok(
        "exec", "-e", "ADDED=flag", "-w", "/etc", "-u", "1000:2000", "ex-opts", "sh", "-c", script
    )
    assert out == "image flag /etc 1000:2000\n"
    assert engine.ok("exec", "-u", "nobody", "ex-opts", "id", "-un") == "nobody\n"
    assert engine.ok("exec", "ex-opts", "id", "-u") == "0\n"


def test_exec_env_file(engine: Engine, busybox: str, tmp_path: Path) -> None:
    """exec --env-file as run's: its entries first, then -e; a missing file is refused."""
    daemon(engine, "--name", "ex-envfile", busybox, *SLEEP)
    listed = tmp_path / "env"
    listed.write_text("# a comment\nFROM_FILE=one\nBOTH=file\n")
    script = 'echo "$FROM_FILE $BOTH"'
    out = engine.ok(
        "exec", "--env-file", str(listed), "-e", "BOTH=flag", "ex-envfile", "sh", "-c", script
    )
    assert out == "one flag\n"
    missing = engine.cli("exec", "--env-file", str(tmp_path / "nope"), "ex-envfile", "true")
    assert missing.returncode == 125 and "no such file or directory" in missing.stderr


def test_exec_shares_the_containers_namespaces(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "ex-ns", "--hostname", "berth", busybox, *SLEEP)
    assert engine.ok("exec", "ex-ns", "hostname") == "berth\n"
    assert engine.ok("exec", "ex-ns", "cat", "/proc/1/cmdline") == "sleep\x00600\x00"
    script = "readlink /proc/self/ns/mnt; readlink /proc/1/ns/mnt"
    own, init = engine.ok("exec", "ex-ns", "sh", "-c", script).split()
    assert own == init


def test_exec_interactive_reads_stdin(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "ex-in", busybox, *SLEEP)
    result = engine.cli("exec", "-i", "ex-in", "sh", "-c", "tr a-z A-Z; echo eof", input="abc\n")
    assert (result.returncode, result.stdout) == (0, "ABC\neof\n"), result.stderr
    counted = engine.cli("exec", "-i", "ex-in", "wc", "-l", input="1\n2\n3\n")
    assert counted.stdout.strip() == "3"
    no_stdin = engine.cli("exec", "ex-in", "cat", input="ignored\n")
    assert (no_stdin.returncode, no_stdin.stdout) == (0, "")


def test_exec_of_a_missing_or_non_executable_command(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "ex-bad", busybox, *SLEEP)
    # docker's exec says why on stdout (it comes on the exec's stream) and exits 126, even for
    # a missing command (run's 127 is for a container's own command)
    for argv, reason in (
        (["no-such-command"], "executable file not found"),
        (["/no/such/path"], "no such file"),
        (["/etc/passwd"], "permission denied"),
        (["-u", "nouser", "true"], "nouser"),
        (["-w", "/nonexistent", "true"], "/nonexistent"),
    ):
        result = engine.cli("exec", *argv[:-1], "ex-bad", argv[-1])
        assert (result.returncode, result.stderr) == (126, ""), (argv, result)
        assert reason in result.stdout and len(result.stdout.splitlines()) == 1, result.stdout
    assert inspect(engine, "{{.State.Running}}", "ex-bad") == "true"


def test_exec_in_a_container_that_is_not_running(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "ex-created", busybox, *SLEEP)
    assert "is not running" in failed(engine.cli("exec", "ex-created", "true"))
    engine.ok("run", "--name", "ex-exited", busybox, "true")
    assert "is not running" in failed(engine.cli("exec", "ex-exited", "true"))
    assert "No such container" in failed(engine.cli("exec", "ex-nobody", "true"))


# -- pause, top, stats, update ------------------------------------------------------------------


def test_pause_freezes_the_container_and_unpause_thaws_it(engine: Engine, busybox: str) -> None:
    cid = daemon(engine, "--name", "frozen", busybox, *TICKER)
    assert eventually(lambda: "tick-2" in engine.ok("logs", "frozen"))
    engine.ok("pause", "frozen")
    assert inspect(engine, "{{.State.Status}} {{.State.Paused}}", "frozen") == "paused true"
    status = engine.ok("ps", "-f", "name=frozen", "--format", "{{.Status}}")
    assert "(Paused)" in status
    assert cgroup(engine, "freezer", cid, "freezer.state").read_text().strip() == "FROZEN"
    before = engine.ok("logs", "frozen")
    time.sleep(0.5)
    assert engine.ok("logs", "frozen") == before  # not one line while frozen
    assert "is paused" in failed(engine.cli("exec", "frozen", "true"))
    assert "already paused" in failed(engine.cli("pause", "frozen"))
    engine.ok("unpause", "frozen")
    assert inspect(engine, "{{.State.Status}} {{.State.Paused}}", "frozen") == "running false"
    assert eventually(lambda: len(engine.ok("logs", "frozen")) > len(before))


def test_pause_and_unpause_in_the_wrong_state(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "cold", busybox, *SLEEP)
    assert "is not running" in failed(engine.cli("pause", "cold"))
    engine.ok("start", "cold")
    assert "is not paused" in failed(engine.cli("unpause", "cold"))
    engine.ok("stop", "-t", "0", "cold")
    assert "is not running" in failed(engine.cli("pause", "cold"))
    assert "is not paused" in failed(engine.cli("unpause", "cold"))


def test_a_paused_container_stops_and_is_removed(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "thawed", busybox, *SLEEP)
    engine.ok("pause", "thawed")
    engine.ok("stop", "-t", "1", "thawed")
    assert inspect(engine, "{{.State.Status}} {{.State.Paused}}", "thawed") == "exited false"
    daemon(engine, "--name", "forced", busybox, *SLEEP)
    engine.ok("pause", "forced")
    engine.ok("rm", "-f", "forced")
    assert "forced" not in engine.ok("ps", "-a", "--format", "{{.Names}}").split()


def test_top_shows_the_containers_processes(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "topped", busybox, "sh", "-c", "sleep 701 & sleep 702 & wait")
    assert eventually(lambda: "sleep 702" in engine.ok("top", "topped"))
    out = engine.ok("top", "topped")
    header, *rows = out.splitlines()
    assert "PID" in header.split() and "CMD" in header.split()
    assert len(rows) == 3 and "sleep 701" in out
    custom = engine.ok("top", "topped", "-o", "pid,comm").splitlines()
    assert custom[0].split() == ["PID", "COMMAND"] and len(custom) == 4
    engine.ok("stop", "-t", "0", "topped")
    assert "is not running" in failed(engine.cli("top", "topped"))


def test_top_with_bad_ps_options_is_one_line(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "top-bad", busybox, *SLEEP)
    assert "ps:" in failed(engine.cli("top", "top-bad", "-o", "no-such-field"))


def test_stats_no_stream_shows_the_container_and_its_limit(engine: Engine, busybox: str) -> None:
    cid = daemon(engine, "--name", "measured", "-m", "48m", busybox, *SLEEP)
    daemon(engine, "--name", "unlimited", busybox, *SLEEP)
    out = engine.ok("stats", "--no-stream")
    header, *rows = out.splitlines()
    assert "CPU %" in header and "MEM USAGE / LIMIT" in header and "PIDS" in header
    measured = next(row for row in rows if "measured" in row)
    assert measured.startswith(cid[:12]) and "/ 48MiB" in measured
    assert any("unlimited" in row for row in rows)
    one = engine.ok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "measured")
    assert one == "measured 1\n"
    engine.ok("stop", "-t", "0", "measured")
    stopped = engine.ok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}")
    assert stopped == "unlimited 1 " + stopped.split(" ", 2)[2]  # running ones only
    idle = engine.ok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}", cid)
    assert idle == "measured 0 0B / 0B\n"  # a stopped one named: zeroes, as docker's


def test_update_memory_of_a_running_container(engine: Engine, busybox: str) -> None:
    cid = daemon(engine, "--name", "grown", "-m", "32m", busybox, *SLEEP)
    limit = cgroup(engine, "memory", cid, "memory.limit_in_bytes")
    assert int(limit.read_text()) == 32 << 20
    engine.ok("update", "--memory", "64m", "grown")
    assert int(limit.read_text()) == 64 << 20
    assert inspect(engine, "{{.HostConfig.Memory}}", "grown") == str(64 << 20)
    assert "/ 64MiB" in engine.ok("stats", "--no-stream", "grown")
    engine.ok("update", "--pids-limit", "50", "grown")
    assert cgroup(engine, "pids", cid, "pids.max").read_text().strip() == "50"
    assert int(limit.read_text()) == 64 << 20  # unchanged by an update that did not name it
    assert "invalid" in failed(engine.cli("update", "--memory", "lots", "grown")).lower()


def test_memory_limit_oom_kill_is_137_and_recorded(engine: Engine, busybox: str) -> None:
    hog = 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'
    result = engine.cli("run", "--name", "hog", "-m", "16m", busybox, "sh", "-c", hog)
    assert result.returncode == 137 and "survived" not in result.stdout, result.stderr
    assert inspect(engine, "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog") == "true 137"
    engine.ok("run", "--name", "fed", "-m", "16m", busybox, "true")
    assert inspect(engine, "{{.State.OOMKilled}}", "fed") == "false"


def test_update_of_a_restarting_container_holds_for_the_next_start(
    engine: Engine, busybox: str
) -> None:
    daemon(engine, "--name", "bouncing", "--restart", "always", busybox, "false")
    backing_off = lambda: inspect(engine, "{{.State.Status}}", "bouncing") == "restarting"  # noqa: E731
    assert eventually(lambda: int(inspect(engine, "{{.RestartCount}}", "bouncing")) >= 4, 60)
    assert eventually(backing_off)  # between two runs: there is no task to update
    engine.ok("update", "--restart", "no", "--memory", "24m", "bouncing")
    policy = "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Memory}}"
    assert inspect(engine, policy, "bouncing") == f"no {24 << 20}"
    assert eventually(lambda: inspect(engine, "{{.State.Status}}", "bouncing") == "exited", 120)


# -- security -----------------------------------------------------------------------------------


def test_default_capabilities_and_cap_add_drop(engine: Engine, busybox: str) -> None:
    assert cap_eff(engine, busybox) == DOCKER_DEFAULT_CAPS
    dropped = cap_eff(engine, busybox, "--cap-drop", "CHOWN")
    assert dropped == DOCKER_DEFAULT_CAPS & ~(1 << CAP_CHOWN)
    added = cap_eff(engine, busybox, "--cap-add", "NET_ADMIN")
    assert added == DOCKER_DEFAULT_CAPS | (1 << CAP_NET_ADMIN)
    assert cap_eff(engine, busybox, "--cap-drop", "ALL", "--cap-add", "CHOWN") == 1 << CAP_CHOWN
    denied = engine.cli("run", "--rm", "--cap-drop", "CHOWN", busybox, "chown", "1:1", "/tmp")
    assert denied.returncode != 0 and "Operation not permitted" in denied.stderr
    assert engine.cli("run", "--rm", busybox, "chown", "1:1", "/tmp").returncode == 0
    assert "capability" in failed(engine.cli("run", "--rm", "--cap-add", "NOPE", busybox, "true"))


def test_privileged_has_every_capability_and_no_seccomp(engine: Engine, busybox: str) -> None:
    host_bounding = next(
        int(line.split()[1], 16)
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("CapBnd:")
    )
    assert cap_eff(engine, busybox, "--privileged") == host_bounding
    status = engine.ok(
        "run", "--rm", "--privileged", busybox, "grep", "Seccomp:", "/proc/self/status"
    )
    assert status.split()[1] == "0"
    mounted = engine.cli(
        "run", "--rm", "--privileged", busybox, "mount", "-t", "tmpfs", "t", "/tmp"
    )
    assert mounted.returncode == 0, mounted.stderr
    plain = engine.cli("run", "--rm", busybox, "mount", "-t", "tmpfs", "t", "/tmp")
    assert plain.returncode != 0


def test_default_seccomp_blocks_unshare_and_unconfined_allows(engine: Engine, busybox: str) -> None:
    mode = engine.ok("run", "--rm", busybox, "grep", "Seccomp:", "/proc/self/status")
    assert mode.split()[1] == "2"
    confined = engine.cli("run", "--rm", busybox, "unshare", "-U", "true")
    assert confined.returncode != 0 and "Operation not permitted" in confined.stderr
    unconfined = engine.cli(
        "run", "--rm", "--security-opt", "seccomp=unconfined", busybox, "unshare", "-U", "true"
    )
    assert unconfined.returncode == 0, unconfined.stderr
    status = engine.ok(
        "run",
        "--rm",
        "--security-opt",
        "seccomp=unconfined",
        busybox,
        "grep",
        "Seccomp:",
        "/proc/self/status",
    )
    assert status.split()[1] == "0"


def test_read_only_rootfs_with_a_writable_tmpfs(engine: Engine, busybox: str) -> None:
    root = engine.cli("run", "--rm", "--read-only", busybox, "touch", "/x")
    assert root.returncode != 0 and "Read-only file system" in root.stderr
    script = "echo kept > /scratch/f && cat /scratch/f && touch /etc/x 2>&1 || true"
    out = engine.ok(
        "run", "--rm", "--read-only", "--tmpfs", "/scratch", busybox, "sh", "-c", script
    )
    assert out.startswith("kept\n") and "Read-only file system" in out
    assert (
        inspect(
            engine, "{{.HostConfig.ReadonlyRootfs}}", daemon(engine, "--read-only", busybox, *SLEEP)
        )
        == "true"
    )


def test_tmpfs_mount_with_options(engine: Engine, busybox: str) -> None:
    script = "grep ' /cache ' /proc/mounts; head -c 200000 /dev/zero > /cache/big || echo full"
    out = engine.ok(
        "run", "--rm", "--tmpfs", "/cache:size=64k,mode=700", busybox, "sh", "-c", script
    )
    mount = out.splitlines()[0].split()
    assert mount[:3] == ["tmpfs", "/cache", "tmpfs"]
    assert "size=64k" in mount[3] and "mode=700" in mount[3]
    assert out.splitlines()[-1] == "full"
    cid = daemon(engine, "--tmpfs", "/cache", busybox, *SLEEP)
    engine.ok("exec", cid, "sh", "-c", "echo gone > /cache/f")
    engine.ok("restart", "-t", "0", cid)
    assert engine.cli("exec", cid, "cat", "/cache/f").returncode != 0  # a fresh tmpfs each start


def test_ulimit_nofile(engine: Engine, busybox: str) -> None:
    out = engine.ok(
        "run", "--rm", "--ulimit", "nofile=100:200", busybox, "sh", "-c", "ulimit -n; ulimit -Hn"
    )
    assert out == "100\n200\n"
    assert (
        engine.ok("run", "--rm", "--ulimit", "nofile=150", busybox, "sh", "-c", "ulimit -n")
        == "150\n"
    )
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY:
        above = engine.cli("run", "--rm", "--ulimit", f"nofile={hard + 1}", busybox, "true")
        assert "hard limit" in failed(above, 125)
    assert (
        "ulimit" in failed(engine.cli("run", "--rm", "--ulimit", "nofile", busybox, "true")).lower()
    )


def test_init_is_pid_one_instead_of_the_command(engine: Engine, busybox: str) -> None:
    out = engine.ok("run", "--rm", "--init", busybox, "sh", "-c", "echo $$; cat /proc/1/comm")
    pid, init = out.split()
    assert pid != "1" and init != "sh"
    assert engine.ok("run", "--rm", busybox, "sh", "-c", "echo $$") == "1\n"
    cid = daemon(engine, "--init", busybox, *SLEEP)
    engine.ok("stop", "-t", "5", cid)  # the init passes SIGTERM on to `sleep`, which dies of it
    assert inspect(engine, "{{.State.ExitCode}}", cid) == "143"


def test_user_uid_and_gid(engine: Engine, busybox: str) -> None:
    assert (
        engine.ok("run", "--rm", "-u", "4321:8765", busybox, "sh", "-c", "id -u; id -g")
        == "4321\n8765\n"
    )
    assert engine.ok("run", "--rm", "-u", "nobody", busybox, "id", "-un") == "nobody\n"
    denied = engine.cli("run", "--rm", "-u", "4321", busybox, "touch", "/root/x")
    assert denied.returncode != 0
    assert "no-such-user" in failed(
        engine.cli("run", "--rm", "-u", "no-such-user", busybox, "true")
    )


# -- restart policies ---------------------------------------------------------------------------


def test_on_failure_two_restarts_then_stays_exited(engine: Engine, busybox: str) -> None:
    daemon(
        engine,
        "--name",
        "flaky",
        "--restart",
        "on-failure:2",
        busybox,
        "sh",
        "-c",
        "echo try; exit 4",
    )
    done = lambda: inspect(engine, "{{.RestartCount}} {{.State.Status}}", "flaky") == "2 exited"  # noqa: E731
    assert eventually(done, 60), inspect(engine, "{{.RestartCount}} {{.State.Status}}", "flaky")
    assert (
        inspect(engine, "{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}", "flaky")
        == "4 on-failure"
    )
    assert engine.ok("logs", "flaky") == "try\ntry\ntry\n"
    daemon(engine, "--name", "fine", "--restart", "on-failure:2", busybox, "true")
    assert engine.ok("wait", "fine") == "0\n"
    assert inspect(engine, "{{.RestartCount}}", "fine") == "0"


def test_always_restarts_until_stopped_by_hand(engine: Engine, busybox: str) -> None:
    daemon(engine, "--name", "again", "--restart", "always", busybox, "sh", "-c", "sleep 0.2")
    assert eventually(lambda: int(inspect(engine, "{{.RestartCount}}", "again")) >= 2, 60)
    engine.ok("stop", "-t", "1", "again")
    count = inspect(engine, "{{.RestartCount}}", "again")
    time.sleep(1)
    assert inspect(engine, "{{.State.Status}} {{.RestartCount}}", "again") == f"exited {count}"


# -- events -------------------------------------------------------------------------------------


def test_events_since_until_show_the_lifecycle(engine: Engine, busybox: str) -> None:
    since = f"{time.time() - 1:.3f}"
    engine.ok("run", "--rm", "--name", "evented", busybox, "true")
    until = f"{time.time() + 1:.3f}"
    out = engine.ok(
        "events",
        "--since",
        since,
        "--until",
        until,
        "--filter",
        "container=evented",
        "--format",
        "{{json .}}",
    )
    events = [json.loads(line) for line in out.splitlines()]
    actions = [event["Action"] for event in events]
    for wanted in ("create", "start", "die", "destroy"):
        assert wanted in actions, actions
    assert (
        actions.index("create")
        < actions.index("start")
        < actions.index("die")
        < actions.index("destroy")
    )
    die = events[actions.index("die")]
    assert die["Type"] == "container" and die["Actor"]["Attributes"]["exitCode"] == "0"
    assert die["Actor"]["Attributes"]["name"] == "evented"
    assert die["Actor"]["Attributes"]["image"] == busybox


def test_events_stream_as_they_happen(engine: Engine, busybox: str) -> None:
    since = f"{time.time() - 1:.3f}"  # the history covers a subscription made late
    command = [CLI, "-H", engine.host, "events", "--since", since, "--filter", "container=streamed"]
    with subprocess.Popen([*command, "--format", "{{.Action}}"], stdout=subprocess.PIPE) as watcher:
        try:
            daemon(engine, "--name", "streamed", busybox, *SLEEP)
            engine.ok("pause", "streamed")
            engine.ok("unpause", "streamed")
            engine.ok("kill", "streamed")
            engine.ok("rm", "streamed")
            seen = read_lines_until(watcher, "destroy")
        finally:
            watcher.kill()
    assert seen == ["create", "start", "pause", "unpause", "kill", "die", "destroy"]


def read_lines_until(process: subprocess.Popen[bytes], last: str, seconds: float = 30) -> list[str]:
    """Lines of a process's stdout as they come, until `last` (or the process ends)."""
    assert process.stdout is not None
    fd, data = process.stdout.fileno(), b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + seconds
        while last.encode() not in data.split(b"\n") and time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
    return data.decode().splitlines()


def test_exec_events_name_the_command_as_dockerd_does(engine: Engine, busybox: str) -> None:
    since = f"{time.time() - 1:.3f}"
    daemon(engine, "--name", "execed", busybox, *SLEEP)
    engine.ok("exec", "execed", "echo", "hi", "there")
    engine.ok("exec", "execed", "true")
    engine.ok("rm", "-f", "execed")
    until = f"{time.time() + 1:.3f}"
    filters = ["--filter", "container=execed", "--filter", "event=exec_create"]
    shown = ["--filter", "event=exec_start", "--filter", "event=exec_die"]
    window = ["--since", since, "--until", until, "--format", "{{.Action}}"]
    out = engine.ok("events", *window, *filters, *shown)
    assert out.splitlines() == [
        "exec_create: echo hi there",
        "exec_start: echo hi there",
        "exec_die",
        "exec_create: true ",  # dockerd's: the first word, a space, the rest
        "exec_start: true ",
        "exec_die",
    ]


def test_events_reject_a_bad_filter(engine: Engine) -> None:
    assert "invalid filter" in failed(
        engine.cli("events", "--until", "1", "--filter", "colour=red")
    )


# -- logs ---------------------------------------------------------------------------------------


def test_log_rotation_bounds_the_files(engine: Engine, busybox: str) -> None:
    lines = "for i in $(seq 500); do echo line-$i-padding-padding-padding; done"
    engine.ok(
        "run",
        "--name",
        "rotated",
        "--log-opt",
        "max-size=1k",
        "--log-opt",
        "max-file=2",
        busybox,
        "sh",
        "-c",
        lines,
    )
    path = Path(inspect(engine, "{{.LogPath}}", "rotated"))
    files = sorted(path.parent.glob(path.name + "*"))
    assert [f.name for f in files] == [path.name, path.name + ".1"]
    assert all(f.stat().st_size <= 1024 + 128 for f in files), [f.stat().st_size for f in files]
    shown = engine.ok("logs", "rotated").splitlines()
    assert shown[-1] == "line-500-padding-padding-padding" and 1 < len(shown) < 500
    numbers = [int(line.split("-")[1]) for line in shown]
    assert numbers == list(range(numbers[0], 501))  # the newest lines, in order, none lost
    bad = engine.cli("run", "--rm", "--log-opt", "max-size=huge", busybox, "true")
    assert bad.returncode == 125 and "invalid size: 'huge'" in failed(bad)


def test_logs_follow_across_rotations(engine: Engine, busybox: str) -> None:
    writer = "sleep 0.5; for i in $(seq 100); do echo line-$i; sleep 0.05; done"
    rotate = ["--log-opt", "max-size=1k", "--log-opt", "max-file=3"]
    daemon(engine, "--name", "followed", *rotate, busybox, "sh", "-c", writer)
    followed = engine.ok("logs", "-f", "followed").splitlines()
    assert followed == [f"line-{i}" for i in range(1, 101)]
    path = Path(inspect(engine, "{{.LogPath}}", "followed"))
    assert len(list(path.parent.glob(path.name + "*"))) == 3


def test_logs_timestamps_and_since(engine: Engine, busybox: str) -> None:
    engine.ok("run", "--name", "stamped", busybox, "sh", "-c", "echo first; sleep 1.2; echo second")
    stamped = engine.ok("logs", "--timestamps", "stamped").splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["first", "second"]
    times = [datetime.fromisoformat(line.split()[0].replace("Z", "+00:00")) for line in stamped]
    assert times[0] < times[1]
    assert abs(times[1].timestamp() - time.time()) < 600  # UTC, not local time mislabelled
    middle = (times[0].timestamp() + times[1].timestamp()) / 2
    assert engine.ok("logs", "--since", f"{middle:.6f}", "stamped") == "second\n"
    assert engine.ok("logs", "--since", "10m", "stamped") == "first\nsecond\n"
    assert engine.ok("logs", "--since", f"{time.time() + 60:.0f}", "stamped") == ""
    assert failed(engine.cli("logs", "--since", "soonish", "stamped")) == (
        'invalid value for "since": failed to parse value as time or duration: "soonish"\n'
    )


def test_logs_since_a_lines_own_timestamp_keeps_that_line(engine: Engine, busybox: str) -> None:
    engine.ok("run", "--name", "exact", busybox, "echo", "stamped")
    log = Path(inspect(engine, "{{.LogPath}}", "exact"))
    at = "2026-11-23T06:51:10.000001000Z"  # a whole microsecond, so no digit is cut off
    entry = json.loads(log.read_text())
    log.write_text(json.dumps({**entry, "time": at}) + "\n")
    assert engine.ok("logs", "--timestamps", "exact") == "2026-11-23T06:51:10.000001Z stamped\n"
    assert engine.ok("logs", "--since", at, "exact") == "stamped\n"
    assert engine.ok("logs", "--until", at, "exact") == "stamped\n"


# -- stop, kill, illegal transitions ------------------------------------------------------------


def test_stop_sends_the_stop_signal_first(engine: Engine, busybox: str) -> None:
    trap = "trap 'echo caught; exit 42' USR1; echo ready; while true; do sleep 0.1; done"
    daemon(engine, "--name", "signalled", "--stop-signal", "SIGUSR1", busybox, "sh", "-c", trap)
    assert eventually(lambda: "ready" in engine.ok("logs", "signalled"))
    engine.ok("stop", "-t", "10", "signalled")
    assert (
        inspect(engine, "{{.State.ExitCode}} {{.Config.StopSignal}}", "signalled") == "42 SIGUSR1"
    )
    assert engine.ok("logs", "signalled") == "ready\ncaught\n"


def test_stop_timeout_ends_in_sigkill(engine: Engine, busybox: str) -> None:
    daemon(
        engine, "--name", "deaf", busybox, "sh", "-c", "trap '' TERM; echo ready; sleep 600 & wait"
    )
    assert eventually(lambda: "ready" in engine.ok("logs", "deaf"))
    engine.ok("stop", "-t", "1", "deaf")
    assert inspect(engine, "{{.State.Status}} {{.State.ExitCode}}", "deaf") == "exited 137"
    engine.ok("stop", "deaf")  # stopping a stopped container is no error, as docker's


def test_kill_with_a_signal(engine: Engine, busybox: str) -> None:
    trap = "trap 'echo hup' HUP; trap 'echo rt' 37; echo ready; while true; do sleep 0.1; done"
    daemon(engine, "--name", "killed", busybox, "sh", "-c", trap)
    assert eventually(lambda: "ready" in engine.ok("logs", "killed"))
    engine.ok("kill", "-s", "HUP", "killed")
    assert eventually(lambda: "hup" in engine.ok("logs", "killed"))
    engine.ok("kill", "-s", "SIGRTMIN+3", "killed")  # 37: real-time signals by name, as docker
    assert eventually(lambda: "rt" in engine.ok("logs", "killed").split())
    assert inspect(engine, "{{.State.Running}}", "killed") == "true"
    bad = failed(engine.cli("kill", "-s", "SIGNOPE", "killed"))
    assert "invalid signal" in bad.lower() and "SIGNOPE" in bad
    assert "invalid signal" in failed(engine.cli("kill", "-s", "99", "killed")).lower()
    assert inspect(engine, "{{.State.Running}}", "killed") == "true"
    engine.ok("kill", "-s", "9", "killed")
    assert engine.ok("wait", "killed") == "137\n"


def test_illegal_transitions_are_one_line_errors(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "strict", busybox, *SLEEP)
    assert "is not running" in failed(engine.cli("kill", "strict"))
    assert "is not running" in failed(engine.cli("top", "strict"))
    engine.ok("start", "strict")
    engine.ok("start", "strict")  # starting a running container is a no-op, as docker's
    removal = failed(engine.cli("rm", "strict"))
    assert "Stop the container before attempting removal or force remove" in removal
    engine.ok("create", "--name", "other", busybox, "true")
    assert "already in use" in failed(engine.cli("rename", "strict", "other"))
    engine.ok("kill", "strict")
    assert "is not running" in failed(engine.cli("kill", "strict"))
    assert engine.ok("ps", "-a", "-f", "name=strict", "--format", "{{.Names}}") == "strict\n"


def test_nothing_is_left_after_a_failed_start(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--name", "broken", busybox, "no-such-command")
    assert result.returncode == 127
    assert inspect(engine, "{{.State.Status}}", "broken") in ("created", "exited")
    assert engine.leaks() == []
    engine.ok("rm", "broken")


# -- live restore, beyond test_restore.py ---------------------------------------------------------


def kill_service(engine: Engine, service: str) -> None:
    """SIGKILL one of the session engine's services; return once the supervisor has it back."""
    old = engine.service_pid(service)
    os.kill(old, signal.SIGKILL)

    def back() -> bool:
        state = engine.status().get("services", {}).get(service, {})  # type: ignore[attr-defined]
        return state.get("pid") not in (None, old) and state.get("state") == "running"

    assert eventually(back, 60), engine.log_tail()
    assert eventually(lambda: engine.cli("ps").returncode == 0, 60), engine.log_tail()


@pytest.mark.parametrize("service", ["engine", "runtime"])
def test_an_exit_while_a_service_is_down_keeps_its_code(
    engine: Engine, busybox: str, service: str
) -> None:
    daemon(engine, "--name", "leaver", busybox, "sh", "-c", "echo bye; sleep 1; exit 3")
    pid = int(inspect(engine, "{{.State.Pid}}", "leaver"))
    kill_service(engine, service)
    assert eventually(lambda: not Path(f"/proc/{pid}").exists())
    assert engine.ok("wait", "leaver") == "3\n"
    assert inspect(engine, "{{.State.Status}} {{.State.ExitCode}}", "leaver") == "exited 3"
    assert engine.ok("logs", "leaver") == "bye\n"


def test_a_paused_container_stays_paused_across_service_kills(engine: Engine, busybox: str) -> None:
    cid = daemon(engine, "--name", "dozing", busybox, *SLEEP)
    engine.ok("pause", "dozing")
    for service in ("engine", "runtime"):
        kill_service(engine, service)
        assert inspect(engine, "{{.State.Status}} {{.State.Paused}}", "dozing") == "paused true"
    assert cgroup(engine, "freezer", cid, "freezer.state").read_text().strip() == "FROZEN"
    engine.ok("unpause", "dozing")
    assert engine.ok("exec", "dozing", "echo", "awake") == "awake\n"
    engine.ok("stop", "-t", "1", "dozing")


def shim_pid(engine: Engine, container_id: str) -> int:
    return int((engine.state / "runtime" / "tasks" / container_id / "shim.pid").read_text())


def test_a_killed_shim_ends_its_exec_logs_and_wait(engine: Engine, busybox: str) -> None:
    cid = daemon(engine, "--name", "shimless", busybox, *SLEEP)
    command = [CLI, "-H", engine.host]
    out = subprocess.PIPE
    with (
        subprocess.Popen([*command, "exec", "shimless", "sleep", "300"], stderr=out) as exec_,
        subprocess.Popen([*command, "logs", "-f", "shimless"], stdout=out) as follow,
        subprocess.Popen([*command, "wait", "shimless"], stdout=out) as wait,
    ):
        assert eventually(lambda: "sleep 300" in engine.ok("top", "shimless"))
        os.kill(shim_pid(engine, cid), signal.SIGKILL)
        try:
            assert wait.communicate(timeout=60)[0] == b"255\n"
            assert follow.wait(timeout=60) == 0
            assert exec_.wait(timeout=60) != 0
        finally:
            for process in (exec_, follow, wait):
                process.kill()
    assert inspect(engine, "{{.State.Status}} {{.State.ExitCode}}", "shimless") == "exited 255"


def test_a_killed_shim_is_a_failure_for_the_restart_policy(engine: Engine, busybox: str) -> None:
    cid = daemon(engine, "--name", "phoenix", "--restart", "on-failure", busybox, *SLEEP)
    first = shim_pid(engine, cid)
    os.kill(first, signal.SIGKILL)
    restarted = "{{.RestartCount}} {{.State.Status}}"
    assert eventually(lambda: inspect(engine, restarted, "phoenix") == "1 running", 60)
    assert shim_pid(engine, cid) != first
    assert engine.ok("exec", "phoenix", "echo", "again") == "again\n"
