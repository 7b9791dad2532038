"""Volumes through the Docker API, driven by the real docker CLI: the volume verbs, and
containers with named volumes, binds and --mount (volume, bind, tmpfs), as docker gives them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration


def test_volume_create_ls_inspect_rm_prune(clients: Docker, image: str) -> None:
    docker = clients
    assert docker.ok("volume", "create", "--label", "team=a", "kept").strip() == "kept"
    docker.ok("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "loose")
    unnamed = docker.ok("volume", "create").strip()  # a random name, not an anonymous volume
    assert len(unnamed) == 64
    docker.ok("pull", "-q", image)
    docker.ok("create", "--name", "had-one", "-v", "/anon", image, "true")
    anonymous = docker.ok("inspect", "-f", "{{range .Mounts}}{{.Name}}{{end}}", "had-one").strip()
    docker.ok("rm", "had-one")  # without -v: its anonymous volume stays
    listed = docker.ok("volume", "ls", "--filter", "label=team=a", "--format", "{{.Name}}")
    assert listed.split() == ["kept"]
    assert {"kept", "loose", unnamed, anonymous} <= set(docker.ok("volume", "ls", "-q").split())
    doc = json.loads(docker.ok("volume", "inspect", "loose"))[0]
    assert (doc["Driver"], doc["Options"], doc["Labels"]) == (
        "local",
        {"type": "tmpfs", "device": "tmpfs"},
        None,
    )
    assert doc["Mountpoint"].endswith("/loose/_data") and doc["CreatedAt"].endswith("Z")
    missing = docker.run("volume", "inspect", "nowhere")
    assert missing.returncode == 1 and "no such volume" in missing.stderr.lower()
    bad = docker.run("volume", "create", "bad/name")
    assert bad.returncode == 1 and "invalid characters for a local volume name" in bad.stderr
    pruned = docker.ok("volume", "prune", "-f")
    assert anonymous in pruned
    names = set(docker.ok("volume", "ls", "-q").split())
    if _api(docker) >= (1, 42):  # named volumes stay unless asked (docker 23+)
        assert {"kept", "loose", unnamed} <= names and anonymous not in names
        docker.ok("volume", "prune", "-af", "--filter", "label=team=a")
        assert "kept" not in docker.ok("volume", "ls", "-q").split()
        docker.ok("volume", "rm", "loose", unnamed)
    else:  # before API 1.42 every unused volume goes
        assert not {"kept", "loose", unnamed, anonymous} & names
    assert (
        docker.ok("volume", "rm", "-f", "gone-already") == "gone-already\n"
    )  # as docker: no error


def _api(docker: Docker) -> tuple[int, int]:
    text = docker.ok("version", "--format", "{{.Client.APIVersion}}").strip()
    major, minor = text.split(".")
    return int(major), int(minor)


def test_named_volumes_binds_and_mounts_in_containers(
    clients: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    docker = clients
    docker.ok("pull", "-q", image)
    cleanup += [("volume", "data"), ("volume", "etc-copy")]
    docker.ok("run", "--rm", "-v", "data:/data", image, "sh", "-c", "echo one > /data/f")
    assert docker.ok("run", "--rm", "-v", "data:/data:ro", image, "cat", "/data/f") == "one\n"
    refused = docker.run("run", "--rm", "-v", "data:/data:ro", image, "touch", "/data/g")
    assert refused.returncode == 1 and "Read-only file system" in refused.stderr
    filled = docker.ok("run", "--rm", "-v", "etc-copy:/etc", image, "cat", "/etc/hostname")
    assert filled.strip()  # an empty volume is filled from the image: its /etc/hostname is there
    (tmp_path / "in").write_text("from the host\n")
    out = docker.ok(
        "run", "--rm", "-v", f"{tmp_path}:/host",
        "--mount", "type=volume,source=data,target=/m,readonly",
        "--mount", f"type=bind,source={tmp_path},target=/b,readonly",
        "--mount", "type=tmpfs,target=/t,tmpfs-size=1m",
        image, "sh", "-c", "cat /host/in /m/f /b/in; echo out > /host/out; df -k /t | tail -1",
    )  # fmt: skip
    lines = out.splitlines()
    assert lines[:3] == ["from the host", "one", "from the host"]
    assert lines[3].split()[:2] == ["tmpfs", "1024"]
    assert (tmp_path / "out").read_text() == "out\n"


def test_inspect_ps_and_rm_know_a_containers_mounts(
    docker: Docker, image: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    docker.ok("pull", "-q", image)
    cleanup.append(("volume", "used"))
    docker.ok(
        "create", "--name", "user", "-v", "used:/data", "-v", f"{tmp_path}:/host:ro", "-v", "/anon",
        "--mount", "type=tmpfs,target=/t,tmpfs-size=1m", image, "true",
    )  # fmt: skip
    doc = json.loads(docker.ok("inspect", "user"))[0]
    mounts = {m["Destination"]: m for m in doc["Mounts"]}
    assert mounts["/data"] | {"Source": ""} == {
        "Type": "volume", "Name": "used", "Source": "", "Destination": "/data",
        "Driver": "local", "Mode": "z", "RW": True, "Propagation": "",
    }  # fmt: skip
    assert (mounts["/host"]["Type"], mounts["/host"]["Source"], mounts["/host"]["RW"]) == (
        "bind",
        str(tmp_path),
        False,
    )
    assert mounts["/t"]["Type"] == "tmpfs" and mounts["/anon"]["Type"] == "volume"
    assert sorted(doc["HostConfig"]["Binds"]) == sorted(["used:/data", f"{tmp_path}:/host:ro"])
    assert doc["HostConfig"]["Mounts"] == [
        {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1048576}}
    ]
    assert docker.ok("ps", "-a", "--filter", "volume=used", "--format", "{{.Names}}") == "user\n"
    in_use = docker.run("volume", "rm", "used")
    assert in_use.returncode == 1 and "volume is in use" in in_use.stderr
    anonymous = mounts["/anon"]["Name"]
    docker.ok("rm", "-v", "user")
    volumes = docker.ok("volume", "ls", "-q").split()
    assert "used" in volumes and anonymous not in volumes  # rm -v: anonymous volumes only
