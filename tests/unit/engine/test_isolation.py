"""--ipc/--pid/--uts/--sysctl/--device/--shm-size/--group-add: what the engine checks (in
docker's words) and what the spec gets, over the fakes (issue 15 item 3)."""

from __future__ import annotations

import os

import pytest
from dockyard.api import errors
from dockyard.services.engine import isolation
from dockyard.services.engine.isolation import Joined
from dockyard.services.engine.model import DeviceMapping, HostConfig

from .conftest import Rig


@pytest.mark.parametrize(
    "host,hostname,said",
    [
        (HostConfig(ipc_mode="bogus"), "", "Invalid IPC mode: bogus"),
        (HostConfig(pid_mode="bogus"), "", "invalid PID mode: bogus"),
        (HostConfig(uts_mode="host"), "box", "conflicting options: hostname and the UTS mode"),
        (HostConfig(sysctls={"kernel.foo": "1"}), "", "is not in a separate kernel namespace"),
        (
            HostConfig(network_mode="host", sysctls={"net.ipv4.ip_forward": "1"}),
            "",
            'sysctl "net.ipv4.ip_forward" not allowed in host network namespace',
        ),
        (
            HostConfig(ipc_mode="host", sysctls={"kernel.shmmax": "1"}),
            "",
            'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace',
        ),
        (HostConfig(shm_size=-1), "", "SHM size can not be less than 0"),
        (
            HostConfig(devices=[DeviceMapping("/dev/null", "/x", "rq")]),
            "",
            "invalid device mapping",
        ),
        (
            HostConfig(devices=[DeviceMapping("/dev/null", "x", "r")]),
            "",
            "invalid device mapping",
        ),
        (HostConfig(group_add=["2147483648"]), "", "uids and gids must be in range 0-2147483647"),
    ],
)
def test_what_docker_refuses_is_refused_in_its_words(
    host: HostConfig, hostname: str, said: str
) -> None:
    with pytest.raises(errors.InvalidArgument, match=said):
        isolation.check(host, hostname)


def test_namespaces_as_the_modes_ask() -> None:
    def types(host: HostConfig, joined: Joined | None = None) -> list[str]:
        spaces = isolation.namespaces(host, "/run/netns/c", joined or Joined())
        return [s["type"] + (f"@{s['path']}" if "path" in s else "") for s in spaces]

    default = ["pid", "ipc", "uts", "mount", "cgroup", "network@/run/netns/c"]
    assert types(HostConfig()) == default
    assert types(HostConfig(pid_mode="host", ipc_mode="host", uts_mode="host")) == [
        "mount",
        "cgroup",
        "network@/run/netns/c",
    ]
    joined = Joined(ipc="/proc/7/ns/ipc", pid="/proc/7/ns/pid")
    assert types(HostConfig(pid_mode="container:x", ipc_mode="container:x"), joined)[:2] == [
        "pid@/proc/7/ns/pid",
        "ipc@/proc/7/ns/ipc",
    ]


def test_shm_is_64_mib_unless_asked_and_the_hosts_with_ipc_host() -> None:
    assert "size=67108864" in isolation.shm_mount(HostConfig())["options"]
    assert "size=1048576" in isolation.shm_mount(HostConfig(shm_size=1 << 20))["options"]
    host_shm = isolation.shm_mount(HostConfig(ipc_mode="host"))
    assert (host_shm["type"], host_shm["source"]) == ("bind", "/dev/shm")


def test_a_device_is_a_node_to_make_and_a_rule_for_just_its_access() -> None:
    info = os.stat("/dev/null")
    nodes, rules = isolation.devices([DeviceMapping("/dev/null", "/dev/xnull", "r")])
    assert nodes == [
        {
            "path": "/dev/xnull",
            "type": "c",
            "major": 1,
            "minor": 3,
            "fileMode": 0o666,
            "uid": info.st_uid,
            "gid": info.st_gid,
        }
    ]
    assert rules == [{"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"}]
    with pytest.raises(errors.NotFound, match='custom device "/dev/nosuch": no such file'):
        isolation.devices([DeviceMapping("/dev/nosuch")])
    with pytest.raises(errors.InvalidArgument, match="not a device node"):
        isolation.devices([DeviceMapping("/etc/hostname")])


async def test_the_spec_carries_modes_sysctls_devices_and_groups(rig: Rig) -> None:
    host = HostConfig(
        uts_mode="host",
        shm_size=1 << 20,
        sysctls={"net.ipv4.ip_forward": "1"},
        devices=[DeviceMapping("/dev/null", "/dev/xnull", "rw")],
        group_add=["10", "wheel"],
    )
    container = await rig.run("flags", host)
    spec = rig.tasks.tasks[container.id].spec.spec
    assert "uts" not in [n["type"] for n in spec["linux"]["namespaces"]]
    assert spec["linux"]["sysctl"] == {"net.ipv4.ip_forward": "1"}
    assert spec["linux"]["devices"][0]["path"] == "/dev/xnull"
    assert spec["linux"]["resources"]["devices"][-1]["access"] == "rw"
    assert spec["process"]["user"]["additionalGids"] == [10]
    assert spec["annotations"][isolation.GROUPS_ANNOTATION] == "wheel"
    shm = next(m for m in spec["mounts"] if m["destination"] == "/dev/shm")
    assert "size=1048576" in shm["options"]


async def test_joining_another_containers_pid_and_ipc(rig: Rig) -> None:
    donor = await rig.run("donor", HostConfig(ipc_mode="shareable"))
    joiner = await rig.run(
        "joiner", HostConfig(ipc_mode="container:donor", pid_mode="container:donor")
    )
    record = rig.store.get("joiner").host_config
    assert (record.ipc_mode, record.pid_mode) == (f"container:{donor.id}",) * 2
    spaces = rig.tasks.tasks[joiner.id].spec.spec["linux"]["namespaces"]
    pid = rig.store.get("donor").state.pid
    assert {"type": "pid", "path": f"/proc/{pid}/ns/pid"} in spaces
    assert {"type": "ipc", "path": f"/proc/{pid}/ns/ipc"} in spaces


async def test_a_donor_must_run_and_share_its_ipc(rig: Rig) -> None:
    donor = await rig.run("private-donor")
    with pytest.raises(errors.FailedPrecondition, match="non-shareable IPC"):
        await rig.run("j1", HostConfig(ipc_mode="container:private-donor"))
    rig.tasks.exit(donor.id, 0)
    await rig.life.remove("j1", force=True)
    stopped = await rig.create("j2", HostConfig(pid_mode="container:private-donor"))
    from .conftest import eventually

    await eventually(lambda: not rig.store.get("private-donor").running)
    with pytest.raises(errors.FailedPrecondition, match="cannot join PID of a non running"):
        await rig.life.start(stopped.id)
