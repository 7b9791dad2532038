"""run's namespace, device and stream flags on real containers (issue 15 item 3): --shm-size,
--ipc, --pid, --uts, --sysctl, --device (and its cgroup rule), --group-add, --cidfile, -a,
--detach-keys, --expose and port ranges, --platform, -w."""

from __future__ import annotations

import os
import socket
import stat
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.engine.test_oci_runtimes import runtime_or_skip
from tests.integration.engine.test_tty import Terminal
from tests.support.engine import Engine
from tests.support.registry import Registry

pytestmark = pytest.mark.integration

SLEEP = ["sleep", "600"]
SHM_DF = "df -k /dev/shm | tail -1 | awk '{print $1, $2}'"


def until(done: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def run(engine: Engine, *args: str) -> str:
    return engine.ok("run", "--rm", *args)


def test_shm_is_64_mib_by_default_and_as_big_as_asked(engine: Engine, busybox: str) -> None:
    df = "df -k /dev/shm | tail -1 | awk '{print $2}'"
    assert run(engine, busybox, "sh", "-c", df) == "65536\n"
    assert run(engine, "--shm-size", "1m", busybox, "sh", "-c", df) == "1024\n"
    cid = engine.ok("create", "--shm-size", "2g", busybox, "true").strip()
    assert engine.ok("inspect", "-f", "{{.HostConfig.ShmSize}}", cid) == "2147483648\n"


def test_ipc_shareable_and_joined(engine: Engine, busybox: str) -> None:
    """A queue made in the donor's ipc namespace shows in the joiner's /dev/mqueue (the
    mqueue fs of its ipc namespace), its ipc sysctls are the donor's, and so is its /dev/shm
    (both ways), as docker's."""
    donor = ["sh", "-c", "echo hi > /dev/shm/d && touch /dev/mqueue/shared && exec sleep 600"]
    engine.ok(
        "run", "-d", "--name", "ipc-donor", "--ipc", "shareable",
        "--sysctl", "kernel.shmmax=123456", busybox, *donor,
    )  # fmt: skip
    engine.ok("run", "-d", "--name", "ipc-private", busybox, *SLEEP)
    deadline = time.monotonic() + 30
    while "shared" not in engine.ok("exec", "ipc-donor", "ls", "/dev/mqueue"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    joined = run(engine, "--ipc", "container:ipc-donor", busybox, "sh", "-c",
                 "ls /dev/mqueue; cat /proc/sys/kernel/shmmax /dev/shm/d; echo j > /dev/shm/j")  # fmt: skip
    assert joined == "shared\n123456\nhi\n"
    assert engine.ok("exec", "ipc-donor", "cat", "/dev/shm/j") == "j\n"
    assert run(engine, busybox, "ls", "/dev/mqueue", "/dev/shm") == "/dev/mqueue:\n\n/dev/shm:\n"
    refused = engine.cli("run", "--rm", "--ipc", "container:ipc-private", busybox, "true")
    assert refused.returncode == 125 and "non-shareable IPC" in refused.stderr
    assert engine.ok("inspect", "-f", "{{.HostConfig.IpcMode}}", "ipc-private") == "private\n"


@pytest.mark.parametrize("donor_runtime", ["runc", "dockyard"])
def test_ipc_joined_under_runc_shares_the_donors_shm(
    engine: Engine, busybox: str, donor_runtime: str
) -> None:
    """--runtime runc: the joiner's /dev/shm is the donor's (both ways; runc bound it from
    the host, as under dockerd), whichever runtime runs the donor; shareable has its own
    64 MiB one and host the host's, as docker's."""
    runtime_or_skip(engine, busybox, "runc")
    runc = ("--runtime", "runc")
    donor = ["sh", "-c", "echo hi > /dev/shm/d && exec sleep 600"]
    engine.ok("run", "-d", "--name", "donor", "--runtime", donor_runtime, "--ipc", "shareable",
              busybox, *donor)  # fmt: skip
    until(lambda: engine.cli("exec", "donor", "test", "-e", "/dev/shm/d").returncode == 0)
    script = "cat /dev/shm/d; echo j > /dev/shm/j; readlink /proc/self/ns/ipc; " + SHM_DF
    joined = run(engine, *runc, "--ipc", "container:donor", busybox, "sh", "-c", script)
    donors_ns = engine.ok("exec", "donor", "readlink", "/proc/self/ns/ipc")
    assert joined == f"hi\n{donors_ns}shm 65536\n"
    assert engine.ok("exec", "donor", "cat", "/dev/shm/j") == "j\n"
    own = run(engine, *runc, "--ipc", "shareable", busybox, "sh", "-c", "ls /dev/shm; " + SHM_DF)
    assert own == "shm 65536\n"
    probe = Path("/dev/shm") / f"dockyard-test-{os.getpid()}"
    probe.touch()
    try:
        seen = run(engine, *runc, "--ipc", "host", busybox, "ls", f"/dev/shm/{probe.name}")
        assert seen == f"/dev/shm/{probe.name}\n"
    finally:
        probe.unlink()


def test_pid_host_and_joined(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "pid-donor", busybox, "sleep", "601")
    seen = run(engine, "--pid", "container:pid-donor", busybox, "ps", "-o", "pid,args")
    assert "1 sleep 601" in " ".join(seen.split())
    assert run(engine, "--pid", "host", busybox, "sh", "-c", "test $$ -gt 1 && echo host") == (
        "host\n"
    )
    engine.ok("stop", "-t", "0", "pid-donor")
    stopped = engine.cli("run", "--rm", "--pid", "container:pid-donor", busybox, "true")
    assert stopped.returncode == 125 and "cannot join PID of a non running" in stopped.stderr


def test_uts_host_is_the_hosts_name(engine: Engine, busybox: str) -> None:
    assert run(engine, "--uts", "host", busybox, "hostname") == f"{socket.gethostname()}\n"
    both = engine.cli("run", "--rm", "--uts", "host", "-h", "x", busybox, "true")
    assert both.returncode == 125 and "conflicting options: hostname and the UTS mode" in (
        both.stderr
    )


def test_namespaced_sysctls_only(engine: Engine, busybox: str) -> None:
    read = "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"
    flags = ["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmni=1234"]
    assert run(engine, *flags, busybox, "sh", "-c", read) == "1\n1234\n"
    host = Path("/proc/sys/kernel/shmmni").read_text()
    assert host != "1234\n"  # the container's namespace, not the host's
    refused = engine.cli("run", "--rm", "--sysctl", "kernel.hostname=x", busybox, "true")
    assert refused.returncode == 125 and "is not whitelisted" in refused.stderr
    hosts = engine.cli("run", "--rm", "--network", "host", "--sysctl", "net.x=1", busybox, "true")
    assert hosts.returncode == 125 and "not allowed in host network namespace" in hosts.stderr


def test_a_device_and_its_cgroup_rule(engine: Engine, busybox: str) -> None:
    """/dev/loop-control (10:237) is not among the devices every container may open: --device
    makes the node and allows just the access asked (reading, not writing, with :r)."""
    probe = "dd if=/dev/lc of=/dev/null count=0 2>/dev/null && echo read; : > /dev/lc && echo wrote"
    only_read = engine.cli(
        "run", "--rm", "--device", "/dev/loop-control:/dev/lc:r", busybox, "sh", "-c", probe
    )
    assert only_read.stdout == "read\n" and "Operation not permitted" in only_read.stderr
    both = run(engine, "--device", "/dev/loop-control:/dev/lc", busybox, "sh", "-c", probe)
    assert both == "read\nwrote\n"
    node = run(engine, "--device", "/dev/loop-control:/dev/lc", busybox, "stat", "-c", "%t:%T %F",
               "/dev/lc")  # fmt: skip
    assert node == "a:ed character special file\n"
    assert engine.cli("run", "--rm", busybox, "test", "-e", "/dev/lc").returncode == 1
    missing = engine.cli("run", "--rm", "--device", "/dev/nosuch", busybox, "true")
    assert missing.returncode == 127 and 'custom device "/dev/nosuch"' in missing.stderr


def test_a_device_directory_brings_every_device_under_it(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    """--device DIR (docker's `--device /dev/snd`): each device node under it, subdirectories
    too, at the same place under the container path, each allowed by its own cgroup rule;
    other files are left out; a directory without a device is refused as a file is."""
    devices = tmp_path / "devs"
    (devices / "sub").mkdir(parents=True)
    os.mknod(devices / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.chmod(devices / "null", 0o666)  # past the umask
    os.mknod(devices / "sub" / "zero", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    (devices / "notes.txt").write_text("not a device\n")
    os.symlink("null", devices / "link")  # a symlink is not followed
    script = (
        "stat -c '%t:%T %a %n' /dev/mine/null /dev/mine/sub/zero; ls /dev/mine; "
        "head -c 3 /dev/mine/sub/zero | od -An -tx1; echo x > /dev/mine/null && echo wrote"
    )
    out = run(engine, "--device", f"{devices}:/dev/mine", busybox, "sh", "-c", script)
    assert out == (
        "1:3 666 /dev/mine/null\n1:5 644 /dev/mine/sub/zero\nnull\nsub\n 00 00 00\nwrote\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = engine.cli("run", "--rm", "--device", str(empty), busybox, "true")
    assert refused.returncode != 0
    assert f'custom device "{empty}": not a device node' in refused.stderr


def test_group_add_by_id_and_by_name(engine: Engine, busybox: str) -> None:
    groups = run(engine, "--group-add", "10", "--group-add", "daemon", busybox, "id", "-G")
    assert groups.split() == ["0", "1", "10"]
    execd = engine.ok("run", "-d", "--group-add", "daemon", busybox, *SLEEP).strip()
    assert "1" in engine.ok("exec", execd, "id", "-G").split()
    missing = engine.cli("run", "--rm", "--group-add", "nosuchgroup", busybox, "true")
    assert missing.returncode == 125
    assert "Unable to find group nosuchgroup: no matching entries in group file" in missing.stderr
    too_big = engine.cli("run", "--rm", "--group-add", "2147483648", busybox, "true")
    assert too_big.returncode == 125
    assert "uids and gids must be in range 0-2147483647" in too_big.stderr


def test_cidfile_is_written_and_never_reused(engine: Engine, busybox: str, tmp_path: Path) -> None:
    cidfile = tmp_path / "cid"
    cid = engine.ok("run", "-d", "--cidfile", str(cidfile), busybox, *SLEEP).strip()
    assert cidfile.read_text() == cid
    assert engine.ok("inspect", "-f", "{{.HostConfig.ContainerIDFile}}", cid) == f"{cidfile}\n"
    again = engine.cli("run", "--rm", "--cidfile", str(cidfile), busybox, "true")
    assert again.returncode == 125 and "container ID file found" in again.stderr
    failed = tmp_path / "failed"
    engine.cli("run", "--rm", "--cidfile", str(failed), "--restart", "bogus", busybox, "true")
    assert not failed.exists()  # no container, no file


def test_attach_only_the_streams_asked(engine: Engine, busybox: str) -> None:
    both = ["sh", "-c", "echo out; echo err >&2"]
    out = engine.cli("run", "--rm", "-a", "stdout", busybox, *both)
    assert (out.stdout, out.stderr) == ("out\n", "")
    err = engine.cli("run", "--rm", "-a", "stderr", busybox, *both)
    assert (err.stdout, err.stderr) == ("", "err\n")
    conflict = engine.cli("run", "-d", "-a", "stdout", busybox, "true")
    assert (conflict.returncode, conflict.stderr) == (1, "Conflicting options: -a and -d\n")


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    made: list[Terminal] = []
    yield made
    for term in made:
        term.close()


def test_detach_keys_of_ones_own(engine: Engine, busybox: str, terminals: list[Terminal]) -> None:
    term = Terminal(engine, "run", "-it", "--name", "keys", "--detach-keys", "ctrl-a,x", busybox,
                    "sh")  # fmt: skip
    terminals.append(term)
    term.expect(b"# ")
    term.type(b"\x10\x11")  # docker's default keys are just input now
    term.type(b"echo still-here\r")
    term.expect(b"still-here")
    term.type(b"\x01x")
    term.expect(b"read escape sequence")
    assert term.process.wait(timeout=20) == 0
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "keys") == "true\n"


def test_exposed_ranges_and_published_ranges(engine: Engine, busybox: str) -> None:
    cid = engine.ok(
        "run", "-d", "--expose", "90", "--expose", "7000-7001/udp",
        "-p", "127.0.0.1::80-81", "-p", "127.0.0.1::53/udp", busybox, *SLEEP,
    ).strip()  # fmt: skip
    exposed = engine.ok("inspect", "-f", "{{json .Config.ExposedPorts}}", cid)
    assert exposed.strip() == (
        '{"53/udp":{},"7000/udp":{},"7001/udp":{},"80/tcp":{},"81/tcp":{},"90/tcp":{}}'
    )
    listed = engine.ok("port", cid).splitlines()
    assert [line.split(" -> ")[0] for line in listed] == ["53/udp", "80/tcp", "81/tcp"]
    column = engine.ok("ps", "--format", "{{.Ports}}", "-f", f"id={cid}").strip()
    assert column.startswith("90/tcp, 7000-7001/udp, 127.0.0.1:")  # docker's grouping
    bad = engine.cli("run", "--rm", "-p", "8000-8002:80-81", busybox, "true")
    assert bad.returncode == 125 and "Invalid ranges specified" in bad.stderr


def test_platform_pulls_the_one_asked_never_runs_another(
    engine: Engine, registry: Registry
) -> None:
    ref = f"{registry.host}/test/multi:latest"
    engine.ok("pull", ref)  # this host's: amd64
    assert engine.ok("image", "inspect", "-f", "{{.Architecture}}", ref) == "amd64\n"
    created = engine.cli("create", "--platform", "linux/arm64", ref)
    assert created.returncode == 0, created.stderr
    assert "Unable to find image" in created.stderr  # the amd64 one did not do: pulled
    image = engine.ok("inspect", "-f", "{{.Image}}", created.stdout.strip()).strip()
    assert engine.ok("image", "inspect", "-f", "{{.Architecture}}", image) == "arm64\n"
    engine.ok("rm", created.stdout.strip())
    engine.ok("rmi", "-f", ref)


def test_workdir_is_made_when_missing_and_refused_when_a_file(engine: Engine, busybox: str) -> None:
    assert run(engine, "-w", "/new/dir", busybox, "pwd") == "/new/dir\n"
    afile = engine.cli("run", "--rm", "-w", "/etc/passwd", busybox, "pwd")
    assert afile.returncode == 125 and "Cannot mkdir: /etc/passwd is not a directory" in (
        afile.stderr
    )
    relative = engine.cli("run", "--rm", "-w", "rel", busybox, "pwd")
    assert relative.returncode == 125 and "needs to be an absolute path" in relative.stderr


def test_platform_never_runs_an_image_of_another(engine: Engine, registry: Registry) -> None:
    """The registry has busybox for amd64 only (one manifest, no index): asked for arm64, run
    and create pull it, then fail (125, dockerd's words) rather than run it."""
    ref = f"{registry.host}/library/busybox:latest"
    engine.ok("pull", ref)
    refused = engine.cli("run", "--rm", "--platform", "linux/arm64", ref, "echo", "ran")
    assert (refused.returncode, refused.stdout) == (125, ""), refused.stderr
    assert (
        "was found but does not match the specified platform: wanted linux/arm64, actual: "
        "linux/amd64" in refused.stderr
    ), refused.stderr
    created = engine.cli("create", "--platform", "linux/arm64", ref, "true")
    assert (created.returncode, created.stdout) == (1, "")  # docker's create: 1, as the table
    assert "Error response from daemon: image with reference" in created.stderr
    assert engine.ok("ps", "-aq") == ""
    engine.ok("rmi", ref)


def test_a_published_range_forwards_each_port(engine: Engine, busybox: str) -> None:
    """-p 127.0.0.1::80-81: two host ports, each reaching its own port of the container."""
    serve = "mkdir /w && echo 81 > /w/x && httpd -p 80 -h /etc && exec httpd -f -p 81 -h /w"
    cid = engine.ok("run", "-d", "-p", "127.0.0.1::80-81", busybox, "sh", "-c", serve).strip()
    bound = dict(line.split(" -> ") for line in engine.ok("port", cid).splitlines())
    assert sorted(bound) == ["80/tcp", "81/tcp"]
    for port, path, expected in (("80/tcp", "hostname", f"{cid[:12]}\n"), ("81/tcp", "x", "81\n")):
        url = f"http://{bound[port]}/{path}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:
                    body = reply.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, url
                time.sleep(0.2)
        assert body == expected
