"""The Docker API's wire, spoken over the socket by hand: versioned and bare paths, `/_ping`
headers, error bodies and status codes, the socket's mode, chunked streams, hijacked attach
with multiplexed frames, and a client's half-close."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import stat
import struct
import time
from typing import Any

import pytest

from tests.integration.dockerapi.conftest import Docker
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=60)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self._path)


def call(
    engine: Engine, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, str], bytes]:
    conn = UnixHTTP(str(engine.state / "docker.sock"))
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), payload


def test_the_socket_is_root_owned_0660(engine: Engine) -> None:
    info = os.stat(engine.state / "docker.sock")
    assert stat.S_ISSOCK(info.st_mode)
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o660, 0, 0)


def test_ping_carries_the_versions_on_get_and_head(engine: Engine) -> None:
    for method in ("GET", "HEAD"):
        status, headers, body = call(engine, method, "/_ping")
        assert status == 200
        assert headers["Api-Version"] == "1.47"
        assert headers["Builder-Version"] == "1"
        assert body == (b"OK" if method == "GET" else b"")


def test_every_path_answers_with_and_without_a_version_prefix(engine: Engine) -> None:
    bare = json.loads(call(engine, "GET", "/version")[2])
    assert bare["ApiVersion"] == "1.47" and bare["MinAPIVersion"] == "1.24"
    for prefix in ("/v1.24", "/v1.41", "/v1.47"):
        status, _, body = call(engine, "GET", f"{prefix}/containers/json")
        assert status == 200 and isinstance(json.loads(body), list)


def test_versions_outside_the_range_are_refused(engine: Engine) -> None:
    status, headers, body = call(engine, "GET", "/v1.12/version")
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    assert "too old" in json.loads(body)["message"]
    status, _, body = call(engine, "GET", "/v1.99/version")
    assert status == 400 and "too new" in json.loads(body)["message"]


def test_errors_are_a_message_with_dockers_status(engine: Engine, image: str) -> None:
    status, headers, body = call(engine, "GET", "/containers/no-such-thing/json")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"message": "No such container: no-such-thing"}
    status, _, body = call(engine, "GET", "/no/such/path")
    assert status == 404 and json.loads(body) == {"message": "page not found"}
    status, _, body = call(engine, "POST", "/containers/create", {"Image": "nosuch:1"})
    assert status == 404 and json.loads(body)["message"] == "No such image: nosuch:1"


def test_a_missing_network_at_create_is_not_a_404(
    engine: Engine, docker: Docker, image: str
) -> None:
    docker.ok("pull", "-q", image)
    body = {"Image": image, "HostConfig": {"NetworkMode": "no-such-net"}}
    status, _, _ = call(engine, "POST", "/containers/create", body)
    assert status == 400  # a 404 would make the docker CLI try to pull the image


def test_unimplemented_endpoints_say_what_is_missing(engine: Engine) -> None:
    status, _, body = call(engine, "GET", "/images/search?term=busybox")
    assert status == 501 and "searching a registry" in json.loads(body)["message"]


def test_a_paths_stat_rides_in_a_header(engine: Engine, docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("create", "--name", "stat-me", image, "true")
    status, headers, body = call(engine, "HEAD", "/v1.41/containers/stat-me/archive?path=/etc")
    assert (status, body) == (200, b"")
    found = json.loads(base64.b64decode(headers["X-Docker-Container-Path-Stat"]))
    assert (found["name"], found["mode"] & (1 << 31), found["linkTarget"]) == ("etc", 1 << 31, "")
    status, headers, body = call(engine, "GET", "/containers/stat-me/archive?path=/nowhere")
    assert status == 404 and "X-Docker-Container-Path-Stat" not in headers
    assert json.loads(body) == {"message": "Could not find the file /nowhere in container stat-me"}
    status, _, body = call(engine, "GET", "/containers/stat-me/archive")
    assert status == 400 and b"path cannot be empty" in body


def test_filters_are_read_in_both_encodings(engine: Engine, docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    name = "filtered-one"
    docker.ok("create", "--name", name, "--label", "team=blue", image, "true")
    for encoded in ('{"label":["team=blue"]}', '{"label":{"team=blue":true}}'):
        path = "/containers/json?all=1&filters=" + encoded.replace('"', "%22")
        found = json.loads(call(engine, "GET", path)[2])
        assert [c["Names"] for c in found] == [[f"/{name}"]]


def _hijack(engine: Engine, path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(str(engine.state / "docker.sock"))
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
        "Content-Length: 0\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101 UPGRADED\r\n"), head
    assert b"Upgrade: tcp" in head
    return sock


def _frames(sock: socket.socket) -> list[tuple[int, bytes]]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    frames = []
    while data:
        stream, size = struct.unpack(">BxxxL", data[:8])
        frames.append((stream, data[8 : 8 + size]))
        data = data[8 + size :]
    return frames


def test_attach_before_start_gets_every_frame_and_the_half_close(
    engine: Engine, docker: Docker, image: str
) -> None:
    docker.ok("pull", "-q", image)
    body = {
        "Image": image,
        "Cmd": ["sh", "-c", "cat; echo done >&2"],
        "OpenStdin": True,
        "StdinOnce": True,
        "AttachStdin": True,
    }
    status, _, reply = call(engine, "POST", "/v1.47/containers/create", body)
    assert status == 201, reply
    cid = json.loads(reply)["Id"]
    sock = _hijack(engine, f"/v1.47/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1")
    assert call(engine, "POST", f"/containers/{cid}/start")[0] == 204
    sock.sendall(b"ping\n")
    sock.shutdown(socket.SHUT_WR)  # as the docker CLI does when its stdin ends
    frames = _frames(sock)
    sock.close()
    assert b"".join(d for s, d in frames if s == 1) == b"ping\n"
    assert b"".join(d for s, d in frames if s == 2) == b"done\n"
    status, _, reply = call(engine, "POST", f"/containers/{cid}/wait")
    assert json.loads(reply) == {"StatusCode": 0, "Error": None}


def test_logs_are_framed_and_time_stamped(engine: Engine, docker: Docker, image: str) -> None:
    cid = docker.ok("run", "-d", image, "sh", "-c", "echo out; echo err >&2").strip()
    docker.ok("wait", cid)
    status, headers, body = call(
        engine, "GET", f"/containers/{cid}/logs?stdout=1&stderr=1&timestamps=1"
    )
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
    frames = []
    while body:
        stream, size = struct.unpack(">BxxxL", body[:8])
        frames.append((stream, body[8 : 8 + size].split(b" ", 1)))
        body = body[8 + size :]
    assert [(s, text) for s, (_, text) in frames] == [(1, b"out\n"), (2, b"err\n")]
    assert all(stamp.endswith(b"Z") and b"T" in stamp for _, (stamp, _) in frames)


def test_events_stream_as_chunked_json_with_legacy_fields(
    engine: Engine, docker: Docker, image: str
) -> None:
    docker.ok("pull", "-q", image)
    conn = UnixHTTP(str(engine.state / "docker.sock"))
    conn.request("GET", '/events?filters={"type":["container"],"event":["create"]}')
    response = conn.getresponse()
    assert response.status == 200  # the headers come at once, before any event
    assert response.getheader("Transfer-Encoding") == "chunked"
    cid = docker.ok("create", image, "true").strip()
    event = json.loads(response.readline())
    conn.close()
    assert (event["status"], event["id"], event["from"]) == ("create", cid, image)
    assert (event["Type"], event["Action"], event["Actor"]["ID"]) == ("container", "create", cid)
    assert event["timeNano"] // 10**9 == event["time"]


def test_a_client_that_vanishes_mid_attach_leaves_the_container_running(
    engine: Engine, docker: Docker, image: str
) -> None:
    docker.ok("pull", "-q", image)
    cid = docker.ok(
        "run", "-d", image, "sh", "-c", "while :; do echo tick; sleep 0.1; done"
    ).strip()
    for _ in range(3):
        sock = _hijack(engine, f"/containers/{cid}/attach?stream=1&stdout=1")
        assert b"tick" in sock.recv(4096)
        sock.close()  # gone without a word
    assert docker.ok("inspect", "-f", "{{.State.Running}}", cid).strip() == "true"
    status, _, body = call(engine, "GET", f"/containers/{cid}/logs?stdout=1&tail=1")
    assert status == 200 and body.endswith(b"tick\n")


def test_an_exec_outlives_its_client_and_inspect_gets_its_exit(
    engine: Engine, docker: Docker, image: str
) -> None:
    docker.ok("pull", "-q", image)
    cid = docker.ok("run", "-d", image, "sleep", "300").strip()
    script = "echo hi; sleep 1; head -c 2000000 /dev/zero; sleep 1; exit 5"  # writes to no one
    body = {"Cmd": ["sh", "-c", script], "AttachStdout": True}
    status, _, reply = call(engine, "POST", f"/containers/{cid}/exec", body)
    assert status == 201, reply
    exec_id = json.loads(reply)["Id"]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(str(engine.state / "docker.sock"))
    sock.sendall(
        f"POST /exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\n"
        "Upgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".encode()
    )
    seen = b""
    while b"hi" not in seen:
        seen += sock.recv(4096)
    sock.close()  # the client goes; the process does not
    inspected = json.loads(call(engine, "GET", f"/exec/{exec_id}/json")[2])
    assert (inspected["Running"], inspected["ExitCode"]) == (True, None)
    deadline = time.monotonic() + 30
    while inspected["Running"]:
        assert time.monotonic() < deadline, inspected
        time.sleep(0.1)
        inspected = json.loads(call(engine, "GET", f"/exec/{exec_id}/json")[2])
    assert inspected["ExitCode"] == 5
