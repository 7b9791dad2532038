"""The network service's gRPC adapter (dockyard.network.v1.Networks)."""

from __future__ import annotations

import asyncio
from typing import Any

from dockyard.network.v1 import network_pb2 as pb
from dockyard.network.v1 import network_pb2_grpc
from dockyard.services.network.sandboxes import Sandbox, Sandboxes
from google.protobuf import empty_pb2

Context = Any


class NetworksServicer(network_pb2_grpc.NetworksServicer):
    def __init__(self, sandboxes: Sandboxes) -> None:
        self._sandboxes = sandboxes
        self._lock = asyncio.Lock()  # namespace set-up runs in a thread: one at a time

    async def CreateSandbox(self, request: pb.CreateSandboxRequest, context: Context) -> pb.Sandbox:
        async with self._lock:
            sandbox = await asyncio.to_thread(
                self._sandboxes.create, request.container_id, request.mode, request.hostname
            )
        return _sandbox(sandbox)

    async def RemoveSandbox(
        self, request: pb.RemoveSandboxRequest, context: Context
    ) -> empty_pb2.Empty:
        async with self._lock:
            await asyncio.to_thread(self._sandboxes.remove, request.container_id)
        return empty_pb2.Empty()

    async def GetSandbox(self, request: pb.GetSandboxRequest, context: Context) -> pb.Sandbox:
        return _sandbox(self._sandboxes.get(request.container_id))

    async def ListSandboxes(
        self, request: pb.ListSandboxesRequest, context: Context
    ) -> pb.ListSandboxesResponse:
        return pb.ListSandboxesResponse(sandboxes=[_sandbox(s) for s in self._sandboxes.list()])


def _sandbox(sandbox: Sandbox) -> pb.Sandbox:
    return pb.Sandbox(
        container_id=sandbox.container_id,
        mode=sandbox.mode,
        netns_path=sandbox.netns_path,
        hosts_path=str(sandbox.hosts),
        resolv_conf_path=str(sandbox.resolv_conf),
        hostname_path=str(sandbox.hostname),
    )
