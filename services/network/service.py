"""The network service as its adapter calls it: the model's work one call at a time in a
worker thread (netlink, nft and namespace work block, and the model is not reentrant), then
the sandbox's DNS server brought in line on the event loop.

A sandbox's removal deletes its links first, outside that one-at-a-time order, each removal
in a thread of its own that ends with it (the removals of many containers overlap in the
kernel, manager.py; an idle service keeps no thread for them). Every call about one container
waits for the one before it (`_container`): a create cannot meet a removal of the same
container half way.

Lifecycle: `start` repairs (repair.startup) and serves DNS for every live sandbox on a user
network; `stop` closes the DNS servers and releases what a clean stop with no container on
a network should (repair.shutdown); the model is closed last.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from dockyard.services.network import repair
from dockyard.services.network.endpoints import EndpointRequest
from dockyard.services.network.manager import Manager, NetworkView, SandboxRequest, SandboxView
from dockyard.services.network.resolvers import Resolvers

T = TypeVar("T")


class NetworkService:
    def __init__(self, manager: Manager) -> None:
        self._m = manager
        self._lock = asyncio.Lock()
        self._containers: dict[str, tuple[asyncio.Lock, int]] = {}  # lock, calls holding it
        self._dns = Resolvers(manager.names, list(manager.config.dns))

    async def _do(self, work: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            return await asyncio.to_thread(work, *args)

    @contextlib.asynccontextmanager
    async def _container(self, container_id: str) -> AsyncIterator[None]:
        """The calls about one container, one at a time (the lock goes with its last user)."""
        lock, users = self._containers.get(container_id, (asyncio.Lock(), 0))
        self._containers[container_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._containers[container_id]
            if users == 1:
                del self._containers[container_id]
            else:
                self._containers[container_id] = (lock, users - 1)

    async def start(self) -> None:
        await self._do(repair.startup, self._m)
        for view in await self.list_sandboxes():
            await self._sync(view)

    async def stop(self) -> None:
        self._dns.close()
        await self._do(repair.shutdown, self._m)

    def close(self) -> None:
        self._m.close()

    # -- sandboxes --------------------------------------------------------------------------

    async def create_sandbox(self, request: SandboxRequest) -> SandboxView:
        async with self._container(request.container_id):
            return await self._sync(await self._do(self._m.create_sandbox, request))

    async def remove_sandbox(self, container_id: str) -> None:
        self._dns.drop(container_id)
        async with self._container(container_id):
            unlinking = await self._do(self._m.unlinking, container_id)
            if unlinking is not None:
                await _in_own_thread(self._m.unlink, unlinking)
            await self._do(self._m.remove_sandbox, container_id)

    async def list_sandboxes(self) -> list[SandboxView]:
        return await self._do(self._m.list_sandboxes)

    async def connect(self, container_id: str, wanted: EndpointRequest) -> SandboxView:
        async with self._container(container_id):
            return await self._sync(await self._do(self._m.connect, container_id, wanted))

    async def disconnect(self, container_id: str, network: str) -> SandboxView:
        async with self._container(container_id):
            return await self._sync(await self._do(self._m.disconnect, container_id, network))

    async def update_hosts(self, container_id: str, name: str, address: str) -> None:
        async with self._container(container_id):
            await self._do(self._m.update_hosts, container_id, name, address)

    async def _sync(self, view: SandboxView) -> SandboxView:
        sandbox = view.sandbox
        dns = list(sandbox.spec.get("dns") or [])
        await self._dns.sync(sandbox.container_id, sandbox.netns_path, view.dns_wanted, dns)
        return view

    # -- networks ---------------------------------------------------------------------------

    async def create_network(self, name: str, driver: str, **fields: Any) -> NetworkView:
        network = await self._do(lambda: self._m.networks.create(name, driver, **fields))
        return NetworkView(network, [])

    async def remove_network(self, ref: str) -> None:
        await self._do(self._m.networks.remove, ref)

    async def get_network(self, ref: str) -> NetworkView:
        return await self._do(lambda: self._m.network_view(self._m.networks.get(ref)))

    async def list_networks(self) -> list[NetworkView]:
        return await self._do(lambda: [self._m.network_view(n) for n in self._m.networks.all()])

    async def prune_networks(self) -> list[str]:
        return await self._do(self._m.networks.prune)


async def _in_own_thread(work: Callable[[T], None], arg: T) -> None:
    """`work(arg)` in a new thread (it mostly waits in the kernel); its exception raised here."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(failure: BaseException | None) -> None:
        if done.cancelled():
            return
        if failure is None:
            done.set_result(None)
        else:
            done.set_exception(failure)

    def run() -> None:
        failure: BaseException | None = None
        try:
            work(arg)
        except BaseException as err:  # noqa: BLE001 - handed to the awaiting coroutine
            failure = err
        loop.call_soon_threadsafe(settle, failure)

    threading.Thread(target=run, name="unlink", daemon=True).start()
    await done
