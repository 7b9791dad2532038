"""The supervisor takes a service for ready once a socket listens on its path, which it reads
in /proc/net/unix without connecting (a connection would wake the Docker API front)."""

from __future__ import annotations

import socket
from pathlib import Path

from dockyard.services.supervisor.supervisor import _listens


def test_a_listening_socket_is_seen_under_any_spelling_of_its_path(tmp_path: Path) -> None:
    path = tmp_path / "service.sock"
    assert not _listens(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(f"//{path}")  # as gRPC binds "unix:///abs/path": "///abs/path"
        assert not _listens(path)  # bound is not yet listening
        sock.listen()
        assert _listens(path)
        assert not _listens(tmp_path / "other.sock")
    assert not _listens(path)  # the file is left, nobody listens


def test_a_connection_to_the_path_is_not_taken_for_a_listener(tmp_path: Path) -> None:
    path = tmp_path / "service.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(path))
            server.close()  # the accepted end (in the backlog) shows the path too
            assert not _listens(path)
