"""HostConfig.NetworkMode through the Docker API front, as docker 20.10 shows it: "default"
for a create without one (docker-py and compose leave it out, send "" or "default"), on the
bridge network all the same. The CLI's side is the table (`cases.py`, network-mode-*)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.dockerapi.test_wire import call
from tests.support.engine import Engine

pytestmark = pytest.mark.integration

BODIES: dict[str, dict[str, Any]] = {
    "no-host-config": {},
    "empty-host-config": {"HostConfig": {}},
    "empty-mode": {"HostConfig": {"NetworkMode": ""}},
    "default-mode": {"HostConfig": {"NetworkMode": "default"}},
    "default-endpoint": {
        "HostConfig": {"NetworkMode": "default"},
        "NetworkingConfig": {"EndpointsConfig": {"default": {}}},
    },
    "bridge-mode": {"HostConfig": {"NetworkMode": "bridge"}},
}
SHOWN = {name: "bridge" if name == "bridge-mode" else "default" for name in BODIES}


def api(engine: Engine, method: str, path: str, body: Any = None) -> Any:
    status, _, payload = call(engine, method, f"/v1.41{path}", body)
    assert status < 300, (status, payload)
    return json.loads(payload) if payload else None


def test_a_mode_left_out_shows_default_and_joins_the_bridge(engine: Engine, busybox: str) -> None:
    for name, body in BODIES.items():
        created = {"Image": busybox, "Cmd": ["sleep", "600"], **body}
        api(engine, "POST", f"/containers/create?name=nm-{name}", created)
    api(engine, "POST", "/containers/nm-no-host-config/start")
    for name in BODIES:
        doc = api(engine, "GET", f"/containers/nm-{name}/json")
        assert (doc["HostConfig"]["NetworkMode"], list(doc["NetworkSettings"]["Networks"])) == (
            SHOWN[name],
            ["bridge"],
        ), name
    listed = api(engine, "GET", "/containers/json?all=1")
    assert {c["Names"][0]: c["HostConfig"]["NetworkMode"] for c in listed} == {
        f"/nm-{name}": shown for name, shown in SHOWN.items()
    }
    on_bridge = api(engine, "GET", '/containers/json?all=1&filters={"network":["bridge"]}')
    assert {c["Names"][0] for c in on_bridge} == {f"/nm-{name}" for name in BODIES}
    started = api(engine, "GET", "/containers/nm-no-host-config/json")
    assert started["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    members = api(engine, "GET", "/networks/bridge")["Containers"]
    assert [m["Name"] for m in members.values()] == ["nm-no-host-config"]


def test_the_endpoints_asked_for_are_the_networks_joined(engine: Engine, busybox: str) -> None:
    """With EndpointsConfig (docker-py's networking_config), the container joins those networks
    only, whatever NetworkMode says: dockerd 20.10 adds the mode's network only when none is
    asked for (it joined the bridge too)."""
    engine.ok("network", "create", "nm-net")
    try:
        on_net = {"NetworkingConfig": {"EndpointsConfig": {"nm-net": {}}}}
        for name, mode in (("nm-left-out", {}), ("nm-bridge", {"NetworkMode": "bridge"})):
            body = {"Image": busybox, "Cmd": ["sleep", "600"], "HostConfig": mode, **on_net}
            api(engine, "POST", f"/containers/create?name={name}", body)
            api(engine, "POST", f"/containers/{name}/start")
            doc = api(engine, "GET", f"/containers/{name}/json")
            assert (doc["HostConfig"]["NetworkMode"], list(doc["NetworkSettings"]["Networks"])) == (
                mode.get("NetworkMode", "default"),
                ["nm-net"],
            )
            links = engine.ok("exec", name, "ip", "-o", "-4", "addr").splitlines()
            assert [line.split()[1] for line in links] == ["lo", "eth0"]
        assert api(engine, "GET", "/networks/bridge")["Containers"] == {}
    finally:
        engine.remove_all_containers()
        engine.ok("network", "rm", "nm-net")
