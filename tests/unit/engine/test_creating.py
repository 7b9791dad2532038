"""Creating a container over the fakes: the record, its layer, and the undo of each step."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine.clients.fakes.images import make_image
from dockyard.services.engine.clients.images import ImageConfig
from dockyard.services.engine.model import (
    ContainerConfig,
    EndpointSettings,
    HostConfig,
    LogConfig,
    RestartPolicy,
)

from .conftest import Rig


async def test_create_records_the_container_over_its_images_layers(rig: Rig) -> None:
    image = rig.images.add(
        make_image("web", ImageConfig(cmd=["httpd"], env=["A=1"], exposed_ports=["80/tcp"])), "web"
    )
    container = await rig.life.creator.create("web1", ContainerConfig(image="web"), HostConfig())
    assert rig.store.get("web1").id == container.id
    assert (container.path, container.config.env) == ("httpd", ["A=1"])
    assert rig.snapshots.active == {container.id: image.chain_id}
    assert container.graph_driver["UpperDir"] == f"/fake/snapshots/{container.id}/fs"
    assert (rig.root / "containers" / container.id).is_dir()
    assert [e.network for e in container.network_settings.networks] == ["bridge"]
    assert rig.actions() == ["create"]


async def test_a_taken_name_is_refused_before_anything_is_made(rig: Rig) -> None:
    await rig.create("one")
    with pytest.raises(errors.AlreadyExists, match='name "/one" is already in use'):
        await rig.create("one")
    assert len(rig.snapshots.active) == 1


@pytest.mark.parametrize("step", ["images.get", "network.get_network", "snapshots.prepare"])
async def test_a_failed_create_leaves_nothing_behind(rig: Rig, step: str) -> None:
    rig.faults.fail(step, errors.Unavailable(f"{step} is down"))
    with pytest.raises(errors.Unavailable):
        await rig.create("doomed")
    assert rig.leftovers() == []
    assert rig.actions() == []


async def test_a_failure_after_the_layer_is_made_removes_the_layer(rig: Rig) -> None:
    (rig.root / "containers").write_text("not a directory")  # the container's dir cannot be made
    with pytest.raises(NotADirectoryError):
        await rig.create("doomed")
    assert rig.snapshots.active == {}
    assert rig.store.list() == []


async def test_bad_host_settings_are_refused_before_anything_is_made(rig: Rig) -> None:
    always = RestartPolicy(name="always")
    for host, message in (
        (HostConfig(runtime="nope"), "unknown or invalid runtime"),
        (HostConfig(restart_policy=always, auto_remove=True), "both --restart and --rm"),
        (HostConfig(log_config=LogConfig(type="syslog")), 'driver "syslog" is not supported'),
    ):
        with pytest.raises(errors.InvalidArgument, match=message):
            await rig.create("bad", host)
    with pytest.raises(errors.InvalidArgument, match="cannot be connected to host"):
        await rig.life.creator.create(
            "bad",
            ContainerConfig(image="busybox"),
            HostConfig(network_mode="host"),
            [EndpointSettings(network="bridge")],
        )
    with pytest.raises(errors.NotFound):
        await rig.create("bad", HostConfig(network_mode="nosuchnet"))
    assert rig.leftovers() == []


async def test_a_host_network_endpoint_makes_host_mode(rig: Rig) -> None:
    container = await rig.create("h", HostConfig(network_mode="host"))
    assert container.host_config.network_mode == "host"
    assert container.network_settings.networks == [EndpointSettings(network="host")]


async def test_an_image_whose_layers_are_gone_is_unpacked_again(rig: Rig) -> None:
    image = await rig.images.get("busybox")
    rig.snapshots.committed.discard(image.chain_id)  # e.g. the snapshots were wiped
    container = await rig.create("again")
    assert rig.snapshots.active == {container.id: image.chain_id}
    assert rig.faults.ops().count("images.unpack") == 1


async def test_concurrent_creates_never_pick_the_same_name(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generated (or given) name is held from its check until its record is written: two
    creates at once drew the same one, and the second failed with a name conflict (20
    concurrent `run -d` did, from 4,588 names)."""
    import asyncio
    import secrets

    from dockyard.services.engine import names

    monkeypatch.setattr(secrets, "choice", lambda seq: seq[0])  # every draw the same name
    prepare = rig.snapshots.prepare

    async def slow_prepare(key: str, parent: str) -> object:
        await asyncio.sleep(0.01)  # as the real service's is: the other create runs meanwhile
        return await prepare(key, parent)

    monkeypatch.setattr(rig.snapshots, "prepare", slow_prepare)
    config = ContainerConfig(image="busybox")
    made = await asyncio.gather(*(rig.life.creator.create("", config, HostConfig()) for _ in "ab"))
    first = f"{names.ADJECTIVES[0]}_{names.NOUNS[0]}"
    assert made[0].name == first and made[1].name.startswith(first) and made[1].name != first
    both = [rig.life.creator.create("same", config, HostConfig()) for _ in "ab"]
    done = await asyncio.gather(*both, return_exceptions=True)
    assert done[0].name == "same" and isinstance(done[1], errors.AlreadyExists)  # type: ignore[union-attr]
    assert f'in use by container "{done[0].id}"' in str(done[1])  # type: ignore[union-attr]
    assert sorted(c.name for c in rig.store.list()) == sorted([first, made[1].name, "same"])
