"""Errors cross a real gRPC boundary (a UNIX socket) and come back as the same class."""

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


class Raising(rpc.NetworksServicer):
    async def RemoveSandbox(self, request: pb.RemoveSandboxRequest, context: Any) -> Any:
        raise errors.CommandNotFound(f"no such sandbox: {request.container_id}")

    async def CreateSandbox(self, request: pb.CreateSandboxRequest, context: Any) -> pb.Sandbox:
        raise KeyError("a bug")

    async def ListSandboxes(self, request: Any, context: Any) -> pb.ListSandboxesResponse:
        return pb.ListSandboxesResponse(sandboxes=[pb.Sandbox(container_id="a")])


@pytest.fixture
async def stub(tmp_path: Path) -> AsyncIterator[rpc.NetworksStub]:
    server = grpc.aio.server(interceptors=[ErrorInterceptor("network")])
    rpc.add_NetworksServicer_to_server(Raising(), server)
    address = f"unix://{tmp_path}/n.sock"
    server.add_insecure_port(address)
    await server.start()
    channel = bootstrap.dial(address, "dockyard-network")
    yield rpc.NetworksStub(channel)
    await channel.close()
    await server.stop(0)


async def test_the_raised_class_comes_back(stub: rpc.NetworksStub) -> None:
    with pytest.raises(errors.CommandNotFound, match="no such sandbox: x"):
        await stub.RemoveSandbox(pb.RemoveSandboxRequest(container_id="x"))


async def test_a_bug_comes_back_as_internal(stub: rpc.NetworksStub, caplog: Any) -> None:
    with pytest.raises(errors.Internal, match="KeyError"):
        await stub.CreateSandbox(pb.CreateSandboxRequest())
    assert "CreateSandbox failed" in caplog.text


async def test_success_passes_through(stub: rpc.NetworksStub) -> None:
    reply = await stub.ListSandboxes(pb.ListSandboxesRequest())
    assert [s.container_id for s in reply.sandboxes] == ["a"]


async def test_a_missing_socket_is_unavailable(tmp_path: Path) -> None:
    channel = bootstrap.dial(f"unix://{tmp_path}/absent.sock", "dockyard-network")
    with pytest.raises(errors.Unavailable, match="cannot reach dockyard-network"):
        await rpc.NetworksStub(channel).ListSandboxes(pb.ListSandboxesRequest(), timeout=2)
    await channel.close()
