"""The run path end to end, through the CLI as a user types it: real containers, real exits."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def test_run_prints_and_exits_zero(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", busybox, "echo", "hello", "world")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello world\n"


def test_the_exit_code_is_the_containers(engine: Engine, busybox: str) -> None:
    assert engine.cli("run", "--rm", busybox, "sh", "-c", "exit 3").returncode == 3


def test_stdout_and_stderr_stay_apart(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", busybox, "sh", "-c", "echo out; echo err >&2")
    assert (result.stdout, result.stderr) == ("out\n", "err\n")


def test_a_missing_command_is_127_in_one_line(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", busybox, "no-such-command")
    assert result.returncode == 127
    assert "executable file not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_command_that_cannot_run_is_126(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", busybox, "/etc/passwd")
    assert result.returncode == 126
    assert "permission denied" in result.stderr


def test_run_rm_leaves_no_container(engine: Engine, busybox: str) -> None:
    engine.ok("run", "--rm", "--name", "gone", busybox, "true")
    assert "gone" not in engine.ok("ps", "-a", "--format", "{{.Names}}").split()


def test_a_container_has_its_own_namespaces(engine: Engine, busybox: str) -> None:
    script = "for ns in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$ns; done"
    out = engine.ok("run", "--rm", busybox, "sh", "-c", script)
    host = [
        os.readlink(f"/proc/self/ns/{ns}") for ns in ("pid", "mnt", "uts", "ipc", "net", "cgroup")
    ]
    mine = out.split()
    assert len(mine) == 6 and all(a != b for a, b in zip(mine, host, strict=True))


def test_cgroupns_host_keeps_the_hosts_cgroup_namespace_and_shows_only_its_own_cgroups(
    engine: Engine, busybox: str
) -> None:
    """--cgroupns host: the host's cgroup namespace (/proc/self/cgroup names the real path), and
    /sys/fs/cgroup shows the container's own cgroup, read-only, as runc binds it, never the
    host's whole tree; private (the default, and inspect's word for it) a namespace of its own."""
    show = "readlink /proc/self/ns/cgroup; cat /proc/self/cgroup"
    cid = engine.ok("run", "-d", "--cgroupns", "host", "-m", "64m", busybox, "sleep", "60").strip()
    namespace, *groups = engine.ok("exec", cid, "sh", "-c", show).split()
    assert namespace == os.readlink("/proc/self/ns/cgroup")
    assert any(line.endswith(f"/{cid}") for line in groups), groups
    assert engine.ok("inspect", "-f", "{{.HostConfig.CgroupnsMode}}", cid) == "host\n"
    own = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
    if Path("/sys/fs/cgroup/memory").is_dir():  # v1: its own limit at the hierarchy's root
        assert engine.ok("exec", cid, "cat", own) == f"{64 << 20}\n"
    listing = engine.ok(
        "exec", cid, "ls", "/sys/fs/cgroup/pids" if Path(own).parent.is_dir() else "/sys/fs/cgroup"
    ).split()
    assert engine.cgroup_parent.split("/")[-1] not in listing and cid not in listing
    touched = engine.cli("exec", cid, "mkdir", "/sys/fs/cgroup/pids/escape")
    assert touched.returncode != 0
    private = engine.ok("run", "--rm", busybox, "sh", "-c", show).split()
    assert private[0] != namespace and private[1:] and all(g.endswith(":/") for g in private[1:])
    plain = engine.ok("create", busybox, "true").strip()
    assert engine.ok("inspect", "-f", "{{.HostConfig.CgroupnsMode}}", plain) == "private\n"
    bad = engine.cli("run", "--rm", "--cgroupns", "shared", busybox, "true")
    assert bad.returncode == 125 and "--cgroupns: invalid CGROUP mode" in bad.stderr


def test_pid_one_is_the_command(engine: Engine, busybox: str) -> None:
    assert engine.ok("run", "--rm", busybox, "sh", "-c", "echo $$") == "1\n"


def test_rootfs_dev_proc_and_sys(engine: Engine, busybox: str) -> None:
    script = (
        "ls /dev; echo; test -w /sys && echo sys-writable; "
        "touch /sys/x 2>/dev/null || echo sys-readonly; cat /proc/1/cmdline | tr '\\0' ' '"
    )
    out = engine.ok("run", "--rm", busybox, "sh", "-c", script)
    devices = set(out.split("\n\n")[0].split())
    assert {"null", "zero", "full", "random", "urandom", "tty", "pts", "shm"} <= devices
    assert "sys-readonly" in out
    assert "sh -c" in out


def test_hostname_is_the_short_id_or_the_flag(engine: Engine, busybox: str) -> None:
    cid = engine.ok("run", "-d", busybox, "hostname").strip()
    assert engine.ok("wait", cid).strip() == "0"
    assert engine.ok("logs", cid) == cid[:12] + "\n"
    assert engine.ok("run", "--rm", "--hostname", "harbour", busybox, "hostname") == "harbour\n"


def test_env_workdir_and_user(engine: Engine, busybox: str, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=yes\n")
    out = engine.ok(
        "run",
        "--rm",
        "-e",
        "A=1",
        "--env-file",
        str(env_file),
        "-w",
        "/tmp",
        "-u",
        "nobody",
        busybox,
        "sh",
        "-c",
        'echo "$A $FROM_FILE $(pwd) $(id -u) $HOME"',
    )
    assert out == "1 yes /tmp 65534 /nonexistent\n"
    assert engine.ok("run", "--rm", "-u", "1000:1000", busybox, "id", "-u") == "1000\n"


def test_label_file_then_label_flags(engine: Engine, busybox: str, tmp_path: Path) -> None:
    """--label-file as docker reads it: comments and blank lines skipped, leading space
    trimmed, a bare key an empty label, -l winning over the file; a bad key refused."""
    labels = tmp_path / "labels"
    labels.write_text("# made by the test\n\n  from.file=yes\nbare\nboth=file\nspaced=a b \n")
    engine.ok(
        "create",
        "--name",
        "labelled",
        "--label-file",
        str(labels),
        "-l",
        "both=flag",
        busybox,
        "true",
    )
    try:
        got = engine.ok("inspect", "-f", "{{json .Config.Labels}}", "labelled")
        assert json.loads(got) == {"from.file": "yes", "bare": "", "both": "flag", "spaced": "a b "}
    finally:
        engine.ok("rm", "labelled")
    labels.write_text("bad key=1\n")
    refused = engine.cli("create", "--label-file", str(labels), busybox, "true")
    assert refused.returncode == 125
    assert refused.stderr.startswith(
        "dockyard: poorly formatted environment: variable 'bad key' contains whitespaces.\n"
    )
    missing = engine.cli("create", "--label-file", str(tmp_path / "none"), busybox, "true")
    assert missing.returncode == 125
    assert f"open {tmp_path / 'none'}: no such file or directory" in missing.stderr


def test_entrypoint_flag(engine: Engine, busybox: str) -> None:
    assert engine.ok("run", "--rm", "--entrypoint", "echo", busybox, "a", "b") == "a b\n"


def test_stdin_is_forwarded_with_i(engine: Engine, busybox: str) -> None:
    result = engine.cli(
        "run", "--rm", "-i", busybox, "sh", "-c", "tr a-z A-Z; echo done", input="hello dockyard\n"
    )
    assert result.stdout == "HELLO DOCKYARD\ndone\n", result.stderr


def test_detached_lifecycle(engine: Engine, busybox: str) -> None:
    cid = engine.ok("run", "-d", "--name", "sleeper", busybox, "sleep", "300").strip()
    assert len(cid) == 64
    assert engine.ok("ps", "--format", "{{.Names}} {{.Status}}").startswith("sleeper Up")
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "sleeper") == "true\n"
    removal = engine.cli("rm", "sleeper")
    assert removal.returncode != 0 and "Stop the container before attempting" in removal.stderr
    engine.ok("stop", "-t", "1", "sleeper")
    assert (
        engine.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "sleeper")
        == "exited 137\n"
    )
    assert "Exited (137)" in engine.ok("ps", "-a", "--format", "{{.Status}}")
    engine.ok("start", "sleeper")
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "sleeper") == "true\n"
    engine.ok("kill", "-s", "TERM", "sleeper")  # ignored by pid 1 without a handler: still up
    engine.ok("kill", "sleeper")
    assert engine.ok("wait", "sleeper") == "137\n"
    engine.ok("rm", "sleeper")


def test_create_then_start_attached(engine: Engine, busybox: str) -> None:
    cid = engine.ok("create", busybox, "echo", "created").strip()
    assert engine.ok("ps", "-a", "-f", f"id={cid}", "--format", "{{.Status}}") == "Created\n"
    assert engine.ok("start", "-a", cid) == "created\n"
    engine.ok("rm", cid)


def test_name_clash_is_one_clear_error(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "twin", busybox, "true")
    result = engine.cli("create", "--name", "twin", busybox, "true")
    assert result.returncode == 1  # docker's create: 125 is run's code for a daemon error
    assert 'The container name "/twin" is already in use' in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_json_file_tail_and_follow(engine: Engine, busybox: str) -> None:
    cid = engine.ok(
        "run", "-d", busybox, "sh", "-c", "for i in 1 2 3; do echo $i; done; echo e >&2"
    ).strip()
    engine.ok("wait", cid)
    assert engine.ok("logs", cid) == "1\n2\n3\n"
    assert engine.cli("logs", cid).stderr == "e\n"
    assert (
        engine.ok("logs", "--tail", "2", cid) == "3\n"
    )  # the last two lines: "3" and "e" (stderr)
    log_path = engine.ok("inspect", "-f", "{{.LogPath}}", cid).strip()
    first = Path(log_path).read_text().splitlines()[0]
    assert first.startswith('{"log":"1\\n","stream":"stdout","time":"')
    follower = engine.ok("run", "-d", busybox, "sh", "-c", "echo a; sleep 1; echo b").strip()
    assert engine.ok("logs", "-f", follower) == "a\nb\n"


def test_inspect_and_format(engine: Engine, busybox: str) -> None:
    cid = engine.ok("create", "--name", "shown", "-e", "K=V", busybox, "true").strip()
    assert (
        engine.ok("inspect", "-f", "{{.Name}} {{.Config.Image}}", "shown")
        == "/shown busybox:latest\n"
    )
    assert '"K=V"' in engine.ok("inspect", "-f", "{{json .Config.Env}}", cid)
    assert engine.ok("ps", "-aq", "-f", "name=shown") == cid[:12] + "\n"


def test_unknown_container_and_image_are_clear(engine: Engine, busybox: str) -> None:
    result = engine.cli("stop", "nope")
    assert result.returncode == 1 and "No such container: nope" in result.stderr
    result = engine.cli("run", "--rm", "Bad:Ref")
    assert result.returncode == 125 and "invalid reference format" in result.stderr


def test_network_none_has_only_loopback(engine: Engine, busybox: str) -> None:
    out = engine.ok("run", "--rm", "--network", "none", busybox, "ip", "-o", "link")
    names = [line.split(":")[1].strip() for line in out.splitlines()]
    assert names == ["lo"]


def _links(proc_net_dev: str) -> set[str]:
    return {line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:]}


def test_network_host_sees_the_hosts_links(engine: Engine, busybox: str) -> None:
    before = _links(Path("/proc/net/dev").read_text())
    out = engine.ok("run", "--rm", "--network", "host", busybox, "cat", "/proc/net/dev")
    after = _links(Path("/proc/net/dev").read_text())
    # other engines on this host may add or remove links meanwhile: compare what stayed
    assert before & after <= _links(out) <= before | after
    assert "lo" in _links(out) and len(before & after) > 1


def test_the_container_survives_a_runtime_kill(engine: Engine, busybox: str) -> None:
    cid = engine.ok(
        "run", "-d", busybox, "sh", "-c", "while true; do echo tick; sleep 0.2; done"
    ).strip()
    runtime = engine.service_pid("runtime")
    os.kill(runtime, 9)
    deadline = time.time() + 30
    while time.time() < deadline and engine.service_pid("runtime") in (0, runtime):
        time.sleep(0.1)
    engine.wait_running()
    assert engine.ok("inspect", "-f", "{{.State.Running}}", cid) == "true\n"
    engine.ok("stop", "-t", "1", cid)
    assert engine.ok("inspect", "-f", "{{.State.Status}}", cid) == "exited\n"
