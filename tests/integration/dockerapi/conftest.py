"""Docker API test helpers: the real docker CLI (and docker-py, docker-compose) pointed at the
test engine's `docker.sock`, images from the tests' own registry, a pseudo-terminal for -it.

The docker CLI is the machine's (`docker` on PATH or /usr/local/bin/docker, any 20.10+ client);
`deploy/install.sh --dev` provides one where there is none (Debian's 20.10 client, to
/usr/local/bin), so without one the tests that need it fail. The `clients` fixture runs a test
with every docker CLI the machine has (a 28.x client in /usr/local/bin and Debian's 20.10 in
/usr/bin on some machines): the wire and some error texts differ between them, and the tests
take either client's words.
"""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import termios
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import Registry
from tests.support.terminals import read_until

DOCKER_CANDIDATES = ("/usr/local/bin/docker", "/usr/bin/docker")


def find_docker() -> str | None:
    found = shutil.which("docker")
    return found or next((p for p in DOCKER_CANDIDATES if os.access(p, os.X_OK)), None)


def every_docker() -> list[str]:
    """Each distinct docker CLI here (the one on PATH first)."""
    found = [find_docker(), *DOCKER_CANDIDATES]
    real = {}
    for path in found:
        if path and os.access(path, os.X_OK):
            real.setdefault(os.path.realpath(path), path)
    return list(real.values())


@dataclass
class Docker:
    """The docker CLI against one engine, with a config dir of its own (no user's logins)."""

    binary: str
    engine: Engine
    config: Path

    @property
    def host(self) -> str:
        return f"unix://{self.engine.state / 'docker.sock'}"

    @property
    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        return keep | {
            "DOCKER_HOST": self.host,
            "DOCKER_CONFIG": str(self.config),
            "DOCKER_CLI_HINTS": "false",
        }

    def run(
        self, *args: str, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    def ok(self, *args: str, **kwargs: object) -> str:
        result = self.run(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, (
            f"docker {' '.join(args)} -> {result.returncode}\n{result.stderr}"
        )
        return result.stdout


@pytest.fixture(scope="session")
def docker_binary() -> str:
    binary = find_docker()
    assert binary is not None, "no docker CLI on this machine: deploy/install.sh --dev installs one"
    return binary


@pytest.fixture(scope="session")
def docker(docker_binary: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Docker:
    return Docker(docker_binary, engine, tmp_path_factory.mktemp("docker-config"))


@pytest.fixture(params=every_docker() or ["no docker CLI"], ids=str)
def clients(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Docker:
    """The docker CLI, once per distinct client on the machine (each with its own config)."""
    binary = request.param
    assert os.access(binary, os.X_OK), "no docker CLI: deploy/install.sh --dev installs one"
    return Docker(binary, engine, tmp_path_factory.mktemp("docker-config"))


@pytest.fixture(scope="session")
def image(registry: Registry) -> str:
    """busybox in the tests' registry, as a docker user names it."""
    return f"{registry.host}/library/busybox:latest"


@pytest.fixture(scope="session")
def web_image(registry: Registry) -> str:
    """An image whose default command serves HTTP on port 80 (busybox httpd)."""
    config = images.busybox_image(
        Cmd=["httpd", "-f", "-p", "80", "-h", "/etc"], ExposedPorts={"80/tcp": {}}
    )
    images.push(registry, "test/web", "v1", config)
    return f"{registry.host}/test/web:v1"


@pytest.fixture
def cleanup(docker: Docker) -> Iterator[list[tuple[str, str]]]:
    """Things a test made ("network", name), ("volume", name), ("image", ref): removed after
    it (its containers first)."""
    made: list[tuple[str, str]] = []
    yield made
    docker.engine.remove_all_containers()
    for kind, name in reversed(made):
        if kind in ("network", "volume"):
            docker.run(kind, "rm", name)
        else:
            docker.run("rmi", "-f", name)


class Terminal:
    """The docker CLI on the slave side of a pty we hold the master of."""

    def __init__(self, docker: Docker, *args: str, rows: int = 31, cols: int = 97) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.process = subprocess.Popen(
            [docker.binary, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=docker.env,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.seen = b""

    def resize(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.process.send_signal(signal.SIGWINCH)

    def type(self, text: bytes) -> None:
        os.write(self.master, text)

    def expect(self, token: bytes, seconds: float = 30) -> bytes:
        before, self.seen = read_until(self.master, self.seen, token, seconds)
        return before

    def wait(self, seconds: float = 60) -> int:
        return self.process.wait(timeout=seconds)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(docker: Docker) -> Iterator[type[Terminal]]:
    made: list[Terminal] = []

    class Made(Terminal):
        def __init__(self, *args: str, **kwargs: int) -> None:
            super().__init__(docker, *args, **kwargs)
            made.append(self)

    yield Made
    for t in made:
        t.close()
