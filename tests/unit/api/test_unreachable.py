"""A peer that does not answer is `Unreachable` on the caller's side only: a server that could
not reach the service behind it relays `Unavailable`, so the CLI tells "the engine is down"
from "the engine says a service is down" by class, not by the text of a message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from dockyard.api import bootstrap, errors
from dockyard.api.status import ErrorInterceptor
from dockyard.network.v1 import network_pb2 as pb
from dockyard.network.v1 import network_pb2_grpc as rpc


class Relaying(rpc.NetworksServicer):
    """A server whose own dependency is down."""

    def __init__(self, behind: str) -> None:
        self._behind = behind

    async def ListSandboxes(self, request: Any, context: Any) -> pb.ListSandboxesResponse:
        channel = bootstrap.dial(self._behind, "dockyard-images")
        try:
            await rpc.NetworksStub(channel).ListSandboxes(request, timeout=2)
        finally:
            await channel.close()
        return pb.ListSandboxesResponse()


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[rpc.NetworksStub]:
    server = grpc.aio.server(interceptors=[ErrorInterceptor("engine")])
    rpc.add_NetworksServicer_to_server(Relaying(f"unix://{tmp_path}/gone.sock"), server)
    server.add_insecure_port(f"unix://{tmp_path}/engine.sock")
    await server.start()
    channel = bootstrap.dial(f"unix://{tmp_path}/engine.sock", "dockyardd")
    yield rpc.NetworksStub(channel)
    await channel.close()
    await server.stop(None)


async def test_a_peer_that_does_not_answer_is_unreachable(tmp_path: Path) -> None:
    channel = bootstrap.dial(f"unix://{tmp_path}/absent.sock", "dockyardd")
    with pytest.raises(errors.Unreachable, match="cannot reach dockyardd"):
        await rpc.NetworksStub(channel).ListSandboxes(pb.ListSandboxesRequest(), timeout=2)
    await channel.close()


async def test_a_server_relays_what_it_could_not_reach_as_unavailable(
    relay: rpc.NetworksStub,
) -> None:
    with pytest.raises(errors.Unavailable, match="cannot reach dockyard-images") as raised:
        await relay.ListSandboxes(pb.ListSandboxesRequest(), timeout=10)
    assert type(raised.value) is errors.Unavailable
