"""The launcher's own logic without a server: finding the server, framing, exit codes."""

from __future__ import annotations

import marshal
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from dockyard.cli import entrypoint, forked, launcher


@pytest.mark.parametrize(
    "args,host,verb",
    [
        (["ps", "-a"], None, "ps"),
        (["-H", "unix:///x/dockyard.sock", "run", "-H", "y"], "unix:///x/dockyard.sock", "run"),
        (["--host", "/x/d.sock", "version"], "/x/d.sock", "version"),
        (["--host=/x/d.sock", "version"], "/x/d.sock", "version"),
        (["-H/x/d.sock", "daemon", "start"], "/x/d.sock", "daemon"),
        (["--help"], None, ""),
        (["-H"], None, ""),
        ([], None, ""),
    ],
)
def test_global_host_and_verb(args: list[str], host: str | None, verb: str) -> None:
    assert launcher.global_host(args) == (host, verb)


@pytest.mark.parametrize(
    "args,env,path",
    [
        ([], {}, "/run/dockyard/cli.sock"),
        ([], {"DOCKYARD_HOST": "unix:///tmp/e/state/dockyard.sock"}, "/tmp/e/state/cli.sock"),
        (["-H", "unix:/a/b.sock"], {"DOCKYARD_HOST": "unix:///c/d.sock"}, "/a/cli.sock"),
        (["-H", "/a/b.sock", "ps"], {}, "/a/cli.sock"),
        (["-H", "rel.sock", "ps"], {}, "./cli.sock"),
        (["-H", "tcp://127.0.0.1:2375", "ps"], {}, None),
    ],
)
def test_the_server_socket_sits_beside_the_engines(
    args: list[str], env: dict[str, str], path: str | None
) -> None:
    assert launcher.server_path(args, env) == path


def test_frames_carry_json_and_the_three_fds() -> None:
    left, right = socket.socketpair()
    with left, right:
        read, write = os.pipe()
        message = {"argv": ["dockyard", "ps"], "env": {"A": "\udcff"}, "umask": 0o22}
        launcher.send_frame(left, message, [read, write, 0])
        launcher.send_frame(left, {"signal": 2})
        data, fds, _, _ = socket.recv_fds(right, 65536, 3)
        buffer = bytearray(data)
        assert launcher.split_frames(buffer) == [message]
        buffer += right.recv(100)  # data after fds never arrives in the same read
        assert launcher.split_frames(buffer) == [{"signal": 2}]
        assert not buffer and len(fds) == 3
        os.write(fds[1], b"through the passed fd")
        assert os.read(read, 100) == b"through the passed fd"
        for fd in (read, write, *fds):
            os.close(fd)


def test_a_partial_frame_waits_and_a_bad_one_is_refused() -> None:
    data = marshal.dumps({"exit": 0})
    buffer = bytearray(struct.pack(">I", len(data)) + data[:-2])
    assert launcher.split_frames(buffer) == []
    buffer += data[-2:]
    assert launcher.split_frames(buffer) == [{"exit": 0}]
    for bad in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x02zz", b"\x00\x00\x00\x02\xe9\x00"):
        with pytest.raises(ValueError):
            launcher.split_frames(bytearray(bad))


@pytest.mark.parametrize("code,expected", [(None, 0), (0, 0), (3, 3), (256 + 7, 7), (-1, 255)])
def test_exit_codes_as_the_interpreter_makes_them(code: object, expected: int) -> None:
    assert forked._exit_code(code) == expected


def test_a_text_exit_is_printed_and_gives_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert forked._exit_code("dockyard: bad") == 1
    assert capsys.readouterr().err == "dockyard: bad\n"


def test_a_command_that_ended_before_the_request_was_sent_is_not_run_again() -> None:
    """A quick command can run, end and be reaped (the server closing the connection) before
    the client's send returns: the client must read the child's frames that are already there,
    not take the failed send for 'nothing ran' and run the command again in-process."""
    client, server = socket.socketpair()
    pidfd = os.pidfd_open(os.getpid())
    try:
        launcher.send_frame(server, {"pid": os.getpid()}, [pidfd])
        launcher.send_frame(server, {"exit": 3})
        launcher.send_frame(server, {"exit": 3, "reaped": True})
        server.close()  # the server has dropped the connection: sending now gets EPIPE
        remote = launcher.Remote(client)
        try:
            assert remote.start({"argv": ["dockyard", "cp", "/a"], "env": {"X": "y" * 65536}})
            assert remote.pidfd >= 0
        finally:
            for signum, handler in remote.previous.items():  # the start caught them for us
                signal.signal(signum, handler)
    finally:
        os.close(pidfd)
        client.close()


def test_the_server_reads_the_c_clients_bytes_as_python_reads_its_own() -> None:
    assert launcher.text(b"a\xff\xc3\xa9") == "a\udcff\u00e9" == os.fsdecode(b"a\xff\xc3\xa9")
    assert launcher.text("as is") == "as is"


@pytest.mark.parametrize(
    "first,word",
    [
        ({"exit": 3}, {"exit": 3}),  # the child's own: no wait for the server's reap
        ({"killed": 2, "reaped": True}, {"killed": 2, "reaped": True}),  # only the server knows
    ],
)
def test_the_client_ends_on_the_first_word_of_the_childs_end(
    first: dict[str, object], word: dict[str, object]
) -> None:
    client, server = socketpair_with_timeout()
    pidfd = os.pidfd_open(os.getpid())
    try:
        launcher.send_frame(server, {"pid": os.getpid()}, [pidfd])
        launcher.send_frame(server, first)
        remote = launcher.Remote(client)
        try:
            assert remote.start({"argv": ["dockyard", "version"]})
        finally:
            for signum, handler in remote.previous.items():
                signal.signal(signum, handler)
        assert remote.ended() == word  # the server's end still open: no end of stream
    finally:
        os.close(pidfd)
        client.close()
        server.close()


def socketpair_with_timeout() -> tuple[socket.socket, socket.socket]:
    client, server = socket.socketpair()
    client.settimeout(5)  # a client that waits for more fails the test instead of hanging
    return client, server


needs_cc = pytest.mark.skipif(entrypoint.compiler() is None, reason="no C compiler")


@needs_cc
def test_the_c_client_builds_without_a_warning(tmp_path: Path) -> None:
    entrypoint.build(tmp_path / "dockyard", sys.executable, flags=("-Werror", "-std=gnu11"))
    assert os.access(tmp_path / "dockyard", os.X_OK)


@needs_cc
def test_the_c_client_runs_a_command_in_process_through_launcher_py(tmp_path: Path) -> None:
    """No server (DOCKYARD_NO_SERVER): it execs the in-process runner of the launcher.py it was
    built for, in a directory of any bytes, and the command is named by argv[0]."""
    where = tmp_path / os.fsdecode(b'any "dir\\ \xff ??=')
    where.mkdir()
    shutil.copy(launcher.__file__, where / "launcher.py")
    command = tmp_path / "dockyard"
    entrypoint.build(command, sys.executable, str(where / "launcher.py"))
    env = {**os.environ, "DOCKYARD_NO_SERVER": "1"}
    done = subprocess.run([command, "--help"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.startswith("Usage: dockyard [OPTIONS]")
    done = subprocess.run([command, "no-such-verb"], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stderr) == (
        1,
        "dockyard: 'no-such-verb' is not a dockyard command.\nSee 'dockyard --help'\n",
    )


def test_without_a_compiler_the_command_is_the_python_script(tmp_path: Path) -> None:
    env = {**os.environ, "CC": "/nonexistent/cc"}
    done = subprocess.run(
        [sys.executable, "-m", "dockyard.cli.entrypoint", str(tmp_path / "dockyard")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0 and "python -IS script instead" in done.stderr
    assert (tmp_path / "dockyard").read_text().startswith(f"#!{sys.executable} -IS\n")
