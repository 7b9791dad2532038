"""The Docker API front's translations, without an engine: filters, create bodies, routes,
stream frames, statuses, and the refusal of a TCP listener without client certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from dockyard.api import containerjson as container_json
from dockyard.api import errors
from dockyard.api.bootstrap import ServiceOptions
from dockyard.api.config import DaemonConfig
from dockyard.api.paths import Paths
from dockyard.services.dockerapi import params, replies
from dockyard.services.dockerapi.create_body import create_request
from dockyard.services.dockerapi.hijack import frame
from dockyard.services.dockerapi.router import Routes, _version
from dockyard.services.dockerapi.server import listeners


def _request(query: str) -> web.Request:
    return make_mocked_request("GET", f"/containers/json?{query}")


def test_filters_in_both_encodings() -> None:
    new = params.filters(_request('filters={"label":["a=b","c"]}'))
    old = params.filters(_request('filters={"label":{"a=b":true,"c":true,"d":false}}'))
    assert new == old == {"label": ["a=b", "c"]}
    with pytest.raises(errors.InvalidArgument):
        params.filters(_request("filters=[1]"))


def test_timestamps_keep_nanoseconds() -> None:
    assert params.timestamp_ns("1700000000.000000001", "since") == 1700000000 * 10**9 + 1
    assert params.timestamp_ns("12", "since") == 12 * 10**9
    with pytest.raises(errors.InvalidArgument):
        params.timestamp_ns("soon", "since")


def _create(**body: Any) -> Any:
    return create_request({"Image": "busybox", **body}, "/web")


def test_create_maps_what_docker_run_sends() -> None:
    host = {
        "NetworkMode": "default",
        "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], "53/udp": None},
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Memory": 64 << 20,
        "Ulimits": [{"Name": "nofile", "Soft": 10, "Hard": 20}],
        "Init": True,
        "MemorySwappiness": -1,
        "ShmSize": 0,
        "IpcMode": "private",
        "Binds": None,
        "ConsoleSize": [30, 100],
    }
    request = _create(Cmd=["sh"], Entrypoint=None, HostConfig=host)
    assert request.name == "web" and request.config.cmd.values == ["sh"]
    assert not request.config.HasField("entrypoint")
    h = request.host_config
    assert [(b.container_port, b.host_port) for b in h.port_bindings] == [
        ("53/udp", ""),
        ("80/tcp", "8080"),
    ]
    assert (h.restart_policy.name, h.restart_policy.maximum_retry_count) == ("on-failure", 3)
    assert h.resources.memory == 64 << 20 and h.resources.ulimits[0].hard == 20 and h.init


def test_oom_settings_reach_the_engine() -> None:
    host = _create(HostConfig={"OomKillDisable": True, "OomScoreAdj": -500}).host_config
    assert host.resources.oom_kill_disable and host.resources.oom_score_adj == -500


def test_memory_reservation_and_swappiness_reach_the_engine() -> None:
    host = _create(HostConfig={"MemoryReservation": 8 << 20, "MemorySwappiness": 0}).host_config
    assert host.resources.memory_reservation == 8 << 20
    assert host.resources.HasField("memory_swappiness") and host.resources.memory_swappiness == 0
    for unset in (None, -1):
        plain = _create(HostConfig={"MemorySwappiness": unset}).host_config
        assert not plain.resources.HasField("memory_swappiness")


def test_kernel_memory_and_cpuset_mems_reach_the_engine() -> None:
    host = _create(HostConfig={"KernelMemory": 50 << 20, "CpusetMems": "0"}).host_config
    assert host.resources.kernel_memory == 50 << 20 and host.resources.cpuset_mems == "0"


def test_device_cgroup_rules_reach_the_engine() -> None:
    host = _create(HostConfig={"DeviceCgroupRules": ["c 1:3 mr"]}).host_config
    assert list(host.device_cgroup_rules) == ["c 1:3 mr"]


def test_device_throttles_reach_the_engine() -> None:
    body = {"BlkioDeviceReadBps": [{"Path": "/dev/vda", "Rate": 1024}]}
    resources = _create(HostConfig=body).host_config.resources
    assert [(d.path, d.rate) for d in resources.device_read_bps] == [("/dev/vda", 1024)]


def test_blkio_weights_reach_the_engine() -> None:
    body = {"BlkioWeight": 300, "BlkioWeightDevice": [{"Path": "/dev/vda", "Weight": 400}]}
    resources = _create(HostConfig=body).host_config.resources
    assert resources.blkio_weight == 300
    assert [(d.path, d.rate) for d in resources.blkio_weight_device] == [("/dev/vda", 400)]


def test_an_empty_entrypoint_clears_the_images() -> None:
    for value in ([], [""]):
        request = _create(Entrypoint=value)
        assert request.config.HasField("entrypoint") and not request.config.entrypoint.values


def test_settings_the_engine_lacks_are_refused_not_dropped() -> None:
    # a volume driver is carried to the engine, which refuses one it lacks (defaultsonly)
    assert _create(HostConfig={"VolumeDriver": "flocker"}).host_config.volume_driver == "flocker"
    with pytest.raises(errors.InvalidArgument, match=r"HostConfig\.CpuCount"):
        _create(HostConfig={"CpuCount": 2})
    # a cgroup parent is the container's own (spec.cgroups_path): carried, as dockerd takes it
    assert _create(HostConfig={"CgroupParent": "/elsewhere"}).host_config.cgroup_parent == (
        "/elsewhere"
    )


def test_namespaces_devices_and_shm_as_docker_sends_them() -> None:
    host = _create(
        HostConfig={
            "IpcMode": "shareable", "PidMode": "host", "UTSMode": "host", "ShmSize": 1 << 30,
            "CgroupnsMode": "host", "Sysctls": {"net.ipv4.ip_forward": "1"}, "GroupAdd": ["10", "wheel"],
            "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/x",
                         "CgroupPermissions": "r"}],
            "ContainerIDFile": "/tmp/cid",
        }
    ).host_config  # fmt: skip
    assert (host.ipc_mode, host.pid_mode, host.uts_mode, host.shm_size, host.cgroupns_mode) == (
        "shareable", "host", "host", 1 << 30, "host",
    )  # fmt: skip
    assert dict(host.sysctls) == {"net.ipv4.ip_forward": "1"}
    assert list(host.group_add) == ["10", "wheel"] and host.container_id_file == "/tmp/cid"
    assert [(d.path_on_host, d.path_in_container, d.cgroup_permissions) for d in host.devices] == [
        ("/dev/null", "/dev/x", "r")
    ]


def test_mount_options_the_engine_lacks_are_refused_and_the_rest_written_back() -> None:
    with pytest.raises(errors.InvalidArgument, match=r"Mounts\[0\]\.VolumeOptions\.Subpath"):
        _create(HostConfig={"Mounts": [{"Type": "volume", "VolumeOptions": {"Subpath": "x"}}]})
    empty = _create(HostConfig={"Mounts": [{"Type": "bind", "Target": "/b", "BindOptions": {}}]})
    (spec,) = empty.host_config.mounts
    assert spec.has_bind_options  # present though empty: dockerd checks for nil
    assert container_json.mount_spec(spec) == {"Type": "bind", "Target": "/b", "BindOptions": {}}
    labelled = {"Type": "volume", "Source": "v", "Target": "/v",
                "VolumeOptions": {"Labels": {"q": "r"}, "DriverConfig": {}}}  # fmt: skip
    (spec,) = _create(HostConfig={"Mounts": [labelled]}).host_config.mounts
    assert container_json.mount_spec(spec) == labelled  # as the docker CLI sent it


def test_mounts_as_docker_sends_them() -> None:
    host = {
        "Binds": ["data:/data:ro", "/srv:/srv"],
        "VolumesFrom": ["db:ro"],
        "VolumeDriver": "local",
        "Mounts": [
            {
                "Type": "volume",
                "Source": "v",
                "Target": "/v",
                "VolumeOptions": {
                    "NoCopy": True,
                    "Labels": {"a": "b"},
                    "DriverConfig": {"Name": "local", "Options": {"type": "tmpfs"}},
                },
            },
            {"Type": "bind", "Source": "/h", "Target": "/b", "ReadOnly": True,
             "BindOptions": {"Propagation": "rslave"}},
            {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 1024, "Mode": 0o1777}},
        ],
    }  # fmt: skip
    h = _create(HostConfig=host).host_config
    assert list(h.binds) == ["data:/data:ro", "/srv:/srv"] and list(h.volumes_from) == ["db:ro"]
    volume, bind, tmpfs = h.mounts
    assert (volume.type, volume.source, volume.target, volume.volume_no_copy) == (
        "volume", "v", "/v", True,
    )  # fmt: skip
    assert dict(volume.volume_labels) == {"a": "b"} and volume.volume_driver == "local"
    assert dict(volume.volume_options) == {"type": "tmpfs"} and volume.has_volume_options
    assert (bind.read_only, bind.bind_propagation, bind.has_bind_options) == (True, "rslave", True)
    assert not bind.has_volume_options and not bind.has_tmpfs_options
    assert (tmpfs.tmpfs_size, tmpfs.tmpfs_mode, tmpfs.has_tmpfs_options) == (1024, 0o1777, True)


def test_the_default_network_is_the_bridge() -> None:
    request = _create(
        NetworkingConfig={"EndpointsConfig": {"default": {}, "appnet": {"Aliases": ["a"]}}}
    )
    assert [(e.network, list(e.aliases)) for e in request.networks] == [
        ("bridge", []),
        ("appnet", ["a"]),
    ]


def test_frames_are_docker_multiplexed() -> None:
    assert frame(2, b"oops") == b"\x02\x00\x00\x00\x00\x00\x00\x04oops"


def test_routes_take_slashes_only_where_asked() -> None:
    routes = Routes()

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response()

    routes.add("GET", "/images/{name*}/json", handler)
    routes.add("GET", "/containers/{id}/json", handler)
    assert routes.find("GET", "/images/127.0.0.1:5000/a/b:1/json")[1] == {
        "name": "127.0.0.1:5000/a/b:1"
    }
    assert routes.find("HEAD", "/containers/abc/json")[1] == {"id": "abc"}
    with pytest.raises(errors.NotFound):
        routes.find("GET", "/containers/a/b/json")
    assert _version("/v1.41/info") == ("/info", (1, 41))
    assert _version("/info") == ("/info", (1, 47))


def test_errors_map_to_dockers_status_codes() -> None:
    assert replies.status_of(errors.NotFound("x")) == 404
    assert replies.status_of(errors.CommandNotFound("x")) == 409
    assert replies.status_of(errors.AlreadyExists("x")) == 409
    assert replies.status_of(errors.Unimplemented("x")) == 501
    assert replies.status_of(errors.Internal("x")) == 500


def _options(tmp_path: Path, **config: Any) -> ServiceOptions:
    return ServiceOptions(
        "dockerapi", Paths(tmp_path, tmp_path / "state"), DaemonConfig.from_dict(config), tmp_path
    )


def test_tcp_is_refused_without_tls_client_certificates(tmp_path: Path) -> None:
    with pytest.raises(errors.InvalidArgument, match="without TLS client authentication"):
        listeners(_options(tmp_path, hosts=["tcp://127.0.0.1:2376"]))
    with pytest.raises(errors.InvalidArgument, match="without TLS client authentication"):
        listeners(
            _options(
                tmp_path,
                hosts=["tcp://127.0.0.1:2376"],
                tlsverify=False,
                tlscacert="a",
                tlscert="b",
                tlskey="c",
            )
        )
    unix = listeners(_options(tmp_path, hosts=["unix:///tmp/x.sock"]))
    assert [(kind, where) for kind, where, _ in unix] == [
        ("unix", str(tmp_path / "state" / "docker.sock")),
        ("unix", "/tmp/x.sock"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Env": "A=1"}, "Env: want a list of strings"),
        ({"Labels": ["a"]}, "Labels: want an object of strings"),
        ({"HostConfig": {"Memory": "lots"}}, "HostConfig.Memory: want an integer"),
        ({"HostConfig": {"Memory": True}}, "HostConfig.Memory: want an integer"),
        (
            {"HostConfig": {"PortBindings": {"80/tcp": [5]}}},
            "PortBindings.80/tcp[0]: want an object",
        ),
        ({"HostConfig": []}, "HostConfig: want an object"),
        ({"Cmd": [1]}, "Cmd: want a string or a list of strings"),
    ],
)
def test_wrong_types_are_one_clear_line(body: dict[str, Any], message: str) -> None:
    with pytest.raises(errors.InvalidArgument) as failed:
        _create(**body)
    assert message in str(failed.value)


def test_real_time_cpu_limits_are_carried() -> None:
    host = _create(
        HostConfig={"CpuRealtimePeriod": 1000000, "CpuRealtimeRuntime": 5000}
    ).host_config
    assert host.resources.cpu_realtime_period == 1000000
    assert host.resources.cpu_realtime_runtime == 5000
