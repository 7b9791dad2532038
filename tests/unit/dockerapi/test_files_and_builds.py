"""The Docker API front's translations for volumes, `cp`, builds and commits: docker's shapes
and orders, without an engine."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
from typing import Any

from aiohttp.test_utils import make_mocked_request
from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi import replies
from dockyard.services.dockerapi.archives import go_mode, stat_header
from dockyard.services.dockerapi.builds import BuildStream, config_changes, registry_config
from dockyard.services.dockerapi.params import Fields
from dockyard.services.dockerapi.volumes import volume_json
from dockyard.volumes.v1 import volumes_pb2


def test_modes_are_gos_file_modes() -> None:
    assert go_mode(stat.S_IFDIR | 0o755) == 1 << 31 | 0o755
    assert go_mode(stat.S_IFLNK | 0o777) == 134218239  # as dockerd sends a symlink's
    assert go_mode(stat.S_IFREG | 0o644) == 0o644
    assert go_mode(stat.S_IFCHR | 0o666) == 1 << 26 | 1 << 21 | 0o666
    assert go_mode(stat.S_IFREG | stat.S_ISUID | 0o755) == 1 << 23 | 0o755


def test_the_path_stat_header_is_base64_json() -> None:
    found = volumes_pb2.PathStat(name="l", size=4, mode=stat.S_IFLNK | 0o777, link_target="/x/f")
    found.mtime.FromNanoseconds(1_700_000_000_500_000_000)
    assert json.loads(base64.b64decode(stat_header(found))) == {
        "name": "l",
        "size": 4,
        "mode": 134218239,
        "mtime": "2023-11-14T22:13:20.5Z",
        "linkTarget": "/x/f",
    }


def test_volumes_read_as_dockers() -> None:
    volume = volumes_pb2.Volume(name="v", driver="local", mountpoint="/d/v/_data")
    volume.created.FromSeconds(1_700_000_000)
    assert volume_json(volume) == {
        "CreatedAt": "2023-11-14T22:13:20Z",
        "Driver": "local",
        "Labels": None,
        "Mountpoint": "/d/v/_data",
        "Name": "v",
        "Options": None,
        "Scope": "local",
    }
    volume.usage.size, volume.usage.ref_count = 10, 2
    assert volume_json(volume)["UsageData"] == {"Size": 10, "RefCount": 2}


class Recorded(replies.JsonStream):
    def __init__(self) -> None:
        super().__init__(make_mocked_request("POST", "/build"))
        self.sent: list[Any] = []

    async def send(self, message: Any) -> None:
        self.sent.append(message)


def _stream(quiet: bool, *outputs: engine_pb2.BuildOutput) -> list[Any]:
    out = Recorded()

    async def run() -> None:
        stream = BuildStream(out, quiet)
        for output in outputs:
            await stream.send(output)

    asyncio.run(run())
    return out.sent


STEPS = (
    engine_pb2.BuildOutput(stream="Step 1/2 : FROM busybox\n"),
    engine_pb2.BuildOutput(output=b"ran\n"),
    engine_pb2.BuildOutput(stream="Successfully built 0123456789ab\n"),
    engine_pb2.BuildOutput(stream="Successfully tagged web:latest\n"),
    engine_pb2.BuildOutput(image_id="sha256:0123456789ab"),
)


def test_a_build_ends_as_dockerds_aux_then_successfully_built() -> None:
    assert _stream(False, *STEPS) == [
        {"stream": "Step 1/2 : FROM busybox\n"},
        {"stream": "ran\n"},
        {"aux": {"ID": "sha256:0123456789ab"}},
        {"stream": "Successfully built 0123456789ab\n"},
        {"stream": "Successfully tagged web:latest\n"},
    ]
    assert _stream(True, *STEPS) == [{"stream": "sha256:0123456789ab\n"}]


def test_a_failed_step_carries_its_exit_code_and_quiet_shows_what_ran() -> None:
    error = engine_pb2.BuildError(
        message="The command '/bin/sh -c false' returned a non-zero code: 3", code=3
    )
    failed = _stream(True, *STEPS[:2], engine_pb2.BuildOutput(error=error))
    assert failed[:2] == [{"stream": "Step 1/2 : FROM busybox\n"}, {"stream": "ran\n"}]
    assert failed[2] == {
        "errorDetail": {"code": 3, "message": error.message},
        "error": error.message,
    }


def test_a_commit_config_becomes_dockerfile_changes() -> None:
    config = Fields({
        "Cmd": ["echo", "a $HOME"], "Env": ['Q=say "hi" $x'], "Labels": {"k": "v"},
        "WorkingDir": "/w", "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}},
        "Hostname": "",
    })  # fmt: skip
    assert config_changes(config) == [
        'ENV Q="say \\"hi\\" \\$x"',
        'LABEL "k"="v"',
        "EXPOSE 80/tcp",
        'VOLUME ["/data"]',
        'CMD ["echo", "a $HOME"]',
        "WORKDIR /w",
    ]


def test_x_registry_config_is_keyed_by_registry_host() -> None:
    logins = {
        "https://index.docker.io/v1/": {"username": "hub", "password": "a"},
        "127.0.0.1:5000": {"auth": base64.b64encode(b"me:pw").decode()},
        "http://Registry.Example:443/v2/": {"identitytoken": "t"},
    }
    header = base64.urlsafe_b64encode(json.dumps(logins).encode()).decode().rstrip("=")
    request = make_mocked_request("POST", "/build", headers={"X-Registry-Config": header})
    found = registry_config(request)
    assert sorted(found) == [
        "127.0.0.1:5000",
        "https://index.docker.io/v1/",
        "registry.example:443",
    ]
    assert (found["127.0.0.1:5000"].username, found["127.0.0.1:5000"].password) == ("me", "pw")
    assert found["https://index.docker.io/v1/"].username == "hub"
    assert found["registry.example:443"].identity_token == "t"
    assert registry_config(make_mocked_request("POST", "/build")) == {}
