"""docker-compose 1.29 (Debian's, a docker-py program) brings a two-service project up on
Dockyard: a web server and a client that reaches it by service name over the project's
network, both with the project's named volume; then `ps`, `logs`, `down -v` leave nothing
behind (the volume included)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration

COMPOSE_FILE = """\
version: "3.8"
services:
  web:
    image: {web}
    volumes: ["data:/shared"]
  client:
    image: {client}
    command: ["sh", "-c", "until wget -q -O - http://web/hostname; do sleep 0.2; done; echo reached web | tee /shared/note"]
    volumes: ["data:/shared"]
    depends_on: [web]
volumes:
  data:
"""


def _compose(docker: Docker, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("no docker-compose (Debian's docker-compose: deploy/install.sh --dev)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(
        [binary, "--ansi", "never", "-p", "dyproj", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        env=env | docker.env,
    )


def test_compose_up_ps_logs_down(
    docker: Docker, web_image: str, image: str, tmp_path: Path
) -> None:
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE.format(web=web_image, client=image))
    try:
        _up_ps_logs(docker, tmp_path)
    finally:
        down = _compose(docker, tmp_path, "down", "-v")
    assert down.returncode == 0, down.stderr
    assert docker.ok("ps", "-aq", "--filter", "label=com.docker.compose.project=dyproj") == ""
    assert "dyproj_default" not in docker.ok("network", "ls", "--format", "{{.Name}}").split()
    assert "dyproj_data" not in docker.ok("volume", "ls", "-q").split()


def _up_ps_logs(docker: Docker, tmp_path: Path) -> None:
    up = _compose(docker, tmp_path, "up", "-d")
    assert up.returncode == 0, up.stderr
    deadline = time.monotonic() + 60
    while "reached web" not in (logs := _compose(docker, tmp_path, "logs", "client").stdout):
        assert time.monotonic() < deadline, logs
        time.sleep(0.3)
    web_id = docker.ok("ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.service=web")
    assert web_id.strip()[:12] in logs  # the client read the web container's hostname
    ps = _compose(docker, tmp_path, "ps")
    assert ps.returncode == 0, ps.stderr
    rows = {line.split()[0]: line for line in ps.stdout.splitlines()[2:]}
    assert sorted(rows) == ["dyproj_client_1", "dyproj_web_1"], ps.stdout
    assert " Up " in rows["dyproj_web_1"] and "Exit 0" in rows["dyproj_client_1"]
    networks = docker.ok("network", "ls", "--format", "{{.Name}}").split()
    assert "dyproj_default" in networks
    # the client's note is in the volume the web server mounts too
    assert docker.ok("exec", "dyproj_web_1", "cat", "/shared/note") == "reached web\n"
    labels = docker.ok("volume", "inspect", "-f", "{{json .Labels}}", "dyproj_data")
    assert '"com.docker.compose.volume":"data"' in labels


LINKS_FILE = """\
version: "3.8"
services:
  web:
    image: {web}
  client:
    image: {client}
    command: ["sh", "-c", "until wget -q -O - http://www/hostname; do sleep 0.2; done"]
    links: ["web:www"]
"""


def test_compose_links_are_aliases_on_the_project_network(
    docker: Docker, web_image: str, image: str, tmp_path: Path
) -> None:
    """compose 1.29's `links:` (EndpointsConfig.<project network>.Links): the alias resolves
    for the linking service's container."""
    (tmp_path / "docker-compose.yml").write_text(LINKS_FILE.format(web=web_image, client=image))
    try:
        run = _compose(docker, tmp_path, "run", "--rm", "client")
        web_id = docker.ok("ps", "-q", "--filter", "label=com.docker.compose.service=web")
        assert run.returncode == 0 and web_id.strip()[:12] in run.stdout, run.stderr
    finally:
        down = _compose(docker, tmp_path, "down")
    assert down.returncode == 0, down.stderr
