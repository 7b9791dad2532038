"""The spare's warm channel is used only while it still goes to the engine the command means:
the same address, the same socket (an engine restarted since has bound a new one), connected."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from dockyard.cli import engine


async def test_a_warm_channel_is_dropped_once_the_socket_is_another(tmp_path: Path) -> None:
    path = tmp_path / "dockyard.sock"
    address = f"unix://{path}"
    first = grpc.aio.server()
    first.add_insecure_port(address)
    await first.start()
    dialled = engine.socket_identity(address)
    loop = asyncio.get_running_loop()
    kept = grpc.aio.insecure_channel(address)
    stale = grpc.aio.insecure_channel(address)
    second = grpc.aio.server()
    try:
        for channel in (kept, stale):
            await asyncio.wait_for(channel.channel_ready(), 10)
        assert await engine.Warm(loop, kept, address, dialled).take_channel(address) is kept
        path.unlink()  # a new engine binds the path: the first one's connections still stand
        second.add_insecure_port(address)
        await second.start()
        assert stale.get_state() == grpc.ChannelConnectivity.READY
        warm = engine.Warm(loop, stale, address, dialled)
        assert await warm.take_channel(address) is None
        assert stale.get_state() == grpc.ChannelConnectivity.SHUTDOWN  # closed, not leaked
        assert engine.socket_identity(address) != dialled
        assert engine.socket_identity(f"unix://{tmp_path / 'none.sock'}") is None
    finally:
        await kept.close()
        await first.stop(None)
        await second.stop(None)
