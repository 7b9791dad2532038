"""The engine's gRPC API, as this front calls it: one channel to `dockyard.sock`, opened at the
first request (grpc.aio binds a channel to the running loop) and kept; its calls wait for the
engine to be ready (it may be restarting under the supervisor) and raise Dockyard's errors.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dockyard.api import errors
from dockyard.api.bootstrap import dial_service
from dockyard.api.paths import Paths
from dockyard.engine.v1 import engine_pb2_grpc

CALL_SECONDS = 120.0  # a unary call (stop waits up to the container's stop timeout)
"""How long a unary call may take; streams have no deadline (they end with the client)."""
READY_SECONDS = 15.0
"""How long a request waits for an engine that is not answering (restarting, say) before it
is answered 503: a client hangs no longer than that when the engine is down for good."""


class Engine:
    def __init__(self, paths: Paths) -> None:
        self._paths = paths
        self._channel: Any = None
        self.containers: Any = None
        self.images: Any = None
        self.networks: Any = None
        self.system: Any = None
        self.volumes: Any = None
        self.builds: Any = None

    def connect(self) -> None:
        """Open the channel (inside the loop, at the first request)."""
        if self._channel is not None:
            return
        self._channel = dial_service(self._paths, "engine")
        self.containers = engine_pb2_grpc.ContainersStub(self._channel)
        self.images = engine_pb2_grpc.ImagesStub(self._channel)
        self.networks = engine_pb2_grpc.NetworksStub(self._channel)
        self.system = engine_pb2_grpc.SystemStub(self._channel)
        self.volumes = engine_pb2_grpc.VolumesStub(self._channel)
        self.builds = engine_pb2_grpc.BuildsStub(self._channel)

    async def ready(self) -> None:
        """Return once the engine answers; Unavailable after READY_SECONDS."""
        self.connect()
        try:
            await asyncio.wait_for(self._channel.channel_ready(), READY_SECONDS)
        except TimeoutError:
            raise errors.Unavailable(
                f"the Dockyard engine at {self._paths.address('engine')} is not answering"
            ) from None

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


UNARY = {"timeout": CALL_SECONDS, "wait_for_ready": True}
"""Keyword arguments of a unary call."""
STREAM = {"timeout": None, "wait_for_ready": True}
"""Keyword arguments of a streaming call."""
