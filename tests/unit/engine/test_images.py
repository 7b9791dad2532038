"""The engine's image verbs over the fakes: removal of an image in use, and events."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine.clients.images import ImportHeader
from dockyard.services.engine.images import Images

from .conftest import Rig


@pytest.fixture
def images(rig: Rig) -> Images:
    return Images(rig.store, rig.clients.images, rig.events)


async def test_an_image_a_container_uses_is_not_removed_unless_forced(
    rig: Rig, images: Images
) -> None:
    await rig.create("user")
    with pytest.raises(errors.FailedPrecondition, match="must force"):
        await images.remove("busybox", force=False)
    removal = await images.remove("busybox", force=True)
    assert removal.untagged == ["busybox:latest"] and len(removal.deleted) == 1


async def test_an_image_a_running_container_uses_is_never_removed(rig: Rig, images: Images) -> None:
    await rig.run("user")
    image = await images.get("busybox")
    with pytest.raises(errors.FailedPrecondition, match="cannot be forced"):
        await images.remove(image.id, force=True)
    removal = await images.remove("busybox", force=True)  # dockerd's: the name alone goes
    assert removal.untagged == ["busybox:latest"] and removal.deleted == []
    assert (await images.get(image.id)).repo_tags == []


async def test_untagging_one_of_several_names_is_allowed(rig: Rig, images: Images) -> None:
    await rig.run("user")
    await images.tag("busybox", "mine")
    removal = await images.remove("mine", force=False)
    assert removal.untagged == ["mine:latest"] and removal.deleted == []


async def test_events(rig: Rig, images: Images) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"tarball"

    imported = await images.import_image(ImportHeader(ref="imported"), chunks())
    await images.tag("imported", "again")
    await images.remove("again", force=False)
    actions = [(e.action, e.actor_id) for e in rig.events.recent() if e.type == "image"]
    assert actions == [
        ("import", imported.id),
        ("tag", imported.id),
        ("untag", "again:latest"),
    ]
