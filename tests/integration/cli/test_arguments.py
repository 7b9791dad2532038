"""Arguments and environment values that are not UTF-8: the engine's API speaks UTF-8, so the
CLI refuses such a value in one line (exit 125) instead of a traceback, through the command
server and in-process alike."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.engine import CLI, Engine

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("in_process", ["", "1"])
@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ([b"run", b"--rm", b"IMAGE", b"echo", b"a\xffb"], b'"a\\xffb"'),
        ([b"run", b"--rm", b"-e", b"X=\xfe", b"IMAGE", b"true"], b'"X=\\xfe"'),
        ([b"create", b"--name", b"\xff", b"IMAGE", b"true"], b'"\\xff"'),
        ([b"inspect", b"\xff"], b'"\\xff"'),
    ],
)
def test_a_value_that_is_not_utf8_is_refused_in_one_line(
    engine: Engine, busybox: str, in_process: str, args: list[bytes], shown: bytes
) -> None:
    command = [os.fsencode(busybox) if arg == b"IMAGE" else arg for arg in args]
    done = subprocess.run(
        [os.fsencode(CLI), b"-H", engine.host.encode(), *command],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "DOCKYARD_NO_SERVER": in_process},
        timeout=120,
    )
    assert done.returncode == 125
    assert done.stderr == b"dockyard: invalid argument " + shown + b": not valid UTF-8.\n"
    assert done.stdout == b""
    assert "Created" not in engine.ok("ps", "-a", "--format", "{{.Status}}")
