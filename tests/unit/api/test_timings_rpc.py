"""Timings cross real gRPC boundaries (UNIX sockets): a front asked for them records its
phases, asks the service it calls for theirs, and returns both in its trailing metadata."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from dockyard.api import bootstrap, errors, timings
from dockyard.api.status import ErrorInterceptor
from dockyard.api.timings_rpc import TimingsInterceptor
from dockyard.network.v1 import network_pb2 as pb
from dockyard.network.v1 import network_pb2_grpc as rpc

ASK = ((timings.HEADER, timings.ASKED),)


class Back(rpc.NetworksServicer):
    """The service called last: one phase per call."""

    async def ListSandboxes(self, request: Any, context: Any) -> pb.ListSandboxesResponse:
        with timings.phase("network.list"):
            return pb.ListSandboxesResponse()


class Front(rpc.NetworksServicer):
    """The service the client calls: its phases, the back's, and one recorded too late."""

    def __init__(self, back: rpc.NetworksStub) -> None:
        self.back = back
        self.late: asyncio.Task[None] | None = None

    async def ListSandboxes(self, request: Any, context: Any) -> pb.ListSandboxesResponse:
        with timings.phase("engine.list"):
            await self.back.ListSandboxes(pb.ListSandboxesRequest())
        self.late = asyncio.create_task(self._after_the_reply())
        return pb.ListSandboxesResponse(sandboxes=[pb.Sandbox(container_id="a")])

    async def RemoveSandbox(self, request: Any, context: Any) -> Any:
        with timings.phase("engine.remove"):
            raise errors.NotFound("no such sandbox")

    async def _after_the_reply(self) -> None:
        await asyncio.sleep(0.05)
        with timings.phase("engine.late"):
            pass


async def _serve(servicer: rpc.NetworksServicer, address: str) -> grpc.aio.Server:
    server = grpc.aio.server(interceptors=[TimingsInterceptor(), ErrorInterceptor("x")])
    rpc.add_NetworksServicer_to_server(servicer, server)
    server.add_insecure_port(address)
    await server.start()
    return server


@pytest.fixture
async def front(tmp_path: Path) -> AsyncIterator[tuple[Front, rpc.NetworksStub]]:
    back = await _serve(Back(), f"unix://{tmp_path}/back.sock")
    to_back = bootstrap.dial(f"unix://{tmp_path}/back.sock", "back")
    servicer = Front(rpc.NetworksStub(to_back))
    server = await _serve(servicer, f"unix://{tmp_path}/front.sock")
    channel = grpc.aio.insecure_channel(f"unix://{tmp_path}/front.sock")
    yield servicer, rpc.NetworksStub(channel)
    await channel.close()
    await to_back.close()
    await server.stop(0)
    await back.stop(0)


def _phases(trailing: Any) -> list[str]:
    return [p.name for k, v in trailing or () if k == timings.HEADER for p in timings.decode(v)]


async def test_phases_of_every_service_come_back(front: tuple[Front, rpc.NetworksStub]) -> None:
    servicer, stub = front
    call = stub.ListSandboxes(pb.ListSandboxesRequest(), metadata=ASK)
    assert [s.container_id for s in (await call).sandboxes] == ["a"]
    assert _phases(await call.trailing_metadata()) == ["network.list", "engine.list"]
    assert servicer.late is not None
    await servicer.late  # recorded after the reply: the request's phases are closed
    assert timings.current() is None


async def test_nothing_is_recorded_or_sent_unasked(front: tuple[Front, rpc.NetworksStub]) -> None:
    _, stub = front
    call = stub.ListSandboxes(pb.ListSandboxesRequest())
    await call
    assert _phases(await call.trailing_metadata()) == []


async def test_a_failed_call_keeps_its_error(front: tuple[Front, rpc.NetworksStub]) -> None:
    _, stub = front
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.RemoveSandbox(pb.RemoveSandboxRequest(container_id="x"), metadata=ASK)
    assert failed.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_recorder_closes_with_its_request() -> None:
    with timings.recording() as recorder:
        with timings.phase("a"):
            pass
        assert timings.current() is recorder
    recorder.add("b", 0, 1)
    assert [p.name for p in recorder.phases] == ["a"] and timings.current() is None
