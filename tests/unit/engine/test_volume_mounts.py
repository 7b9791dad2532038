"""The engine mounts a container's volumes through the volumes service at each start and lets
them go at each exit, failed start and removal; start-up repair lets go of the volumes of the
containers that no longer run (over the fakes; the real mounts: tests/integration/volumes/
test_shared_mounts.py)."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine.clients.fakes.volumes import FakeVolumes
from dockyard.services.engine.model import HostConfig

from .conftest import Rig, eventually

WITH_VOLUME = HostConfig(binds=["shared:/data"])


def holders(rig: Rig) -> set[str]:
    assert isinstance(rig.clients.volumes, FakeVolumes)
    return rig.clients.volumes.holders.get("shared", set())


async def test_a_volume_is_held_while_its_container_runs(rig: Rig) -> None:
    one = await rig.run("one", WITH_VOLUME)
    two = await rig.run("two", WITH_VOLUME)
    assert holders(rig) == {one.id, two.id}
    rig.tasks.exit(one.id, 0)
    await eventually(lambda: holders(rig) == {two.id})
    await rig.life.remove(two.id, force=True)
    assert holders(rig) == set()


async def test_a_failed_start_lets_go_of_the_volumes(rig: Rig) -> None:
    container = await rig.create("broken", WITH_VOLUME)
    rig.faults.fail("tasks.create", errors.Internal("runtime broke"))
    with pytest.raises(errors.Internal):
        await rig.life.start(container.id)
    assert holders(rig) == set()


async def test_repair_lets_go_of_the_volumes_of_containers_not_running(rig: Rig) -> None:
    alive = await rig.run("alive", WITH_VOLUME)
    dead = await rig.create("dead", WITH_VOLUME)
    await rig.clients.volumes.mount("shared", dead.id)  # an engine that died mid-start
    await rig.life.repair.run()
    assert holders(rig) == {alive.id}
