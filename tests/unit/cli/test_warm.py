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


def _connections(path: Path) -> int:
    """Connected sockets the server side holds on `path` (/proc/net/unix, state 03)."""
    lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.endswith(str(path)) and line.split()[5] == "03")


async def test_each_cli_channel_has_a_connection_of_its_own(tmp_path: Path) -> None:
    """A command never takes over another channel's connection to the engine (gRPC shares
    them within a process by default): the spare's, made before an engine restart, may be to
    the engine that died, not yet known to be dead."""
    from dockyard.cli import client

    path = tmp_path / "dockyard.sock"
    server = grpc.aio.server()
    handler = grpc.method_handlers_generic_handler(
        "t.T", {"M": grpc.unary_unary_rpc_method_handler(lambda request, context: b"pong")}
    )
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"unix://{path}")
    await server.start()
    channels = [client.dial(f"unix://{path}") for _ in range(2)]
    try:
        for channel in channels:
            assert await channel.unary_unary("/t.T/M")(b"ping", timeout=10) == b"pong"
        assert _connections(path) == 2
    finally:
        for channel in channels:
            await channel.close()
        await server.stop(None)
