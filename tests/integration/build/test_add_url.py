"""ADD from a URL, served by a real HTTP server on 127.0.0.1: downloaded as docker's classic
builder downloads it (named after the URL, 0600, never extracted, its time the response's
Last-Modified), cached while its content is the same, and a 404 one clear line."""

from __future__ import annotations

import functools
import http.server
import io
import os
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine

pytestmark = pytest.mark.integration

MODIFIED = 1_600_000_000  # 2020-09-13T12:26:40Z


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, the directory it serves)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def tarball() -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        info = tarfile.TarInfo("inside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"in\n"))
    return data.getvalue()


def test_add_from_a_url(
    context: Context, engine: Engine, busybox: str, served: tuple[str, Path]
) -> None:
    url, root = served
    (root / "hello.txt").write_text("hello from the server\n")
    os.utime(root / "hello.txt", (MODIFIED, MODIFIED))
    (root / "bundle.tar").write_bytes(tarball())
    context.dockerfile(
        f"FROM {busybox}\n"
        f"ADD {url}/hello.txt /srv/\n"
        f"ADD {url}/hello.txt /srv/renamed\n"
        f"ADD {url}/bundle.tar /srv/\n"
    )
    try:
        context.ok("-t", "added:1")
        script = "cat /srv/hello.txt /srv/renamed; stat -c '%a %Y %n' /srv/hello.txt; ls /srv"
        out = engine.ok("run", "--rm", "added:1", "sh", "-c", script)
        assert out == (
            "hello from the server\nhello from the server\n"
            f"600 {MODIFIED} /srv/hello.txt\nbundle.tar\nhello.txt\nrenamed\n"
        )  # the tar from a URL stays a file, as docker's
        again = context.ok("-t", "added:2")  # downloaded again: the same content, the cache
        assert again.count(" ---> Using cache") == 3
        (root / "hello.txt").write_text("changed\n")
        changed = context.ok("-t", "added:3")
        assert " ---> Using cache" not in changed  # each step after a changed one is new
        assert engine.ok("run", "--rm", "added:3", "cat", "/srv/hello.txt") == "changed\n"
    finally:
        engine.cli("rmi", "added:1", "added:2", "added:3")


def test_a_url_that_fails_fails_the_build_in_one_line(
    context: Context, busybox: str, served: tuple[str, Path]
) -> None:
    url, _ = served
    context.dockerfile(f"FROM {busybox}\nADD {url}/nothing-here /srv/\n")
    result = context.build()
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith(
            f"failed to download {url}/nothing-here: Got HTTP status code >= 400: 404 File not found"
        )
    )
    context.dockerfile(f"FROM {busybox}\nADD {url}/ /srv/\n")
    nameless = context.build()
    assert nameless.returncode == 1
    assert f"cannot determine filename from url: {url}/" in nameless.stderr
    context.dockerfile(f"FROM {busybox}\nADD {url}/a local.txt /srv/\n")
    (context.path / "local.txt").write_text("x")
    mixed = context.build()
    assert mixed.returncode == 1 and "ADD from a URL is supported alone" in mixed.stderr
