"""The Docker API front's listeners are bound before it builds anything, and it waits for a
first client: a connection ends the wait (and stays in the backlog for aiohttp to accept); a
stop signal ends it too."""

from __future__ import annotations

import os
import signal
import socket
import stat
import threading
from pathlib import Path

import pytest
from dockyard.api import errors
from dockyard.services.dockerapi import activation


def test_a_unix_listener_replaces_a_stale_file_and_is_0660(tmp_path: Path) -> None:
    path = tmp_path / "run" / "docker.sock"
    path.parent.mkdir()
    path.write_text("stale")
    with activation.bind("unix", str(path)) as sock:
        assert stat.S_ISSOCK(path.stat().st_mode)
        assert stat.S_IMODE(path.stat().st_mode) == 0o660
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(path))  # listening already
            activation.wait_for_client([sock])  # returns: a client is waiting
            accepted, _ = sock.accept()  # and it is still there, for aiohttp to take
            accepted.close()


def test_a_tcp_listener_needs_a_port() -> None:
    with pytest.raises(errors.InvalidArgument, match="a port is required"):
        activation.bind("tcp", "127.0.0.1")


def test_a_stop_signal_ends_the_wait_and_the_handlers_are_restored(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGTERM)
    with activation.bind("unix", str(tmp_path / "docker.sock")) as sock:
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        try:
            with pytest.raises(activation.Stopped, match="SIGTERM"):
                activation.wait_for_client([sock])
        finally:
            timer.join()
    assert signal.getsignal(signal.SIGTERM) is before
