"""The `dockyard` launcher against a real engine's command server: a command run by a forked
child of the server ends exactly as it would in-process (output, errors, exit codes, stdin,
signals), and the client runs it in-process when no server answers or the server is stale.

Every test runs with both clients deploy/install.sh may install as `dockyard`: the C one
(launcher.c) and the `python -IS` script. Every comparison runs the same command both ways:
through the server, and in-process (DOCKYARD_NO_SERVER=1).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockyard.cli import entrypoint, launcher

from tests.support.engine import Engine
from tests.support.terminals import read_until, until_shown

pytestmark = pytest.mark.integration

WAIT = 30.0


@pytest.fixture(scope="module", params=["c", "python"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "c" and entrypoint.compiler() is None:
        pytest.skip("no C compiler")
    return str(request.param)


@pytest.fixture(scope="module")
def dockyard(kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The `dockyard` command of this installation, as `kind` (the C client or the script)."""
    return make_client(kind, tmp_path_factory.mktemp("bin") / "dockyard")


def make_client(kind: str, path: Path, launcher_py: str = "") -> str:
    if kind == "c":
        entrypoint.build(path, sys.executable, launcher_py)
    else:
        entrypoint.write(path, sys.executable)
        if launcher_py:  # the script of an installation whose launcher.py is that file
            text = path.read_text().replace(
                repr(os.path.dirname(entrypoint.launcher_path())),
                repr(os.path.dirname(launcher_py)),
            )
            path.write_text(text)
    return str(path)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate()  # and close its pipes


def run(
    command: str, engine: Engine, *args: str, in_process: bool = False, data: bytes = b""
) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "DOCKYARD_NO_SERVER": "1"} if in_process else None
    done = subprocess.run(
        [command, "-H", engine.host, *args], input=data, capture_output=True, env=env, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start_events(
    command: str, engine: Engine, started: list[subprocess.Popen[bytes]], **env: str
) -> subprocess.Popen[bytes]:
    """`dockyard events`: a command that runs until it is signalled. In a process group of its
    own, as a shell's job: pytest's may be orphaned (a CI runner whose parent left), and the
    kernel discards the SIGTSTP a process of an orphaned group sends itself."""
    process = subprocess.Popen(
        [command, "-H", engine.host, "events"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
        process_group=0,
    )
    started.append(process)
    return process


def the_child(engine: Engine, client: subprocess.Popen[bytes]) -> int:
    """The command server's child that runs `client`'s command: its stdout is the client's
    (the server's other child is its spare, waiting for the next command)."""
    server = engine.service_pid("cli")
    wait_for(lambda: commands_of(server, client), "the command server's child")
    (pid,) = commands_of(server, client)
    return pid


def commands_of(server: int, client: subprocess.Popen[bytes]) -> list[int]:
    assert client.stdout is not None
    pipe = os.fstat(client.stdout.fileno())
    found = []
    for pid in children(server):
        try:
            out = os.stat(f"/proc/{pid}/fd/1")
        except OSError:  # gone, or no fd 1
            continue
        if (out.st_dev, out.st_ino) == (pipe.st_dev, pipe.st_ino):
            found.append(pid)
    return found


def holds_pipes_of(pid: int, client: subprocess.Popen[bytes]) -> bool:
    """Whether `pid` has an fd of one of `client`'s pipes (its stdin, stdout, stderr)."""
    pipes = set()
    for stream in (client.stdin, client.stdout, client.stderr):
        if stream is not None:
            info = os.fstat(stream.fileno())
            pipes.add((info.st_dev, info.st_ino))
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            info = os.stat(fd)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in pipes:
            return True
    return False


def grpc_loaded(pid: int) -> bool:
    return "cygrpc" in Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize(
    "args,data",
    [
        (["version", "-f", "{{.Client.Version}} {{.Server.Version}}"], b""),
        (["inspect", "no-such-container"], b""),
        (["no-such-verb"], b""),
        (["--help"], b""),
        (["run", "--help"], b""),
        (["run", "--rm", "IMAGE", "sh", "-c", "echo out; echo err >&2; exit 7"], b""),
        (["run", "--rm", "IMAGE", "no-such-command"], b""),
        (["run", "--rm", "-i", "IMAGE", "sh", "-c", "wc -c; cat /etc/hostname >/dev/null"], b""),
        (["run", "--rm", "-i", "IMAGE", "md5sum"], bytes(range(256)) * 4096),
    ],
)
def test_a_command_ends_as_it_does_in_process(
    engine: Engine, busybox: str, dockyard: str, args: list[str], data: bytes
) -> None:
    args = [busybox if a == "IMAGE" else a for a in args]
    through_server = run(dockyard, engine, *args, data=data)
    in_process = run(dockyard, engine, *args, data=data, in_process=True)
    assert through_server == in_process


def test_non_utf8_arguments_environment_and_cwd_reach_the_command_as_in_process(
    engine: Engine, busybox: str, dockyard: str, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8 in argv (an --env-file path), the environment (DOCKER_CONFIG)
    and the working directory mean the same files through the server as in-process."""
    odd = tmp_path / os.fsdecode(b"dir \xff")
    config = odd / "config.json"
    odd.mkdir()
    env = {**os.environ, "DOCKER_CONFIG": str(odd)}
    for extra in ({}, {"DOCKYARD_NO_SERVER": "1"}):
        config.write_text('{"auths": {"reg.example": {"auth": "eDp5"}}}')
        done = subprocess.run(
            [dockyard, "-H", engine.host, "logout", "reg.example"],
            capture_output=True,
            env={**env, **extra},
        )
        assert (done.returncode, done.stdout) == (
            0,
            b"Removing login credentials for reg.example\n",
        )
        assert "reg.example" not in config.read_text()
        env_file = os.fsdecode(b"env \xfe")
        (odd / env_file).write_text("X=from the file\n")
        run = [dockyard, "-H", engine.host, "run", "--rm", "--env-file", env_file, busybox]
        done = subprocess.run(
            [*run, "sh", "-c", 'echo "$X"'],
            capture_output=True,
            env={**env, **extra},
            cwd=odd,
        )
        assert (done.returncode, done.stdout, done.stderr) == (0, b"from the file\n", b"")


def test_the_child_has_the_clients_fds_cwd_and_umask(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    tmp_path = tmp_path / os.fsdecode(b"not utf-8 \xff")  # a working directory of any bytes
    tmp_path.mkdir()
    old = os.umask(0o027)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        client = start_events(dockyard, engine, started)
    finally:
        os.chdir(cwd)
        os.umask(old)
    child = the_child(engine, client)
    assert Path(f"/proc/{child}/cwd").resolve() == tmp_path.resolve()
    assert "Umask:\t0027" in Path(f"/proc/{child}/status").read_text()
    for fd in (1, 2):  # the very pipes we read
        assert os.readlink(f"/proc/{child}/fd/{fd}") == os.readlink(f"/proc/{client.pid}/fd/{fd}")
    assert not grpc_loaded(client.pid)  # the client stayed small


def test_the_command_sees_the_clients_environment(engine: Engine, dockyard: str) -> None:
    env = {**os.environ, "DOCKYARD_HOST": engine.host, "COLUMNS": "1"}
    done = subprocess.run([dockyard, "ps", "--format", "{{.Names}}"], capture_output=True, env=env)
    assert (done.returncode, done.stderr) == (0, b"")
    env.pop("DOCKYARD_HOST")
    env["DOCKYARD_HOST"] = f"unix://{engine.state}/no-such.sock"  # same server, other engine
    done = subprocess.run([dockyard, "ps"], capture_output=True, env=env, text=True)
    assert done.returncode == 1 and "no-such.sock" in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_reach_the_command_and_end_it_as_in_process(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]], signum: int
) -> None:
    codes = []
    for in_process in (False, True):
        env = {"DOCKYARD_NO_SERVER": "1"} if in_process else {}
        client = start_events(dockyard, engine, started, **env)
        if in_process:
            wait_for(lambda: grpc_loaded(client.pid), "the CLI to load")  # noqa: B023
        else:
            child = the_child(engine, client)
            wait_for(lambda: grpc_loaded(child), "the child to dial")  # noqa: B023
        time.sleep(0.3)  # into the events stream (no event marks that moment)
        client.send_signal(signum)
        codes.append(client.wait(timeout=WAIT))
        if not in_process:
            wait_for(lambda: not Path(f"/proc/{child}").exists(), "the child to be reaped")  # noqa: B023
    assert codes[0] == codes[1]


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_ctrl_z_stops_the_command_and_fg_continues_it(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    client = start_events(dockyard, engine, started)
    child = the_child(engine, client)
    wait_for(lambda: grpc_loaded(child), "the child to dial")
    client.send_signal(signal.SIGTSTP)
    wait_for(lambda: state(child) == "T" and state(client.pid) == "T", "both to stop")
    client.send_signal(signal.SIGCONT)
    wait_for(lambda: state(child) != "T" and state(client.pid) != "T", "both to continue")
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130


@pytest.mark.parametrize("in_process", [False, True])
def test_a_sigint_taken_by_another_thread_ends_the_command(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]], in_process: bool
) -> None:
    """The kernel gives a process's signal to any thread not blocking it: after a stop and a
    continue (Ctrl-Z, fg), often one of gRPC's, while the main thread sleeps in the event loop.
    The command still ends, at once."""
    env = {"DOCKYARD_NO_SERVER": "1"} if in_process else {}
    client = start_events(dockyard, engine, started, **env)
    command = client.pid if in_process else the_child(engine, client)
    wait_for(lambda: grpc_loaded(command), "the command to dial")
    time.sleep(0.3)  # into the events stream (no event marks that moment)
    main = Path(f"/proc/{command}/task/{command}")
    wait_for(lambda: (main / "wchan").read_text() == "do_epoll_wait", "the loop to sleep")
    other = next(
        int(task.name)
        for task in Path(f"/proc/{command}/task").iterdir()
        if (task / "comm").read_text().startswith(("grpc", "event_engine"))
    )
    tgkill = ctypes.CDLL(None, use_errno=True).tgkill
    assert tgkill(command, other, signal.SIGINT) == 0, os.strerror(ctypes.get_errno())
    assert client.wait(timeout=WAIT) == 130


def test_the_client_ends_on_the_childs_own_word_without_waiting_for_the_reap(
    engine: Engine, busybox: str, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    """The child says its exit code as it ends: the client ends then, even while the server
    (which would reap the child and say it too) cannot (stopped here)."""
    client = subprocess.Popen(
        [dockyard, "-H", engine.host, "run", "--rm", "-i", busybox, "sh", "-c", "read x; exit 3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    started.append(client)
    child = the_child(engine, client)
    server = engine.service_pid("cli")
    # the server closes its copies of the client's fds just after the child took them: stopped
    # before that, it would hold the pipes open and no reader would see their end
    wait_for(lambda: not holds_pipes_of(server, client), "the server to let go of the fds")
    os.kill(server, signal.SIGSTOP)
    try:
        out, err = client.communicate(b"line\n", timeout=WAIT)
    finally:
        os.kill(server, signal.SIGCONT)
    assert (client.returncode, out, err) == (3, b"", b"")
    wait_for(lambda: not Path(f"/proc/{child}").exists(), "the server to reap the child")


def test_a_closed_stdin_runs_the_command_in_process(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    """fd 0 closed: nothing to pass to a child, so the client runs the command itself."""
    client = subprocess.Popen(
        [dockyard, "-H", engine.host, "events"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(0),  # fd 0 closed before the exec
    )
    started.append(client)
    wait_for(lambda: grpc_loaded(client.pid), "the CLI to load in-process")
    assert not commands_of(engine.service_pid("cli"), client)
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130


def test_a_client_that_dies_takes_its_command_with_it(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    client = start_events(dockyard, engine, started)
    child = the_child(engine, client)
    client.kill()
    client.wait()
    wait_for(lambda: not Path(f"/proc/{child}").exists(), "the child to end")


def test_a_command_outlives_a_restart_of_the_command_server(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    """kill -9 of the server: the running command goes on, is still signalled through the
    pidfd its child sent, and its exit code still comes (from the child itself)."""
    server = engine.service_pid("cli")
    client = start_events(dockyard, engine, started)
    child = the_child(engine, client)
    wait_for(lambda: grpc_loaded(child), "the child to dial")
    os.kill(server, signal.SIGKILL)

    def restarted() -> bool:
        cli = engine.status()["services"]["cli"]  # type: ignore[index]
        return bool(cli["pid"] != server and cli["state"] == "running")

    wait_for(restarted, "the supervisor to start a fresh command server")
    assert client.poll() is None and Path(f"/proc/{child}").exists()
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130


def test_stdin_ignored_signals_stay_ignored(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    """`nohup dockyard ...`: SIGHUP ignored by the client is ignored by its command too."""
    client = subprocess.Popen(
        ["nohup", dockyard, "-H", engine.host, "events"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    started.append(client)
    child = the_child(engine, client)
    client.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert client.poll() is None and Path(f"/proc/{child}").exists()
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130


def test_without_a_server_the_command_runs_in_process(dockyard: str, tmp_path: Path) -> None:
    missing = f"unix://{tmp_path}/dockyard.sock"
    done = subprocess.run([dockyard, "-H", missing, "ps"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == (
        f"Cannot connect to the Dockyard daemon at {missing}. Is the dockyard daemon running?\n"
    )
    assert subprocess.run([dockyard, "-H", missing, "--help"], capture_output=True).returncode == 0
    status = subprocess.run(
        [dockyard, "daemon", "status", "--state", str(tmp_path), "--root", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert (status.returncode, status.stdout) == (3, "dockyard daemon is not running\n")  # LSB


def test_a_server_of_another_installation_is_not_used(
    engine: Engine, kind: str, started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    other = tmp_path / "launcher.py"
    shutil.copy(launcher.__file__, other)
    command = make_client(kind, tmp_path / "dockyard", str(other))
    client = subprocess.Popen(
        [command, "-H", engine.host, "events"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    started.append(client)
    wait_for(lambda: grpc_loaded(client.pid), "the CLI to load in-process")
    assert not commands_of(engine.service_pid("cli"), client)
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130


def test_code_changed_on_disk_makes_the_server_stale_and_restart(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    from dockyard.cli import render

    server = engine.service_pid("cli")
    stamp = os.stat(render.__file__)
    os.utime(render.__file__, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    client = start_events(dockyard, engine, started)
    wait_for(lambda: grpc_loaded(client.pid), "the CLI to load in-process")
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130

    def restarted() -> bool:
        cli = engine.status()["services"]["cli"]  # type: ignore[index]
        return bool(cli["pid"] != server and cli["state"] == "running")

    wait_for(restarted, "the supervisor to start a fresh command server")
    the_child(engine, start_events(dockyard, engine, started))


def spares_of(server: int) -> list[int]:
    """The command server's children waiting, ready, for a command (spare.py names them)."""
    found = []
    for pid in children(server):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "dockyard-spare":
                found.append(pid)
        except OSError:
            continue
    return found


def ready_spare(engine: Engine, dockyard: str) -> int:
    """The spare, once one waits ready (the command before it forked it)."""
    assert run(dockyard, engine, "version", "-f", "{{.Server.Version}}")[0] == 0
    server = engine.service_pid("cli")
    wait_for(lambda: spares_of(server), "a spare child")
    (spare,) = spares_of(server)
    return spare


def spare_ran_it(spare: int) -> None:
    """The spare ran the command: it ends (the client ends on the child's own word, maybe
    before the server has reaped it); one that was not handed it would wait on for SPARE_IDLE."""
    wait_for(lambda: not Path(f"/proc/{spare}").exists(), "the spare to end")


def test_a_command_runs_in_the_spare_forked_ahead_and_another_comes(
    engine: Engine, dockyard: str, started: list[subprocess.Popen[bytes]]
) -> None:
    spare = ready_spare(engine, dockyard)
    client = start_events(dockyard, engine, started)
    assert the_child(engine, client) == spare  # no fork: the command runs in the spare
    server = engine.service_pid("cli")
    wait_for(lambda: spares_of(server), "the next spare")
    assert spares_of(server) != [spare]
    assert Path(f"/proc/{spare}/comm").read_text().strip() != "dockyard-spare"
    client.send_signal(signal.SIGINT)
    assert client.wait(timeout=WAIT) == 130


def test_a_spare_that_dialled_the_engine_before_it_restarted_still_serves(
    engine: Engine, dockyard: str
) -> None:
    """Its channel went down with the engine (kill -9): the command dials the new one."""
    spare = ready_spare(engine, dockyard)
    killed = engine.service_pid("engine")
    os.kill(killed, signal.SIGKILL)

    def restarted() -> bool:
        now = engine.status()["services"]["engine"]  # type: ignore[index]
        return bool(now["pid"] != killed and now["state"] == "running")

    wait_for(restarted, "the supervisor to start the engine again")
    code, out, err = run(dockyard, engine, "version", "-f", "{{.Server.Version}}")
    assert (code, err) == (0, b"") and out.strip()
    spare_ran_it(spare)


def test_a_spare_keeps_nothing_of_its_rehearsal(engine: Engine, dockyard: str) -> None:
    """The spare rehearses a `version` before it says it is ready: none of that reaches the
    command it is handed (its output, its host, the timings it read from the environment)."""
    spare = ready_spare(engine, dockyard)
    done = subprocess.run(
        [dockyard, "-H", engine.host, "ps", "-q"],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKYARD_TIMINGS": "1"},
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "")
    assert "Version" not in done.stderr and "PHASE" in done.stderr, done.stderr
    spare_ran_it(spare)


def test_concurrent_commands_keep_the_server_up(engine: Engine, dockyard: str) -> None:
    """Bursts of commands, each one's spare forked while others arrive: the spare's word and a
    command can come in one round of the server's selector, after the spare was handed one
    (the server died of that, and every command then ran in-process, slow)."""
    server = engine.service_pid("cli")
    log = engine.root / "logs" / "cli.log"
    before = log.read_text()
    for _ in range(3):
        clients = [
            subprocess.Popen(
                [dockyard, "-H", engine.host, "version", "-f", "{{.Server.Version}}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(20)
        ]
        results = [(*client.communicate(timeout=120), client.returncode) for client in clients]
        assert all(code == 0 and out.strip() and not err for out, err, code in results), results
    assert engine.service_pid("cli") == server
    assert "Traceback" not in log.read_text()[len(before) :]


class Terminal:
    """A command on the slave side of a pty we hold the master of, as a user's terminal: the
    client is its session's leader and the terminal's foreground (typed ^C signals it)."""

    def __init__(self, command: list[str]) -> None:
        self.master, slave = pty.openpty()
        self.set_size(31, 97)
        self.attributes = termios.tcgetattr(self.master)  # the slave's, on Linux
        self.process = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.seen = b""

    def set_size(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def expect(self, token: bytes, seconds: float = 20) -> bytes:
        before, self.seen = read_until(self.master, self.seen, token, seconds)
        return before

    def raw(self) -> bool:
        lflag = termios.tcgetattr(self.master)[3]
        return not lflag & (termios.ICANON | termios.ECHO)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    made: list[Terminal] = []
    yield made
    for terminal in made:
        terminal.close()


def test_a_terminal_is_raw_while_the_command_runs_resizes_and_is_restored(
    engine: Engine, busybox: str, dockyard: str, terminals: list[Terminal]
) -> None:
    term = Terminal([dockyard, "-H", engine.host, "run", "--rm", "-it", busybox, "sh"])
    terminals.append(term)
    term.expect(b"# ")
    assert term.raw()  # the child set the client's own terminal raw
    term.type(b"stty size\r")
    term.expect(b"31 97")
    term.set_size(40, 120)
    term.process.send_signal(signal.SIGWINCH)  # what the terminal emulator's kernel does
    until_shown(term, b"stty size\r", b"40 120")
    term.type(b"exit 5\r")
    assert term.process.wait(timeout=WAIT) == 5
    assert termios.tcgetattr(term.master) == term.attributes


def test_ctrl_c_typed_on_the_terminal_ends_the_command(
    engine: Engine, dockyard: str, terminals: list[Terminal]
) -> None:
    term = Terminal([dockyard, "-H", engine.host, "events"])
    terminals.append(term)
    wait_for(lambda: commands_of_tty(engine, term), "the command server's child")
    time.sleep(0.3)  # into the events stream (no event marks that moment)
    term.type(b"\x03")
    assert term.process.wait(timeout=WAIT) == 130


def commands_of_tty(engine: Engine, term: Terminal) -> list[int]:
    """The server's children whose stdout is the terminal's slave (the client's)."""
    mine = os.stat(f"/proc/{term.process.pid}/fd/1")
    found = []
    for pid in children(engine.service_pid("cli")):
        try:
            out = os.stat(f"/proc/{pid}/fd/1")
        except OSError:
            continue
        if out.st_rdev == mine.st_rdev and grpc_loaded(pid):
            found.append(pid)
    return found
