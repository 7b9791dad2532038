"""Removing sandboxes: the removals of several containers overlap in the kernel, one
container's calls keep their order, and a crash half way leaves nothing after a restart."""

from __future__ import annotations

import asyncio
import threading

import pytest
from dockyard.api.errors import NotFound
from dockyard.services.network.service import NetworkService
from dockyard.services.network.store import Port

from tests.unit.network.fakes import World

A, B = "a" * 64, "b" * 64
WAIT_SECONDS = 10.0


class Held:
    """The fake kernel's deletion of one link blocks until `release` (as a veth deletion
    waits in the kernel)."""

    def __init__(self, world: World, link: str) -> None:
        self.reached = threading.Event()
        self._go = threading.Event()
        delete = world.links.delete_link

        def delete_link(name: str) -> None:
            if name == link:
                self.reached.set()
                assert self._go.wait(WAIT_SECONDS), "never released"
            delete(name)

        world.links.delete_link = delete_link  # type: ignore[method-assign]

    def release(self) -> None:
        self._go.set()


@pytest.fixture
def service(world: World) -> NetworkService:
    return NetworkService(world.manager)


def veth(world: World, cid: str) -> str:
    return world.manager.store.endpoints(cid)[0].host_ifname


async def test_a_removal_waits_for_no_other_containers_links(
    world: World, service: NetworkService
) -> None:
    world.run(A)
    world.run(B)
    held = Held(world, veth(world, A))
    first = asyncio.create_task(service.remove_sandbox(A))
    assert await asyncio.to_thread(held.reached.wait, WAIT_SECONDS)
    try:  # A's veth is still being deleted: B's removal goes by all the same
        await asyncio.wait_for(service.remove_sandbox(B), WAIT_SECONDS)
    finally:
        held.release()
    await first
    for cid in (A, B):
        with pytest.raises(NotFound):
            world.manager.sandboxes.get(cid)
        assert world.manager.store.endpoints(cid) == []
    assert not world.links.links_named(world.manager.tag.veth_prefix)


async def test_a_create_waits_for_the_removal_of_the_same_container(
    world: World, service: NetworkService
) -> None:
    world.run(A)
    old = veth(world, A)
    held = Held(world, old)
    removal = asyncio.create_task(service.remove_sandbox(A))
    assert await asyncio.to_thread(held.reached.wait, WAIT_SECONDS)
    request = world.request(A)
    create = asyncio.create_task(service.create_sandbox(request))
    await asyncio.sleep(0.05)  # a create that did not wait would be done by now (fakes)
    assert not create.done()
    held.release()
    await removal
    view = await asyncio.wait_for(create, WAIT_SECONDS)
    assert world.manager.sandboxes.whole(view.sandbox)
    assert veth(world, A) != old and old not in world.links.links


def test_a_crash_once_the_links_are_gone_leaves_nothing_after_a_restart(world: World) -> None:
    address = world.run(A, ports=[Port("", "tcp", "", 0, 80)]).endpoints[0][0].address
    unlinking = world.manager.unlinking(A)
    assert unlinking is not None
    world.manager.unlink(unlinking)  # the process dies here: its records are all still there
    manager = world.restart()
    with pytest.raises(NotFound):
        manager.sandboxes.get(A)
    assert manager.store.endpoints(A) == [] and manager.store.ports(A) == []
    assert world.forwards() == {} and not world.netns(A).exists()
    assert world.run(B).endpoints[0][0].address == address  # the lease is free again


def test_a_sandbox_made_and_removed_reads_no_whole_table_of_containers(world: World) -> None:
    """Each statement about one container's sandbox, endpoints and ports finds its rows by an
    index, so that a removal costs the same beside 2,000 running containers (issue 17)."""
    world.run(B, ports=[Port("", "tcp", "", 0, 81)])
    db = world.manager.store.db
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    world.run(A, ports=[Port("", "tcp", "", 0, 80)])
    world.manager.remove_sandbox(A)
    db.set_trace_callback(None)
    plans = {
        sql: str(db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    }
    scans = [sql for sql, plan in plans.items() if "SCAN" in plan and "FROM networks" not in sql]
    assert len(plans) >= 8 and not scans, scans
