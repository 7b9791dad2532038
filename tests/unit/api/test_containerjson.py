"""Container inspect's JSON against docker 20.10's (issue 15 item 6): the same keys, in the same
order, with the same kinds of values, for containers alike on both sides.

docker_20_10_inspect.json holds `docker inspect` of five containers, recorded from a dockerd
20.10.24 (the busybox rootfs of tests/support/rootfs.py imported as busybox:latest):

    running          run -d busybox sleep 600
    created          create busybox true
    exited-on-a-user-network   run -p 127.0.0.1:18081:80 --expose 90 --network pnet -e A=1
                     -l k=v busybox sh -c 'exit 3'
    host-network     run --network host busybox true
    no-network-privileged-init-tmpfs   run --network none --init --tmpfs /t --privileged …
                     (the start failed on this host; the record is what counts)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dockyard.api import containerjson
from dockyard.engine.v1 import engine_pb2 as pb

RECORDED = json.loads((Path(__file__).parent / "docker_20_10_inspect.json").read_text())
# maps whose keys are data (names, ports, paths), not docker's schema
MAPS = {"Labels", "ExposedPorts", "PortBindings", "Ports", "Networks", "Tmpfs", "Config", "Data"}
MASKED = ["/proc/asound", "/proc/kcore"]


def shape(value: Any, key: str = "") -> Any:
    """The schema of a JSON value: its keys in order (a map's as "*"), value kinds, nulls."""
    if isinstance(value, dict):
        if key in MAPS and not (key == "Config" and "Hostname" in value):
            return {"*": sorted({json.dumps(shape(v)) for v in value.values()})} if value else {}
        return [(k, shape(v, k)) for k, v in value.items()]
    if isinstance(value, list):  # a list of objects: their keys; of strings: just a list
        objects = [v for v in value if isinstance(v, dict)]
        return ["list", sorted({json.dumps(shape(v)) for v in objects})] if objects else "list"
    return type(value).__name__


def container(status: str, network: str = "bridge") -> pb.Container:
    c = pb.Container(id="ab" * 32, name="web", path="sleep", args=["600"], image="sha256:1")
    c.created.FromSeconds(1_700_000_000)
    c.driver, c.platform = "overlayfs", "linux"
    c.config.hostname, c.config.image = "abababababab", "busybox"
    c.config.cmd.values.extend(["sleep", "600"])
    c.config.entrypoint.SetInParent()  # as the engine keeps it: present, and empty
    c.state.status = status
    c.state.running = status == "running"
    if status != "created":
        c.state.started_at.FromSeconds(1_700_000_001)
    if status == "exited":
        c.state.finished_at.FromSeconds(1_700_000_002)
    h = c.host_config
    h.network_mode, h.runtime, h.log_config.type = network, "dockyard", "json-file"
    h.masked_paths.extend(MASKED)
    h.readonly_paths.extend(["/proc/bus"])
    c.graph_driver.update({"LowerDir": "/l", "UpperDir": "/u", "WorkDir": "/w"})
    if network not in ("host", "none"):
        c.network_settings.networks.add(network=network)
    return c


def running() -> pb.Container:
    c = container("running")
    c.state.pid = 42
    c.sandbox_key = "/run/dockyard/network/netns/x"
    e = c.network_settings.networks[0]
    e.network_id, e.endpoint_id, e.gateway = "n" * 64, "e" * 64, "10.0.0.1"
    e.ip_address, e.ip_prefix_len, e.mac_address = "10.0.0.2", 24, "02:42:0a:00:00:02"
    return c


def exited_on_a_user_network() -> pb.Container:
    c = container("exited", "pnet")
    c.state.exit_code = 3
    c.config.env.append("A=1")
    c.config.labels["k"] = "v"
    c.config.exposed_ports.extend(["80/tcp", "90/tcp"])
    c.host_config.port_bindings.add(container_port="80/tcp", host_ip="127.0.0.1", host_port="1")
    c.network_settings.networks[0].network_id = "n" * 64
    return c


def privileged() -> pb.Container:
    c = container("created", "none")
    c.host_config.privileged = True
    c.host_config.init = True
    c.host_config.tmpfs["/t"] = ""
    del c.host_config.masked_paths[:]
    del c.host_config.readonly_paths[:]
    c.host_config.security_opt.append("label=disable")
    return c


CASES = {
    "running": running,
    "created": lambda: container("created"),
    "exited-on-a-user-network": exited_on_a_user_network,
    "host-network": lambda: container("exited", "host"),
    "no-network-privileged-init-tmpfs": privileged,
}


@pytest.mark.parametrize("name", list(CASES))
def test_inspect_has_docker_20_10s_keys_in_its_order(name: str) -> None:
    ours = containerjson.inspect(CASES[name]())
    assert shape(ours) == shape(RECORDED[name])


def test_values_where_docker_writes_its_defaults() -> None:
    doc = containerjson.inspect(running())
    host = doc["HostConfig"]
    assert (host["LogConfig"]["Config"], host["Ulimits"], host["BlkioWeightDevice"]) == (
        {},
        None,
        [],
    )
    assert (host["ShmSize"], host["IpcMode"], host["RestartPolicy"]["Name"]) == (
        64 * 1024 * 1024,
        "private",
        "no",
    )
    assert host["MaskedPaths"] == MASKED and "Init" not in host
    settings = doc["NetworkSettings"]  # the default bridge's address is also at the top
    assert (settings["IPAddress"], settings["IPPrefixLen"], settings["Gateway"]) == (
        "10.0.0.2",
        24,
        "10.0.0.1",
    )
    assert settings["EndpointID"] == "e" * 64 and settings["SandboxID"]


def test_a_user_network_lists_the_short_id_among_aliases_before_api_1_45() -> None:
    c = exited_on_a_user_network()
    assert containerjson.inspect(c)["NetworkSettings"]["Networks"]["pnet"]["Aliases"] == [
        "abababababab"
    ]
    newer = containerjson.inspect(c, (1, 47))
    assert newer["NetworkSettings"]["Networks"]["pnet"]["Aliases"] is None
    assert "KernelMemory" not in newer["HostConfig"] and newer["HostConfig"]["Ulimits"] == []


def test_sizes_where_docker_puts_them_and_only_when_measured() -> None:
    c = running()
    assert "SizeRw" not in containerjson.inspect(c) and "SizeRw" not in containerjson.summary(c)
    c.size_rw, c.size_root_fs = 0, 1_240_000
    keys = list(containerjson.inspect(c))
    assert keys[keys.index("GraphDriver") + 1 : keys.index("Mounts")] == ["SizeRw", "SizeRootFs"]
    assert containerjson.inspect(c)["SizeRw"] == 0  # a pointer in docker's: shown when zero
    listed = containerjson.summary(c)  # omitempty int64s in docker's: a zero is left out
    keys = list(listed)
    assert keys[keys.index("Ports") + 1 : keys.index("Labels")] == ["SizeRootFs"]
    c.size_rw = 1_048_576
    assert (containerjson.summary(c)["SizeRw"], listed["SizeRootFs"]) == (1_048_576, 1_240_000)
