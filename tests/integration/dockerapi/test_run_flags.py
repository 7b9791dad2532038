"""run's namespace, device and shm flags sent by the real docker CLI through docker.sock
(HostConfig's ShmSize, Sysctls, GroupAdd, Devices, IpcMode, PidMode, UTSMode, ContainerIDFile):
each shows in a real container as with `dockyard run`."""

from __future__ import annotations

import secrets
import socket
import time
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration


def test_shm_sysctl_groups_and_a_device(docker: Docker, image: str, tmp_path: Path) -> None:
    docker.ok("pull", "-q", image)
    cidfile = tmp_path / "cid"
    script = (
        "df -k /dev/shm | tail -1 | awk '{print $2}'; cat /proc/sys/kernel/shmmni; id -G; "
        "stat -c %t:%T /dev/xnull"
    )
    out = docker.ok(
        "run", "--cidfile", str(cidfile), "--shm-size", "1m", "--sysctl", "kernel.shmmni=1234",
        "--group-add", "10", "--device", "/dev/null:/dev/xnull:r", image, "sh", "-c", script,
    )  # fmt: skip
    assert out == "1024\n1234\n0 10\n1:3\n"
    cid = cidfile.read_text()
    shown = "{{.HostConfig.ShmSize}} {{.HostConfig.Sysctls}} {{.HostConfig.ContainerIDFile}}"
    assert docker.ok("inspect", "-f", shown, cid) == (
        f"1048576 map[kernel.shmmni:1234] {cidfile}\n"
    )
    docker.ok("rm", cid)
    refused = docker.run(
        "run", "--rm", "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", image, "true"
    )  # the client lets it through; the engine refuses it as dockerd does
    assert refused.returncode == 125
    assert "not allowed in host network namespace" in refused.stderr


def test_shared_ipc_and_pid_and_the_hosts_uts(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    donor = ["sh", "-c", "echo hi > /dev/shm/d && touch /dev/mqueue/shared && exec sleep 602"]
    docker.ok("run", "-d", "--name", "api-donor", "--ipc", "shareable", image, *donor)
    try:
        deadline = time.monotonic() + 30
        while "shared" not in docker.ok("exec", "api-donor", "ls", "/dev/mqueue"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        joined = docker.ok(
            "run", "--rm", "--ipc", "container:api-donor", "--pid", "container:api-donor",
            image, "sh", "-c", "ls /dev/mqueue; cat /dev/shm/d; ps -o args | grep -c '^sleep 602'",
        )  # fmt: skip
        assert joined == "shared\nhi\n1\n"
        assert docker.ok("run", "--rm", "--uts", "host", image, "hostname") == (
            f"{socket.gethostname()}\n"
        )
    finally:
        docker.run("rm", "-f", "api-donor")


def test_a_cgroup_parent_places_the_container(docker: Docker, image: str) -> None:
    """HostConfig.CgroupParent: the container's cgroup is PARENT/<id> (the real
    /proc/<pid>/cgroup), its -m limit there, and inspect shows the parent as given."""
    if not Path("/sys/fs/cgroup/memory").is_dir():
        pytest.skip("no cgroup v1 memory controller on this host")
    docker.ok("pull", "-q", image)
    top = f"cgp-api-{secrets.token_hex(4)}"
    root = Path("/sys/fs/cgroup")
    docker.engine.watch_cgroups(*(d / top for d in root.iterdir() if d.is_dir()))
    parent = f"/{top}/../{top}/inner"  # cleaned as runc cleans it: /<top>/inner
    cid = docker.ok("run", "-d", "--cgroup-parent", parent, "-m", "32m", image, "sleep", "600")
    cid = cid.strip()
    pid = docker.ok("inspect", "-f", "{{.State.Pid}}", cid).strip()
    lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    assert any(line.endswith(f":memory:/{top}/inner/{cid}") for line in lines), lines
    limit = root / "memory" / top / "inner" / cid / "memory.limit_in_bytes"
    assert int(limit.read_text()) == 32 << 20
    assert docker.ok("inspect", "-f", "{{.HostConfig.CgroupParent}}", cid) == f"{parent}\n"
    docker.ok("rm", "-f", cid)
    assert not limit.parent.exists()
