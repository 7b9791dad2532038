"""A service forked from the supervisor's preload is what an exec'd one would be: its command
line, fds, signal mask, logging, `__main__` and exit code; and changed code is exec'd afresh.

Real forks of the test process: each child runs a probe module (written here) that reports on
itself into its output file, which is what a service's log file is.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dockyard.services.supervisor import forking

SIGNALS = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
PROBE = """
import json, logging, os, signal, sys
from pathlib import Path
if __name__ == "__main__":  # as a service's __main__: nothing runs at import
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    print(json.dumps({
        "name": __name__,
        "argv": sys.argv[1:],
        "cmdline": Path("/proc/self/cmdline").read_bytes().decode().split("\\0"),
        "fds": fds,
        "stdin": os.readlink("/proc/self/fd/0"),
        "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
        "handlers": len(logging.root.handlers),
        "links": [os.readlink(f"/proc/self/fd/{fd}") for fd in fds[:-1]],  # last: the listing
        "listen": [os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_PID") == str(os.getpid())],
        "version": VERSION,
    }), flush=True)
    sys.exit(EXIT)
"""


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module `probe_service` on sys.path (and PYTHONPATH, for an exec'd child)."""
    (tmp_path / "probe_service.py").write_text(PROBE.replace("VERSION", "1").replace("EXIT", "3"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    yield tmp_path / "probe_service.py"
    sys.modules.pop("probe_service", None)
    gc.unfreeze()


def _run(
    argv: list[str],
    out: Path,
    preloaded: bool,
    capfd: pytest.CaptureFixture[str],
    passed: tuple[int, ...] = (),
) -> tuple[int, str]:
    """Fork a child that becomes `argv` (writing into `out`); its exit code and output. (Not
    under pytest's capture: the child's sys.stdout must be the one on fd 1, as a service's.)"""
    with capfd.disabled(), open(out, "ab") as output:
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)  # as the supervisor runs
        try:
            pid = os.fork()
            if pid == 0:
                forking.become(argv, output.fileno(), SIGNALS, preloaded, passed)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.read_text()


def _report(text: str) -> dict[str, Any]:
    return json.loads(text.splitlines()[0])  # type: ignore[no-any-return]


def test_a_forked_service_is_what_exec_would_have_started(
    probe: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    argv = ["python", "-m", "probe_service", "--state", "/s"]  # fits in pytest's command line
    preload = forking.Preload()
    preload.load(["probe_service"], forking.room_for([argv]))
    assert preload.usable(argv)
    logging.root.addHandler(handler := logging.NullHandler())  # the supervisor's, say
    leak = os.open(os.devnull, os.O_RDONLY)  # an fd of the supervisor's (not CLOEXEC-proof)
    try:
        code, output = _run(argv, tmp_path / "service.log", preloaded=True, capfd=capfd)
    finally:
        os.close(leak)
        logging.root.removeHandler(handler)
    report = _report(output)
    assert code == 3
    assert report["name"] == "__main__" and report["argv"] == ["--state", "/s"]
    assert [arg for arg in report["cmdline"] if arg] == argv  # as instances.py reads it
    assert report["fds"] == [0, 1, 2, 3]  # 3: the listing of /proc/self/fd
    assert report["stdin"] == os.devnull
    assert report["blocked"] == [] and report["handlers"] == 0
    assert report["listen"] == [None, False]


@pytest.mark.parametrize("preloaded", [True, False], ids=["forked", "execd"])
def test_passed_sockets_are_fds_3_and_on_as_sd_listen_fds_has_them(
    probe: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], preloaded: bool
) -> None:
    """The Docker API front's listening sockets, handed over by the supervisor (whose own fd
    numbers for them are anything, the child's 3 and 4 among them)."""
    argv = [sys.executable, "-m", "probe_service"]
    preload = forking.Preload()
    preload.load(["probe_service"], forking.room_for([argv]) if preloaded else 0)
    with socket.socket() as first, socket.socket() as second:
        inodes = [f"socket:[{os.fstat(s.fileno()).st_ino}]" for s in (second, first)]
        passed = (second.fileno(), first.fileno())
        code, output = _run(argv, tmp_path / "service.log", preload.usable(argv), capfd, passed)
    report = _report(output)
    assert code == 3
    assert report["fds"] == [0, 1, 2, 3, 4, 5]  # 5: the listing of /proc/self/fd
    assert report["links"][3:5] == inodes
    assert report["listen"] == ["2", True]


def test_changed_code_is_execd_not_forked(
    probe: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    argv = [sys.executable, "-m", "probe_service"]
    preload = forking.Preload()
    preload.load(["probe_service"], forking.room_for([argv]))
    probe.write_text(PROBE.replace("VERSION", "22").replace("EXIT", "0"))  # an upgrade
    assert not preload.usable(argv)
    assert str(probe) in preload.stale
    code, output = _run(argv, tmp_path / "service.log", preloaded=preload.usable(argv), capfd=capfd)
    assert code == 0 and _report(output)["version"] == 22


def test_a_command_line_too_long_for_the_supervisors_is_execd(probe: Path) -> None:
    long = [sys.executable, "-m", "probe_service", "--state", "x" * 100_000]
    assert forking.room_for([long]) == 0
    preload = forking.Preload()
    preload.load(["probe_service"], forking.room_for([long]))
    assert not preload.usable(long) and "probe_service" not in sys.modules
    with pytest.raises(ValueError, match="do not fit"):
        forking.show(long)


@pytest.mark.parametrize(
    ("ending", "code", "said"),
    [
        ("sys.exit('dockyard-probe: cannot start')", 1, "dockyard-probe: cannot start"),
        ("raise RuntimeError('broken')", 1, "RuntimeError: broken"),
        ("pass", 0, ""),
    ],
)
def test_a_forked_service_exits_as_the_interpreter_would(
    probe: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    ending: str,
    code: int,
    said: str,
) -> None:
    probe.write_text(f"import sys\n{ending}\n")
    argv = ["python", "-m", "probe_service"]
    exited, output = _run(argv, tmp_path / "service.log", preloaded=True, capfd=capfd)
    assert exited == code and said in output
