"""The engine's gRPC API over a real socket, with the services behind it faked: each adapter
converts requests and replies faithfully (what the CLI and the Docker API front will see)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from dockyard.api import bootstrap, errors
from dockyard.api.bootstrap import ServiceOptions
from dockyard.api.config import DaemonConfig
from dockyard.api.paths import Paths
from dockyard.api.status import ErrorInterceptor
from dockyard.engine.v1 import engine_pb2 as pb
from dockyard.engine.v1 import engine_pb2_grpc as rpc
from dockyard.images.v1 import images_pb2
from dockyard.network.v1 import network_pb2
from dockyard.services.engine.clients.fakes.images import make_image
from dockyard.services.engine.copying import Copier
from dockyard.services.engine.images import Images
from dockyard.services.engine.networks import Networks
from dockyard.services.engine.reading import Reader
from dockyard.services.engine.runner import Runner
from dockyard.services.engine.running import Running
from dockyard.services.engine.server import (
    ContainersServicer,
    ImagesServicer,
    NetworksServicer,
    SystemServicer,
    VolumesServicer,
)
from dockyard.services.engine.sizes import Sizes
from dockyard.services.engine.volumes import Volumes
from google.protobuf import empty_pb2

from .conftest import Rig


class Api:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.containers = rpc.ContainersStub(channel)
        self.images = rpc.ImagesStub(channel)
        self.networks = rpc.NetworksStub(channel)
        self.system = rpc.SystemStub(channel)
        self.volumes = rpc.VolumesStub(channel)


@pytest.fixture
async def api(rig: Rig, tmp_path: Path) -> AsyncIterator[Api]:
    server = grpc.aio.server(interceptors=[ErrorInterceptor("engine")])
    life, store, events = rig.life, rig.store, rig.events
    running = Running(store, life.locks, rig.clients.tasks, events)
    runner = Runner(store, life, rig.clients)
    copier = Copier(store, life.locks, life.mounter, rig.clients.volumes)
    rpc.add_ContainersServicer_to_server(
        ContainersServicer(
            life, Reader(store, Sizes(rig.clients.snapshots, rig.images)), runner, running, copier
        ),
        server,
    )
    volumes = Volumes(rig.clients.volumes, life.mounter.users, events)
    rpc.add_VolumesServicer_to_server(VolumesServicer(volumes), server)
    rpc.add_ImagesServicer_to_server(ImagesServicer(Images(store, rig.images, events)), server)
    networks = Networks(store, life.locks, rig.clients.network, events)
    rpc.add_NetworksServicer_to_server(NetworksServicer(networks), server)
    paths = Paths(tmp_path / "root", tmp_path / "state")
    options = ServiceOptions("engine", paths, DaemonConfig(), tmp_path / "daemon.json")
    rpc.add_SystemServicer_to_server(SystemServicer(options, store, rig.clients, events), server)
    address = f"unix://{tmp_path}/engine.sock"
    server.add_insecure_port(address)
    await server.start()
    channel = bootstrap.dial(address, "dockyardd")
    yield Api(channel)
    await channel.close()
    await server.stop(None)


def _create(name: str, **host: object) -> pb.CreateContainerRequest:
    request = pb.CreateContainerRequest(name=name)
    request.config.image = "busybox"
    request.config.cmd.SetInParent()
    request.config.cmd.values.extend(["sleep", "1d"])
    for key, value in host.items():
        setattr(request.host_config, key, value)
    return request


async def test_create_start_inspect_list_stop_remove(api: Api, rig: Rig) -> None:
    created = await api.containers.Create(_create("web"))
    await api.containers.Start(pb.StartContainerRequest(id="web"))
    found = await api.containers.Inspect(pb.InspectContainerRequest(id="web"))
    assert (found.id, found.name, found.state.status) == (created.id, "web", "running")
    assert list(found.config.cmd.values) == ["sleep", "1d"] and found.path == "sleep"
    assert found.state.HasField("started_at") and not found.state.HasField("finished_at")
    listed = await api.containers.List(pb.ListContainersRequest(filters=["name=web"]))
    assert [c.name for c in listed.containers] == ["web"]
    rig.tasks.ignore_term.add(created.id)
    await api.containers.Stop(pb.StopContainerRequest(id="web", timeout=0, signal="SIGINT"))
    assert rig.tasks.signals_of(created.id) == [2, 9]
    await api.containers.Remove(pb.RemoveContainerRequest(id="web"))
    with pytest.raises(errors.NotFound, match="No such container: web"):
        await api.containers.Inspect(pb.InspectContainerRequest(id="web"))


async def test_sizes_only_when_asked_for(api: Api, rig: Rig) -> None:
    created = await api.containers.Create(_create("sized"))
    rig.snapshots.sizes[created.id] = 4096
    rig.images.images[make_image("busybox").id].size = 1_000_000
    plain = await api.containers.Inspect(pb.InspectContainerRequest(id="sized"))
    listed = await api.containers.List(pb.ListContainersRequest(all=True))
    assert not plain.HasField("size_rw") and not plain.HasField("size_root_fs")
    assert not listed.containers[0].HasField("size_rw")
    assert "snapshots.usage" not in [op for op, _ in rig.faults.calls]  # never measured
    sized = await api.containers.Inspect(pb.InspectContainerRequest(id="sized", size=True))
    assert (sized.size_rw, sized.size_root_fs) == (4096, 1_004_096)
    listed = await api.containers.List(pb.ListContainersRequest(all=True, size=True))
    assert [(c.size_rw, c.size_root_fs) for c in listed.containers] == [(4096, 1_004_096)]
    await api.containers.Remove(pb.RemoveContainerRequest(id="sized"))


async def test_run_streams_the_output_and_the_exit(api: Api, rig: Rig) -> None:
    async def inputs() -> AsyncIterator[pb.RunInput]:
        options = pb.RunOptions(create=_create("runner", auto_remove=True))
        yield pb.RunInput(options=options)
        while not rig.tasks.running():
            yield pb.RunInput(resize=pb.Resize(width=80, height=24))
        (task_id,) = rig.tasks.running()
        rig.tasks.write(task_id, "stderr", b"oops\n")
        rig.tasks.exit(task_id, 1)

    outputs = [o async for o in api.containers.Run(inputs())]
    kinds = [o.WhichOneof("msg") for o in outputs]
    assert kinds == ["container_id", "stderr", "exited"]
    assert (outputs[1].stderr, outputs[2].exited.status_code) == (b"oops\n", 1)
    assert rig.leftovers() == []


async def test_exec_and_wait(api: Api, rig: Rig) -> None:
    created = await api.containers.Create(_create("e"))
    await api.containers.Start(pb.StartContainerRequest(id="e"))

    async def inputs() -> AsyncIterator[pb.ExecInput]:
        yield pb.ExecInput(options=pb.ExecOptions(id="e", cmd=["echo", "hello"]))

    outputs = [o async for o in api.containers.Exec(inputs())]
    assert [o.WhichOneof("msg") for o in outputs] == ["exec_id", "stdout", "exited"]
    assert outputs[1].stdout == b"hello\n"
    rig.tasks.exit(created.id, 5)
    waited = await api.containers.Wait(pb.WaitContainerRequest(id="e"))
    assert waited.status_code == 5
    with pytest.raises(errors.InvalidArgument, match="invalid condition"):
        await api.containers.Wait(pb.WaitContainerRequest(id="e", condition="sometime"))


async def test_images_pass_through(api: Api, rig: Rig) -> None:
    rig.images.registry["alpine:latest"] = make_image("alpine")
    pulled = [p async for p in api.images.Pull(images_pb2.PullRequest(ref="alpine"))]
    assert pulled[-1].image.repo_tags == ["alpine:latest"]
    listed = await api.images.List(images_pb2.ListImagesRequest())
    assert sorted(t for i in listed.images for t in i.repo_tags) == [
        "alpine:latest",
        "busybox:latest",
    ]
    tagged = await api.images.Tag(images_pb2.TagImageRequest(source="alpine", target="mine"))
    assert "mine:latest" in tagged.repo_tags
    removed = await api.images.Remove(images_pb2.RemoveImageRequest(ref="mine"))
    assert list(removed.untagged) == ["mine:latest"]

    async def tarball() -> AsyncIterator[images_pb2.ImportRequest]:
        yield images_pb2.ImportRequest(header=images_pb2.ImportHeader(ref="imported"))
        yield images_pb2.ImportRequest(chunk=b"rootfs bytes")

    imported = await api.images.Import(tarball())
    assert list(imported.repo_tags) == ["imported:latest"]


async def test_networks_and_system(api: Api, rig: Rig) -> None:
    made = await api.networks.Create(network_pb2.CreateNetworkRequest(name="appnet"))
    await api.containers.Create(_create("member"))
    request = pb.NetworkConnectRequest(network="appnet", container="member", aliases=["db"])
    await api.networks.Connect(request)
    found = await api.containers.Inspect(pb.InspectContainerRequest(id="member"))
    assert [e.network for e in found.network_settings.networks] == ["bridge", "appnet"]
    inspected = await api.networks.Inspect(network_pb2.NetworkRequest(id="appnet"))
    assert inspected.id == made.id
    info = await api.system.Info(empty_pb2.Empty())
    assert (info.containers, info.images, info.services["runtime"]) == (1, 1, "ok")
    version = await api.system.Version(empty_pb2.Empty())
    assert version.os == "linux"


async def test_ps_a_again_shows_every_change_since(api: Api, rig: Rig) -> None:
    """`ps -a` keeps what it parsed and converted: each listing still shows every change."""

    async def listing(**request: object) -> list[tuple[str, str]]:
        listed = await api.containers.List(pb.ListContainersRequest(**request))  # type: ignore[arg-type]
        return [(c.name, c.state.status) for c in listed.containers]

    for name in ("one", "two", "three"):
        await api.containers.Create(_create(name))
    assert await listing(all=True) == [("three", "created"), ("two", "created"), ("one", "created")]
    await api.containers.Start(pb.StartContainerRequest(id="two"))
    await api.containers.Rename(pb.RenameContainerRequest(id="one", name="uno"))
    await api.containers.Remove(pb.RemoveContainerRequest(id="three"))
    await api.containers.Create(_create("four"))
    assert await listing(all=True) == [("four", "created"), ("two", "running"), ("uno", "created")]
    assert await listing() == [("two", "running")]
    assert await listing(all=True, filters=["status=created"]) == [
        ("four", "created"),
        ("uno", "created"),
    ]
    assert await listing(all=True, limit=1) == [("four", "created")]
    await api.containers.Kill(pb.KillContainerRequest(id="two", signal="KILL"))
    assert await listing(all=True) == [("four", "created"), ("two", "exited"), ("uno", "created")]
    assert await listing() == []
