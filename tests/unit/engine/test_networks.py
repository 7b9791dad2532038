"""The engine's network verbs over the fakes: connect, disconnect, remove with users."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine.clients.networks import NetworkSpec
from dockyard.services.engine.model import EndpointSettings, HostConfig
from dockyard.services.engine.networks import Networks

from .conftest import Rig


@pytest.fixture
async def nets(rig: Rig) -> Networks:
    networks = Networks(rig.store, rig.life.locks, rig.clients.network, rig.events)
    await networks.create(NetworkSpec("appnet"))
    return networks


async def test_connect_a_running_container_adds_the_endpoint_at_once(
    rig: Rig, nets: Networks
) -> None:
    container = await rig.run("web")
    await nets.connect("appnet", "web", EndpointSettings("appnet", aliases=["api"]))
    sandbox = rig.network.sandboxes[container.id]
    assert [e.network_name for e in sandbox.endpoints] == ["bridge", "appnet"]
    settings = rig.store.get("web").network_settings.networks
    assert [(s.network, s.ip_address != "") for s in settings] == [
        ("bridge", True),
        ("appnet", True),
    ]
    with pytest.raises(errors.AlreadyExists):
        await nets.connect("appnet", "web", EndpointSettings("appnet"))


async def test_connect_a_stopped_container_joins_at_its_next_start(
    rig: Rig, nets: Networks
) -> None:
    container = await rig.create("later")
    await nets.connect("appnet", "later", EndpointSettings("appnet"))
    assert rig.network.sandboxes == {}
    await rig.life.start("later")
    names = [e.network_name for e in rig.network.sandboxes[container.id].endpoints]
    assert names == ["bridge", "appnet"]


async def test_disconnect(rig: Rig, nets: Networks) -> None:
    container = await rig.run("web")
    await nets.connect("appnet", "web", EndpointSettings("appnet"))
    await nets.disconnect("appnet", "web", force=False)
    assert [e.network_name for e in rig.network.sandboxes[container.id].endpoints] == ["bridge"]
    with pytest.raises(errors.NotFound, match="is not connected"):
        await nets.disconnect("appnet", "web", force=False)


async def test_a_network_with_running_containers_is_not_removed(rig: Rig, nets: Networks) -> None:
    await rig.run("user", HostConfig(network_mode="appnet"))
    with pytest.raises(errors.FailedPrecondition, match=r"has active endpoints$"):
        await nets.remove("appnet")
    await rig.life.remove("user", force=True)
    await nets.remove("appnet")
    assert [n.name for n in await nets.list_networks()] == ["bridge", "host", "none"]


async def test_host_mode_containers_cannot_connect(rig: Rig, nets: Networks) -> None:
    await rig.create("h", HostConfig(network_mode="host"))
    with pytest.raises(errors.FailedPrecondition, match="sharing network namespace"):
        await nets.connect("appnet", "h", EndpointSettings("appnet"))


async def test_events(rig: Rig, nets: Networks) -> None:
    await nets.create(NetworkSpec("other"))
    assert await nets.prune() == ["appnet", "other"]
    network_events = [
        (e.action, e.attributes["name"]) for e in rig.events.recent() if e.type == "network"
    ]
    assert network_events == [
        ("create", "appnet"),
        ("create", "other"),
        ("destroy", "appnet"),
        ("destroy", "other"),
    ]
