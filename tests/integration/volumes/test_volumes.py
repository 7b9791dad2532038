"""Volumes and mounts with real containers: every syntax of issue 12, as a user types it.

volume create/ls/inspect/rm/prune; -v NAME:/p[:ro], -v /host:/p[:ro], -v /p; --mount of
each type; --tmpfs; --volumes-from; the image's VOLUMEs; the filling of an empty volume
from the image; rm -v and run --rm; a volume in use; bad input in docker's words.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from tests.integration.volumes.conftest import APP_GID, APP_UID, until
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def mounts_of(engine: Engine, container: str) -> dict[str, dict[str, object]]:
    doc = json.loads(engine.ok("inspect", container))[0]
    return {m["Destination"]: m for m in doc["Mounts"]}


def data_dir(engine: Engine, volume: str) -> Path:
    return Path(json.loads(engine.ok("volume", "inspect", volume))[0]["Mountpoint"])


def test_a_named_volume_from_create_to_rm(engine: Engine, busybox: str) -> None:
    assert engine.ok("volume", "create", "--label", "team=a", "keep") == "keep\n"
    assert engine.ok("volume", "create", "keep") == "keep\n"  # again: the same volume
    (doc,) = json.loads(engine.ok("volume", "inspect", "keep"))
    assert doc["Name"] == "keep" and doc["Driver"] == "local" and doc["Scope"] == "local"
    assert doc["Labels"] == {"team": "a"} and doc["Options"] is None
    assert doc["Mountpoint"] == str(engine.root / "snapshots" / "volumes" / "keep" / "_data")
    assert engine.ok("volume", "ls") == "DRIVER    VOLUME NAME\nlocal     keep\n"
    engine.ok("run", "--rm", "-v", "keep:/data", busybox, "sh", "-c", "echo kept > /data/f")
    assert engine.ok("run", "--rm", "-v", "keep:/data:ro", busybox, "cat", "/data/f") == "kept\n"
    assert (data_dir(engine, "keep") / "f").read_text() == "kept\n"
    assert engine.ok("volume", "rm", "keep") == "keep\n"
    missing = engine.cli("volume", "inspect", "keep")
    assert missing.returncode == 1
    assert missing.stderr == "Error response from daemon: get keep: no such volume\n"
    assert not (engine.root / "snapshots" / "volumes" / "keep").exists()


def test_ls_filters_and_prune(engine: Engine, busybox: str) -> None:
    engine.ok("volume", "create", "--label", "tier=db", "loose")
    engine.ok("volume", "create", "held")
    engine.ok("create", "--name", "holder", "-v", "held:/h", "-v", "/anon", busybox, "true")
    anonymous = mounts_of(engine, "holder")["/anon"]["Name"]
    assert engine.ok("volume", "ls", "-q", "-f", "dangling=true") == "loose\n"
    assert engine.ok("volume", "ls", "-q", "-f", "label=tier=db") == "loose\n"
    assert engine.ok("volume", "ls", "-q", "-f", "name=hel") == "held\n"
    bad = engine.cli("volume", "ls", "-f", "colour=red")
    assert (bad.returncode, bad.stderr) == (
        1,
        "Error response from daemon: Invalid filter 'colour'\n",
    )
    engine.ok("rm", "holder")  # no -v: its anonymous volume stays, unused
    out = engine.ok("volume", "prune", "-f")
    assert out.startswith(f"Deleted Volumes:\n{anonymous}\n") and "Total reclaimed space" in out
    assert "loose" in engine.ok("volume", "ls", "-q")  # named ones need -a
    engine.ok("volume", "prune", "-f", "-a")
    assert engine.ok("volume", "ls", "-q") == ""
    no = engine.cli("volume", "prune", "-a", input="n\n")
    assert no.returncode == 0 and "Are you sure you want to continue? [y/N]" in no.stdout


def test_an_empty_volume_is_filled_from_the_image(engine: Engine, volumed: str) -> None:
    engine.ok("run", "--rm", "-v", "appdata:/var/lib/app", volumed, "true")
    data = data_dir(engine, "appdata")
    top = data.stat()
    assert (top.st_uid, top.st_gid, stat.S_IMODE(top.st_mode)) == (APP_UID, APP_GID, 0o750)
    seed = (data / "seed").stat()
    assert (data / "seed").read_text() == "from the image\n"
    assert (seed.st_uid, seed.st_gid, stat.S_IMODE(seed.st_mode)) == (APP_UID, APP_GID, 0o640)
    assert os.getxattr(data / "seed", "user.origin") == b"image"
    assert stat.S_IMODE((data / "tool").stat().st_mode) == 0o4755  # setuid kept
    assert os.readlink(data / "link") == "seed"
    assert (data / "hard").stat().st_ino == seed.st_ino
    # not empty any more: what containers wrote stays, the image's files are not copied again
    engine.ok("run", "--rm", "-v", "appdata:/var/lib/app", volumed, "rm", "/var/lib/app/seed")
    engine.ok("run", "--rm", "-v", "appdata:/var/lib/app", volumed, "true")
    assert not (data / "seed").exists()
    nocopy = "type=volume,source=bare,target=/var/lib/app,volume-nocopy"
    assert engine.ok("run", "--rm", "--mount", nocopy, volumed, "ls", "/var/lib/app") == ""
    engine.ok("volume", "rm", "appdata", "bare")


def test_image_volumes_are_anonymous_and_go_with_rm_v_and_run_rm(
    engine: Engine, volumed: str, busybox: str
) -> None:
    engine.ok("run", "--rm", volumed, "ls", "/var/lib/app")
    assert engine.ok("volume", "ls", "-q") == ""  # run --rm took it
    engine.ok("create", "--name", "kept", volumed)
    anon = mounts_of(engine, "kept")["/var/lib/app"]
    assert anon["Type"] == "volume" and len(str(anon["Name"])) == 64 and anon["Mode"] == ""
    (volume,) = json.loads(engine.ok("volume", "inspect", str(anon["Name"])))
    assert volume["Labels"] == {"com.docker.volume.anonymous": ""}
    engine.ok("start", "-a", "kept")
    assert (data_dir(engine, str(anon["Name"])) / "seed").exists()
    engine.ok("rm", "-v", "kept")
    assert engine.ok("volume", "ls", "-q") == ""
    # -v /path is an anonymous volume too; a named one is never taken by rm -v
    engine.ok("run", "--name", "both", "-v", "/scratch", "-v", "named:/named", busybox, "true")
    engine.ok("rm", "-v", "both")
    assert engine.ok("volume", "ls", "-q") == "named\n"
    engine.ok("volume", "rm", "named")


def test_binds_read_write_read_only_and_made_when_missing(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index").write_text("hello\n")
    (tmp_path / "single").write_text("one file\n")
    missing = tmp_path / "made" / "here"
    script = "cat /site/index /one; echo new > /made/f; echo no > /site/x || true"
    out = engine.cli(
        "run", "--rm",
        "-v", f"{tmp_path}/site:/site:ro",
        "-v", f"{tmp_path}/single:/one",
        "-v", f"{missing}:/made",
        busybox, "sh", "-c", script,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout == "hello\none file\n"
    assert "Read-only file system" in out.stderr
    assert (missing / "f").read_text() == "new\n"
    assert not (tmp_path / "site" / "x").exists()
    engine.ok(
        "create", "--name", "inspected", "-v", f"{tmp_path}/site:/site:ro,rslave", busybox, "true"
    )
    site = mounts_of(engine, "inspected")["/site"]
    assert site == {
        "Type": "bind",
        "Source": f"{tmp_path}/site",
        "Destination": "/site",
        "Mode": "ro,rslave",
        "RW": False,
        "Propagation": "rslave",
    }


def test_a_bind_over_etc_gets_only_its_mount_points_never_the_init_files(
    engine: Engine, busybox: str, tmp_path: Path
) -> None:
    """docker's init files (/etc/mtab) lie under the mounts, as its init layer does: a host
    directory bound over /etc gets the empty stubs of the files mounted in it, as under
    dockerd, and no mtab link (it got one)."""
    host = tmp_path / "etc"
    host.mkdir()
    assert engine.ok("run", "--rm", "-v", f"{host}:/etc", busybox, "ls", "/etc") == (
        "hostname\nhosts\nresolv.conf\n"
    )
    assert sorted(os.listdir(host)) == ["hostname", "hosts", "resolv.conf"]
    assert engine.ok("run", "--rm", busybox, "readlink", "/etc/mtab") == "/proc/mounts\n"


def test_mount_of_each_type_and_tmpfs(engine: Engine, busybox: str, tmp_path: Path) -> None:
    script = (
        "echo v > /vol/f; echo b > /bind/f; cat /ro/f; "
        "grep -E ' /(t|scratch) ' /proc/mounts | cut -d' ' -f2-4; stat -c '%a' /t"
    )
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "f").write_text("read only\n")
    out = engine.ok(
        "run", "--name", "mounted",
        "--mount", "type=volume,source=mvol,target=/vol",
        "--mount", f"type=bind,source={tmp_path},target=/bind",
        "--mount", f"type=bind,src={tmp_path}/ro,dst=/ro,readonly",
        "--mount", "type=tmpfs,target=/t,tmpfs-size=2m,tmpfs-mode=1770",
        "--tmpfs", "/scratch:size=1m",
        busybox, "sh", "-c", script,
    )  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "read only"
    assert sorted(lines[1:3]) == [
        "/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k",
        "/t tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=1770",
    ]
    assert lines[3] == "1770"
    assert (tmp_path / "f").read_text() == "b\n"
    assert (data_dir(engine, "mvol") / "f").read_text() == "v\n"
    points = mounts_of(engine, "mounted")
    assert points["/t"] == {
        "Type": "tmpfs",
        "Source": "",
        "Destination": "/t",
        "Mode": "",
        "RW": True,
        "Propagation": "",
    }
    assert "/scratch" not in points  # --tmpfs stays in HostConfig.Tmpfs, as docker's
    assert points["/vol"]["Mode"] == "" and points["/ro"]["RW"] is False
    engine.ok("rm", "mounted")
    engine.ok("volume", "rm", "mvol")


def test_volumes_with_driver_options(engine: Engine, busybox: str, tmp_path: Path) -> None:
    engine.ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "tv")
    out = engine.ok("run", "--rm", "-v", "tv:/t", busybox, "grep", " /t ", "/proc/mounts")
    assert out.split()[2] == "tmpfs" and "size=1024k" in out
    (doc,) = json.loads(engine.ok("volume", "inspect", "tv"))
    assert doc["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    opts = ["-o", "type=none", "-o", f"device={tmp_path}", "-o", "o=bind"]
    engine.ok("volume", "create", *opts, "bound")
    engine.ok("run", "--rm", "-v", "bound:/b", busybox, "sh", "-c", "echo via-volume > /b/f")
    assert (tmp_path / "f").read_text() == "via-volume\n"
    engine.ok("run", "--rm", "-v", "bound:/usr", busybox, "true")  # not filled from the image:
    assert sorted(os.listdir(tmp_path)) == ["f"]  # its data is the device's, not _data
    assert list(data_dir(engine, "bound").iterdir()) == []
    bad = engine.cli("volume", "create", "-o", "type=tmpfs", "half")
    assert (
        bad.stderr == 'Error response from daemon: create half: missing required option: "device"\n'
    )
    engine.ok("volume", "rm", "tv", "bound")


def test_volumes_from_shares_the_mounts(engine: Engine, busybox: str, tmp_path: Path) -> None:
    engine.ok(
        "run", "--name", "source", "-v", "shared:/data", "-v", f"{tmp_path}:/host",
        busybox, "sh", "-c", "echo from-source > /data/f",
    )  # fmt: skip
    out = engine.cli(
        "run", "--rm", "--volumes-from", "source:ro", busybox,
        "sh", "-c", "cat /data/f; ls -d /host; touch /data/g",
    )  # fmt: skip
    assert out.stdout == "from-source\n/host\n" and "Read-only file system" in out.stderr
    engine.ok("run", "--rm", "--volumes-from", "source", busybox, "touch", "/data/g")
    assert (data_dir(engine, "shared") / "g").exists()
    missing = engine.cli("run", "--rm", "--volumes-from", "nosuch", busybox, "true")
    assert missing.returncode == 125
    assert missing.stderr == (
        "dockyard: Error response from daemon: No such container: nosuch.\n"
        "See 'dockyard run --help'.\n"
    )
    engine.ok("rm", "source")
    engine.ok("volume", "rm", "shared")


def test_a_volume_in_use_is_not_removed(engine: Engine, busybox: str) -> None:
    cid = engine.ok("create", "-v", "busy:/b", busybox, "true").strip()
    for args in (("volume", "rm", "busy"), ("volume", "rm", "-f", "busy")):
        result = engine.cli(*args)
        assert result.returncode == 1
        assert result.stderr == (
            f"Error response from daemon: remove busy: volume is in use - [{cid}]\n"
        )
    engine.ok("volume", "prune", "-f", "-a")
    assert engine.ok("volume", "ls", "-q") == "busy\n"
    engine.ok("rm", cid)
    assert engine.ok("volume", "rm", "busy") == "busy\n"
    assert engine.cli("volume", "rm", "-f", "busy").returncode == 0  # gone: fine with -f


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--mount", "type=bind,source=relative,target=/x"],
            "invalid mount config for type \"bind\": invalid mount path: 'relative' mount "
            "path must be absolute",
        ),
        (
            ["--mount", "type=bind,source=/no/such/dir,target=/x"],
            'invalid mount config for type "bind": bind source path does not exist: /no/such/dir',
        ),
        (["-v", "data:relative"], "invalid volume specification: 'data:relative'"),
        (["-v", "/x:/y:bogus"], "invalid mode: bogus"),
        (["-v", "a/b:/x"], 'create a/b: "a/b" includes invalid characters for a local volume name'),
        (
            ["--mount", "type=volume,source=v1,target=/x,volume-driver=flocker"],
            'create v1: error looking up volume plugin flocker: plugin "flocker" not found',
        ),
        (["-v", "v1:/x", "-v", "v2:/x"], "Duplicate mount point: /x"),
        (["-v", "/x:/"], "destination can't be '/'"),
    ],
)
def test_bad_mounts_are_one_line_and_leave_nothing(
    engine: Engine, busybox: str, args: list[str], message: str
) -> None:
    result = engine.cli("run", "--rm", "-v", "first:/first", *args, busybox, "true")
    lines = result.stderr.splitlines()
    assert result.returncode == 125 and len(lines) == 2, result.stderr  # docker's run errors
    assert lines[0].startswith("dockyard: Error response from daemon: ") and message in lines[0]
    assert lines[1] == "See 'dockyard run --help'."
    assert engine.ok("ps", "-aq") == ""
    assert engine.ok("volume", "ls", "-q") == ""  # "first" was undone with the rest


def test_a_cli_side_mount_error_is_docker_s(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", "--mount", "type=volume,target=/x,bogus=1", busybox, "true")
    assert result.returncode == 125
    assert result.stderr == (
        'invalid argument "type=volume,target=/x,bogus=1" for "--mount" flag: '
        "unexpected key 'bogus' in 'bogus=1'\n"
    )


def test_writing_to_a_read_only_volume_is_the_containers_error(
    engine: Engine, busybox: str
) -> None:
    result = engine.cli("run", "--rm", "-v", "rov:/r:ro", busybox, "sh", "-c", "touch /r/f")
    assert result.returncode == 1  # the container's exit code, not an engine error
    assert "Read-only file system" in result.stderr and "daemon" not in result.stderr
    engine.ok("volume", "rm", "rov")


def test_system_df_counts_volumes_and_system_prune_takes_anonymous_ones(
    engine: Engine, busybox: str
) -> None:
    engine.ok("volume", "create", "idle")
    fill = "head -c 100000 /dev/zero > /u/f"
    engine.ok(
        "run", "-d", "--name", "user", "-v", "used:/u", busybox, "sh", "-c", f"{fill}; sleep 1000"
    )
    engine.ok("create", "--name", "gone", "-v", "/a", busybox, "true")
    anonymous = str(mounts_of(engine, "gone")["/a"]["Name"])
    engine.ok("rm", "gone")
    until(lambda: engine.cli("exec", "user", "test", "-s", "/u/f").returncode == 0)
    rows = {line[:16].strip(): line[16:].split() for line in engine.ok("system", "df").splitlines()}
    assert rows["TYPE"] == ["TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    total, active, size = rows["Local Volumes"][:3]
    assert (total, active) == ("3", "1") and size.endswith("kB") and float(size[:-2]) >= 100
    verbose = engine.ok("system", "df", "-v")
    section = verbose.split("Local Volumes space usage:\n\n")[1].split("\n\n")[0].splitlines()
    assert section[0].split() == ["VOLUME", "NAME", "LINKS", "SIZE"]
    assert {line.split()[0]: line.split()[1] for line in section[1:]} == {
        anonymous: "0",
        "idle": "0",
        "used": "1",
    }
    out = engine.ok("system", "prune", "-f", "--volumes")
    assert f"Deleted Volumes:\n{anonymous}\n" in out and "Total reclaimed space:" in out
    assert sorted(engine.ok("volume", "ls", "-q").split()) == ["idle", "used"]
    engine.ok("rm", "-f", "user")
    engine.ok("volume", "rm", "idle", "used")


@pytest.mark.parametrize("runtime", ["runc", "crun"])
def test_another_runtime_mounts_the_same_volumes(
    engine: Engine, busybox: str, tmp_path: Path, runtime: str
) -> None:
    from tests.integration.engine.test_oci_runtimes import runtime_or_skip

    runtime_or_skip(engine, busybox, runtime)
    script = "echo v > /v/f; cat /b/f; grep -c ' /t tmpfs ' /proc/mounts; touch /b/x || true"
    (tmp_path / "f").write_text("bound\n")
    result = engine.cli(
        "run", "--rm", "--runtime", runtime, "-v", "rtvol:/v", "-v", f"{tmp_path}:/b:ro",
        "--mount", "type=tmpfs,target=/t", busybox, "sh", "-c", script,
    )  # fmt: skip
    assert result.stdout == "bound\n1\n" and "Read-only file system" in result.stderr
    assert (data_dir(engine, "rtvol") / "f").read_text() == "v\n"
    engine.ok("volume", "rm", "rtvol")


def test_volume_events_create_mount_unmount_destroy(engine: Engine, busybox: str) -> None:
    """docker's volume events: create, mount at each start (destination, read/write),
    unmount at each exit, destroy; `--filter volume=NAME` keeps that volume's only."""
    since = str(int(time.time()) - 1)
    engine.ok("run", "--rm", "-v", "evented:/data:ro", busybox, "true")
    engine.ok("run", "--rm", "-v", "other-evented:/data", busybox, "true")
    engine.ok("volume", "rm", "evented", "other-evented")
    window = ("--since", since, "--until", str(int(time.time()) + 1))
    mine = ("--filter", "volume=evented")
    shown = engine.ok("events", *window, *mine, "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}")
    assert shown.splitlines() == [
        "volume create evented",
        "volume mount evented",
        "volume unmount evented",
        "volume destroy evented",
    ]
    mounted = engine.ok(
        "events",
        *window,
        *mine,
        "--filter",
        "event=mount",
        "--format",
        "{{json .Actor.Attributes}}",
    )
    attributes = json.loads(mounted)
    assert (attributes["destination"], attributes["read/write"]) == ("/data", "false")
    assert attributes["driver"] == "local" and len(attributes["container"]) == 64


def test_volume_create_takes_docker_s_hidden_name_flag(engine: Engine) -> None:
    assert "--name" not in engine.ok("volume", "create", "--help")  # hidden, as docker's
    assert engine.ok("volume", "create", "--name", "by-flag", "--label", "via=name") == (
        "by-flag\n"
    )
    try:
        (doc,) = json.loads(engine.ok("volume", "inspect", "by-flag"))
        assert (doc["Name"], doc["Labels"]) == ("by-flag", {"via": "name"})
        for positional in ("by-flag", "other"):  # docker/cli refuses both, even when alike
            both = engine.cli("volume", "create", "--name", "by-flag", positional)
            assert (both.returncode, both.stdout, both.stderr) == (
                1,
                "",
                "conflicting options: either specify --name or provide positional arg, not both\n",
            )
        assert "other" not in engine.ok("volume", "ls", "-q").split()
    finally:
        engine.ok("volume", "rm", "by-flag")
