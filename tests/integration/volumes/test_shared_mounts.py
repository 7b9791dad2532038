"""A volume with driver options is mounted once, as docker's local driver does: its device on
the volume's `_data` at the first container that starts with it, bound by every container that
uses it, unmounted when the last one stops (a tmpfs' data is then gone, as docker's). The counts
outlive a killed engine or snapshots service; no mount is left once everything has stopped (the
engine fixture checks the engine's root after each test)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.integration.engine.test_restore import wait_restarted
from tests.integration.volumes.conftest import until
from tests.support.engine import Engine

pytestmark = pytest.mark.integration

TMPFS = ("-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m")
WAIT_FOR_STOP_FILE = "while [ ! -e /t/stop ]; do sleep 0.1; done"


def data_dir(engine: Engine, volume: str) -> Path:
    return Path(json.loads(engine.ok("volume", "inspect", volume))[0]["Mountpoint"]).resolve()


def mount_type(path: Path) -> str:
    """The filesystem mounted on `path` in this (the host's) mount namespace; "" = none."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            return fields[fields.index("-") + 1]
    return ""


def running(engine: Engine, name: str, *args: str) -> None:
    engine.ok("run", "-d", "--name", name, *args)
    until(lambda: engine.ok("inspect", "-f", "{{.State.Running}}", name) == "true\n")


def test_two_containers_share_one_tmpfs_and_its_data_goes_with_the_last(
    engine: Engine, busybox: str
) -> None:
    engine.ok("volume", "create", *TMPFS, "scratch")
    data = data_dir(engine, "scratch")
    assert mount_type(data) == ""  # nothing mounted until a container uses it
    running(engine, "one", "-v", "scratch:/t", busybox, "sh", "-c", "echo 1 > /t/one; sleep 1000")
    assert mount_type(data) == "tmpfs"
    until(lambda: (data / "one").exists())
    running(engine, "two", "-v", "scratch:/t", busybox, "sh", "-c", "echo 2 > /t/two; sleep 1000")
    until(lambda: (data / "two").exists())
    assert engine.ok("exec", "one", "cat", "/t/two") == "2\n"
    assert engine.ok("exec", "two", "cat", "/t/one") == "1\n"
    assert "size=2048k" in engine.ok("exec", "two", "grep", " /t ", "/proc/mounts")
    refused = engine.cli("volume", "rm", "scratch")
    assert refused.returncode == 1 and "volume is in use" in refused.stderr
    engine.ok("stop", "-t", "0", "one")
    assert mount_type(data) == "tmpfs"  # two still uses it: the data stays
    assert engine.ok("exec", "two", "cat", "/t/one") == "1\n"
    engine.ok("stop", "-t", "0", "two")
    assert mount_type(data) == "" and os.listdir(data) == []  # as docker's: gone with the last
    engine.ok("start", "one")
    until(lambda: (data / "one").exists())
    assert engine.ok("exec", "one", "ls", "/t") == "one\n"  # a fresh tmpfs: two's file is gone
    engine.ok("rm", "-f", "one", "two")
    assert mount_type(data) == ""
    engine.ok("volume", "rm", "scratch")


def test_a_bind_device_volume_is_shared_and_keeps_its_data(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    device = tmp_path / "device"
    device.mkdir()
    engine.ok(
        "volume", "create", "-o", "type=none", "-o", f"device={device}", "-o", "o=bind", "bound"
    )
    data = data_dir(engine, "bound")
    running(engine, "one", "-v", "bound:/t", busybox, "sh", "-c", "echo 1 > /t/one; sleep 1000")
    until(lambda: (device / "one").exists())
    assert (data / "one").read_text() == "1\n"  # the device is on _data while in use
    out = engine.ok("run", "--rm", "-v", "bound:/t:ro", busybox, "cat", "/t/one")
    assert out == "1\n"
    assert mount_type(data) != ""  # one still uses it
    engine.ok("rm", "-f", "one")
    assert mount_type(data) == "" and os.listdir(data) == []
    assert sorted(os.listdir(device)) == ["one"]  # the device keeps its data
    engine.ok("volume", "rm", "bound")


def test_counts_outlive_a_killed_engine_and_snapshots_service(engine: Engine, busybox: str) -> None:
    engine.ok("volume", "create", *TMPFS, "kept")
    data = data_dir(engine, "kept")
    running(engine, "one", "-v", "kept:/t", busybox, "sh", "-c", "echo 1 > /t/one; sleep 1000")
    running(engine, "two", "-v", "kept:/t", busybox, "sleep", "1000")
    for service in ("engine", "snapshots"):
        old = engine.service_pid(service)
        os.kill(old, signal.SIGKILL)
        wait_restarted(engine, service, old)
    assert mount_type(data) == "tmpfs"  # still in use: the restarts unmounted nothing
    engine.ok("rm", "-f", "one")
    assert engine.ok("exec", "two", "cat", "/t/one") == "1\n"
    engine.ok("rm", "-f", "two")
    assert mount_type(data) == ""
    engine.ok("volume", "rm", "kept")


def test_a_container_that_stops_while_the_engine_is_down_lets_go_of_its_volume(
    engine: Engine, busybox: str
) -> None:
    engine.ok("volume", "create", *TMPFS, "left")
    data = data_dir(engine, "left")
    running(engine, "one", "-v", "left:/t", busybox, "sh", "-c", WAIT_FOR_STOP_FILE)
    pid = int(engine.ok("inspect", "-f", "{{.State.Pid}}", "one"))
    engine.stop()  # the containers live on (docker's live-restore)
    try:
        assert mount_type(data) == "tmpfs"
        (data / "stop").write_text("")  # the container's tmpfs, seen on the host
        until(lambda: not Path(f"/proc/{pid}").exists())
    finally:
        engine.restart()
    until(lambda: engine.ok("inspect", "-f", "{{.State.Status}}", "one") == "exited\n")
    until(lambda: mount_type(data) == "")
    engine.ok("rm", "one")
    engine.ok("volume", "rm", "left")


def test_cp_into_a_stopped_container_reaches_the_tmpfs_running_ones_use(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    """docker's cp mounts a stopped container's volumes: the local driver's one mount."""
    engine.ok("volume", "create", *TMPFS, "copied")
    running(engine, "one", "-v", "copied:/t", busybox, "sleep", "1000")
    engine.ok("create", "--name", "idle", "-v", "copied:/t", busybox, "true")
    (tmp_path / "f").write_text("via cp\n")
    engine.ok("cp", str(tmp_path / "f"), "idle:/t/f")
    assert engine.ok("exec", "one", "cat", "/t/f") == "via cp\n"
    engine.ok("rm", "-f", "one", "idle")
    engine.ok("volume", "rm", "copied")


def test_an_empty_device_volume_is_filled_from_the_image_as_dockerd_fills_it(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    """dockerd's copy-up mounts the volume's device, copies the image's files in, and lets it
    go: a tmpfs nobody holds shows nothing after (its copy went with the unmount), one a
    running container holds keeps the copy, a bind device keeps it for good."""
    stubs = "hostname\nhosts\nresolv.conf\n"  # what the container itself puts there
    engine.ok("volume", "create", *TMPFS, "etc")
    data = data_dir(engine, "etc")
    assert engine.ok("run", "--rm", "-v", "etc:/etc", busybox, "ls", "/etc") == stubs
    assert mount_type(data) == "" and os.listdir(data) == []
    running(engine, "holder", "-v", "etc:/held", busybox, "sleep", "1000")
    filled = engine.ok("run", "--rm", "-v", "etc:/etc", busybox, "sh", "-c", "ls /etc")
    assert filled == "group\nhostname\nhosts\npasswd\nresolv.conf\n"
    assert engine.ok("exec", "holder", "grep", "^root:", "/held/passwd").startswith("root:x:0:0")
    engine.ok("rm", "-f", "holder")
    assert mount_type(data) == ""
    engine.ok("volume", "rm", "etc")
    device = tmp_path / "device"
    device.mkdir()
    engine.ok("volume", "create", "-o", "type=none", "-o", f"device={device}", "-o", "o=bind",
              "bound")  # fmt: skip
    groups = engine.ok("run", "--rm", busybox, "cat", "/etc/group")
    assert engine.ok("run", "--rm", "-v", "bound:/etc", busybox, "cat", "/etc/group") == groups
    assert sorted(os.listdir(device)) == ["group", "hostname", "hosts", "passwd", "resolv.conf"]
    engine.ok("volume", "rm", "bound")
