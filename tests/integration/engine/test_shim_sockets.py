"""Bad bytes on the shim's and the zygote's sockets cost that connection, never a container
(issue 8, item 7): a zero-length frame, a frame that is not a request, an oversized header, and
a half-written request left open on the zygote's socket while others start containers."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.api import framing
from dockyard.api.paths import Paths
from dockyard.runtime.shim.v1 import shim_pb2 as pb

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

SLEEP = ("sleep", "600")


@contextlib.contextmanager
def connected(path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    try:
        sock.connect(str(path))
        yield sock
    finally:
        sock.close()


def responses(sock: socket.socket, stream: int) -> list[pb.Response]:
    """The responses on `stream` until it ends (or the shim closes the connection)."""
    decoder, out = framing.Decoder(), []
    while data := sock.recv(65536):
        for frame in decoder.feed(data):
            if frame.stream != stream:
                continue
            if frame.payload:
                response = pb.Response()
                response.ParseFromString(frame.payload)
                out.append(response)
            if frame.end:
                return out
    return out


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def shim_socket(engine: Engine, cid: str) -> Path:
    return Paths(engine.root, engine.state).shim_socket(cid)


def test_bad_frames_cost_their_connection_only(engine: Engine, busybox: str) -> None:
    cid = engine.ok("run", "-d", busybox, *SLEEP).strip()
    path = shim_socket(engine, cid)
    with connected(path) as half, connected(path) as sock:
        half.sendall(framing.HEADER.pack(100, 9, 0) + b"part of a frame")  # and never the rest
        sock.sendall(framing.encode(1, b""))  # a zero-length frame: an empty request
        (refused,) = responses(sock, 1)
        assert refused.error.kind == "InvalidArgument", refused
        sock.sendall(framing.encode(3, pb.Request(state=pb.Empty()).SerializeToString()))
        (state,) = responses(sock, 3)
        assert state.state.status == "running"  # the same connection goes on
    with connected(path) as garbage:
        garbage.sendall(framing.encode(5, b"\xff\xff\xff\xff"))  # not a protobuf message
        assert closed_by_peer(garbage)
    with connected(path) as oversized:
        oversized.sendall(framing.HEADER.pack(framing.MAX_FRAME + 1, 7, 0))
        assert closed_by_peer(oversized)
    assert engine.ok("exec", cid, "echo", "still here") == "still here\n"
    assert engine.ok("inspect", "-f", "{{.State.Status}}", cid).strip() == "running"
    engine.ok("rm", "-f", cid)


def test_a_half_written_request_to_the_zygote_holds_up_no_one(engine: Engine, busybox: str) -> None:
    zygote = engine.state / "runtime" / "zygote.sock"
    assert zygote.exists()
    with connected(zygote) as stalled, connected(zygote) as bad:
        stalled.sendall(b'{"id": "half a requ')
        bad.sendall(b"[1, 2]\n")  # JSON, but not a request
        assert bad.recv(4096).startswith(b"TypeError") or closed_by_peer(bad)
        cid = engine.ok("run", "-d", busybox, *SLEEP).strip()
        bundle = engine.state / "runtime" / "tasks" / cid
        shim = int((bundle / "shim.pid").read_text())
        # forked by the zygote (its command line), not exec'd after the runtime gave up on it
        assert "dockyard.shim.zygote" in Path(f"/proc/{shim}/cmdline").read_text()
        assert engine.ok("exec", cid, "echo", "ok") == "ok\n"
    engine.ok("rm", "-f", cid)


def test_the_zygote_refuses_what_is_not_a_request(engine: Engine) -> None:
    zygote = engine.state / "runtime" / "zygote.sock"
    with connected(zygote) as sock:
        sock.sendall(json.dumps({"id": 5, "bundle": [], "socket": None}).encode() + b"\n")
        reply = sock.recv(4096).decode()
    assert reply.startswith("ValueError") and reply.endswith("\n")
