"""The supervisor's listening sockets for the Docker API front: bound as the front binds them,
and a connection to one is told to the supervisor by SIGIO (while it watches), which its
sigtimedwait loop takes like SIGCHLD."""

from __future__ import annotations

import json
import signal
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.services.supervisor.activation import Sockets


def _sockets(tmp_path: Path, config: dict[str, object]) -> Sockets:
    (tmp_path / "daemon.json").write_text(json.dumps(config))
    state = tmp_path / "state"
    return Sockets(
        [
            "--root",
            str(tmp_path / "root"),
            "--state",
            str(state),
            "--config",
            str(tmp_path / "daemon.json"),
        ]
    )


def _sigio(seconds: float) -> bool:
    return signal.sigtimedwait({signal.SIGIO}, seconds) is not None


@pytest.fixture
def sigio_blocked() -> Iterator[None]:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGIO})
    yield
    while _sigio(0):
        pass
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGIO})


def test_a_connection_is_told_by_sigio_while_watched_and_waits_in_the_backlog(
    tmp_path: Path, sigio_blocked: object
) -> None:
    extra = tmp_path / "extra.sock"
    front = _sockets(tmp_path, {"hosts": [f"unix://{extra}"]})
    assert front.listen()
    path = tmp_path / "state" / "docker.sock"
    try:
        assert stat.S_IMODE(path.stat().st_mode) == 0o660 and extra.is_socket()
        assert len(front.fds()) == 2 and not front.pending()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(extra))
            assert _sigio(5) and front.pending()
        front.watch(False)  # the front runs: its connections are its own business
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(path))
            assert not _sigio(0.2) and front.pending()
    finally:
        front.close()
    assert not path.exists() and not extra.exists()


def test_an_unreadable_config_leaves_the_front_to_start_at_once(tmp_path: Path) -> None:
    front = _sockets(tmp_path, {"hosts": ["ftp://nowhere"]})
    assert not front.listen()
    assert front.fds() == [] and not (tmp_path / "state" / "docker.sock").exists()


@pytest.fixture
def another_thread() -> Iterator[None]:
    """A thread made before SIGIO is blocked (as pytest's and other libraries' are): it does
    not block SIGIO, so a process-directed one could be delivered to it, and kill the process."""
    done = threading.Event()
    thread = threading.Thread(target=done.wait, daemon=True)
    thread.start()
    yield
    done.set()
    thread.join()


def test_the_sigio_reaches_the_watching_thread_whatever_other_threads_there_are(
    tmp_path: Path, another_thread: object, sigio_blocked: object
) -> None:
    front = _sockets(tmp_path, {})
    assert front.listen()
    try:
        for _ in range(5):
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(tmp_path / "state" / "docker.sock"))
                assert _sigio(5)
    finally:
        front.close()
