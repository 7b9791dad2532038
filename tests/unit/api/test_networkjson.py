"""Networks' JSON against docker 20.10's, recorded from dockerd 20.10.24
(`docker network inspect bridge rec-net host`: its default bridge, a network made with
`network create --subnet 10.213.70.0/24 --label x=y rec-net`, and host)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockyard.api.networkjson import network_json
from dockyard.network.v1 import network_pb2 as pb

RECORDED = {
    n["Name"]: n
    for n in json.loads((Path(__file__).parent / "docker_20_10_networks.json").read_text())
}


def ours(name: str, driver: str, **fields: Any) -> dict[str, Any]:
    message = pb.Network(id=RECORDED[name]["Id"], name=name, driver=driver, scope="local", **fields)
    message.created.FromJsonString(RECORDED[name]["Created"])
    return network_json(message)


def test_a_user_network_reads_as_docker_s() -> None:
    doc = ours(
        "rec-net", "bridge", subnet="10.213.70.0/24", gateway="10.213.70.1", labels={"x": "y"}
    )
    recorded = RECORDED["rec-net"]
    # docker writes the gateway into IPAM.Config only when it chose it or was given one
    assert doc["IPAM"]["Config"] == [{"Subnet": "10.213.70.0/24", "Gateway": "10.213.70.1"}]
    doc["IPAM"]["Config"] = recorded["IPAM"]["Config"]
    assert doc == recorded


def test_the_default_bridge_carries_docker0_s_options_naming_its_own_bridge() -> None:
    doc = ours(
        "bridge", "bridge", subnet="172.17.0.0/16", gateway="172.17.0.1", interface="docker0"
    )
    recorded = RECORDED["bridge"]
    masquerade = "com.docker.network.bridge.enable_ip_masquerade"
    assert doc["Options"][masquerade] == "true"  # dockerd's default (the recording ran without)
    doc["Options"][masquerade] = recorded["Options"][masquerade]
    doc["IPAM"]["Config"] = recorded["IPAM"]["Config"]
    assert doc == recorded


def test_host_has_no_address_management() -> None:
    assert ours("host", "host") == RECORDED["host"]
