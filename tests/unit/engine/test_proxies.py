"""The gRPC clients over a real gRPC boundary (a UNIX socket, no root): every field of every
message the engine passes on survives the trip into domain types and back, requests carry what
the domain objects say, and errors come back as the classes the service raised."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from dockyard.api import bootstrap, errors
from dockyard.api.status import ErrorInterceptor
from dockyard.images.v1 import images_pb2, images_pb2_grpc
from dockyard.network.v1 import network_pb2, network_pb2_grpc
from dockyard.runtime.v1 import runtime_pb2, runtime_pb2_grpc
from dockyard.services.engine.clients.images import ImportHeader, Platform, RegistryAuth
from dockyard.services.engine.clients.networks import EndpointSpec, NetworkSpec, SandboxSpec
from dockyard.services.engine.clients.proxy.images import ImageProxy
from dockyard.services.engine.clients.proxy.networks import NetworkProxy
from dockyard.services.engine.clients.proxy.snapshots import SnapshotProxy
from dockyard.services.engine.clients.proxy.tasks import TaskProxy
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.clients.tasks import (
    CloseStdin,
    ExecSpec,
    ExecStarted,
    Input,
    NewTask,
    Output,
    Resize,
    Stdin,
    TaskIO,
)
from dockyard.services.engine.convert import from_proto, to_proto
from dockyard.snapshots.v1 import snapshots_pb2, snapshots_pb2_grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

Context = Any


def filled(message: Message, depth: int = 0) -> Message:
    """`message` with every field set to something other than its default."""
    for field in message.DESCRIPTOR.fields:
        name = field.name
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                getattr(message, name)[f"k-{name}"] = f"v-{name}"
            elif field.message_type.full_name == "google.protobuf.Timestamp":
                getattr(message, name).FromSeconds(1_700_000_000)
            elif field.is_repeated:
                filled(getattr(message, name).add(), depth + 1)
            elif depth < 3:
                filled(getattr(message, name), depth + 1)
        elif field.is_repeated:
            getattr(message, name).extend([_scalar(field), _scalar(field)])
        else:
            setattr(message, name, _scalar(field))
    return message


def _scalar(field: FieldDescriptor) -> Any:
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type == FieldDescriptor.TYPE_ENUM:
        return 1
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"bytes"
    if field.type == FieldDescriptor.TYPE_STRING:
        return f"s-{field.name}"
    return 7


class Images(images_pb2_grpc.ImagesServicer):
    def __init__(self) -> None:
        self.image = filled(images_pb2.Image())
        self.requests: list[Message] = []

    async def Get(self, request: images_pb2.GetImageRequest, context: Context) -> Message:
        if request.ref == "missing":
            raise errors.NotFound("No such image: missing")
        return self.image

    async def List(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return images_pb2.ListImagesResponse(images=[self.image, self.image])

    async def Pull(self, request: Message, context: Context) -> AsyncIterator[Message]:
        self.requests.append(request)
        yield images_pb2.PullProgress(id="abc", status="Downloading", current=1, total=2)
        yield images_pb2.PullProgress(status="done", image=self.image)

    async def Unpack(self, request: Message, context: Context) -> AsyncIterator[Message]:
        self.requests.append(request)
        yield images_pb2.PullProgress(id="abc", status="Extracting")

    async def Import(self, requests: AsyncIterator[Message], context: Context) -> Message:
        self.requests.extend([r async for r in requests])
        return self.image

    async def Tag(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return self.image

    async def Remove(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return filled(images_pb2.RemoveImageResponse())


class Snapshots(snapshots_pb2_grpc.SnapshotsServicer):
    async def Prepare(self, request: Any, context: Context) -> Message:
        if request.key == "taken":
            raise errors.AlreadyExists("snapshot taken already exists")
        return snapshots_pb2.MountsResponse(
            mounts=[filled(snapshots_pb2.MountsResponse()).mounts[0]]
        )

    async def Mounts(self, request: Any, context: Context) -> Message:
        return filled(snapshots_pb2.MountsResponse())

    async def Remove(self, request: Any, context: Context) -> Message:
        raise errors.NotFound(f"snapshot {request.key} does not exist")


class Networks(network_pb2_grpc.NetworksServicer):
    def __init__(self) -> None:
        self.sandbox = filled(network_pb2.Sandbox())
        self.network = filled(network_pb2.Network())
        self.requests: list[Message] = []

    async def CreateSandbox(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return self.sandbox

    async def ListSandboxes(self, request: Message, context: Context) -> Message:
        return network_pb2.ListSandboxesResponse(sandboxes=[self.sandbox])

    async def Connect(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return self.sandbox

    async def CreateNetwork(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return self.network

    async def GetNetwork(self, request: Message, context: Context) -> Message:
        return self.network

    async def ListNetworks(self, request: Message, context: Context) -> Message:
        return network_pb2.ListNetworksResponse(networks=[self.network])

    async def PruneNetworks(self, request: Message, context: Context) -> Message:
        return network_pb2.PruneNetworksResponse(removed=["a", "b"])


class Tasks(runtime_pb2_grpc.TasksServicer):
    def __init__(self) -> None:
        self.requests: list[Message] = []

    async def Create(self, request: Message, context: Context) -> Message:
        self.requests.append(request)
        return runtime_pb2.CreateTaskResponse(pid=42)

    async def Wait(self, request: Message, context: Context) -> Message:
        return filled(runtime_pb2.ExitStatus())

    async def Stats(self, request: Message, context: Context) -> Message:
        return filled(runtime_pb2.TaskStats())

    async def List(self, request: Message, context: Context) -> Message:
        task = runtime_pb2.Task(id="t", pid=3, status=runtime_pb2.TASK_STATUS_PAUSED)
        return runtime_pb2.ListTasksResponse(tasks=[task])

    async def Kill(self, request: Any, context: Context) -> Message:
        raise errors.FailedPrecondition(f"task {request.id} is not running")

    async def Attach(
        self, requests: AsyncIterator[Any], context: Context
    ) -> AsyncIterator[Message]:
        first = await anext(requests)
        self.requests.append(first)
        yield runtime_pb2.AttachResponse(attached=True)
        yield runtime_pb2.AttachResponse(stdout=b"out")
        async for request in requests:
            self.requests.append(request)
            if request.close_stdin:
                break
        yield runtime_pb2.AttachResponse(stderr=b"err")

    async def Exec(self, requests: AsyncIterator[Any], context: Context) -> AsyncIterator[Message]:
        self.requests.extend([r async for r in requests])
        yield runtime_pb2.ExecResponse(pid=9)
        yield runtime_pb2.ExecResponse(stderr=b"oops")
        yield runtime_pb2.ExecResponse(exit=runtime_pb2.ExitStatus(exit_code=2))


class Services:
    def __init__(self) -> None:
        self.images, self.snapshots = Images(), Snapshots()
        self.networks, self.tasks = Networks(), Tasks()


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[tuple[Services, grpc.aio.Channel]]:
    server = grpc.aio.server(interceptors=[ErrorInterceptor("fake")])
    found = Services()
    images_pb2_grpc.add_ImagesServicer_to_server(found.images, server)
    snapshots_pb2_grpc.add_SnapshotsServicer_to_server(found.snapshots, server)
    network_pb2_grpc.add_NetworksServicer_to_server(found.networks, server)
    runtime_pb2_grpc.add_TasksServicer_to_server(found.tasks, server)
    address = f"unix://{tmp_path}/fake.sock"
    server.add_insecure_port(address)
    await server.start()
    channel = bootstrap.dial(address, "fake")
    yield found, channel
    await channel.close()
    await server.stop(None)


async def _inputs(*items: Input) -> AsyncIterator[Input]:
    for item in items:
        yield item


async def test_images_pass_through_whole(services: tuple[Services, grpc.aio.Channel]) -> None:
    found, channel = services
    proxy = ImageProxy(channel)
    image = await proxy.get("busybox")
    assert to_proto(image, images_pb2.Image()) == found.images.image
    assert [
        to_proto(i, images_pb2.Image()) for i in await proxy.list_images(["dangling=true"])
    ] == [found.images.image] * 2
    with pytest.raises(errors.NotFound, match="No such image: missing"):
        await proxy.get("missing")
    await proxy.unpack("busybox")
    assert found.images.requests[-1] == images_pb2.UnpackRequest(ref="busybox")
    removal = await proxy.remove("busybox", force=True)
    assert to_proto(removal, images_pb2.RemoveImageResponse()) == filled(
        images_pb2.RemoveImageResponse()
    )


async def test_pull_and_import_requests(services: tuple[Services, grpc.aio.Channel]) -> None:
    found, channel = services
    proxy = ImageProxy(channel)
    auth = from_proto(RegistryAuth, filled(images_pb2.RegistryAuth()))
    platform = Platform("linux", "arm64", "v8")
    progress = [p async for p in proxy.pull("busybox", auth, platform)]
    assert (progress[0].current, progress[0].total, progress[0].image) == (1, 2, None)
    assert progress[1].image is not None and progress[1].image.id == "s-id"
    pulled = found.images.requests[-1]
    assert pulled == images_pb2.PullRequest(
        ref="busybox",
        auth=filled(images_pb2.RegistryAuth()),
        platform=to_proto(platform, pulled.platform),  # type: ignore[attr-defined]
    )
    header = from_proto(ImportHeader, filled(images_pb2.ImportHeader()))
    await proxy.import_image(header, _chunks(b"a", b"b"))
    sent = found.images.requests[-3:]
    assert sent[0] == images_pb2.ImportRequest(header=filled(images_pb2.ImportHeader()))
    assert [r.chunk for r in sent[1:]] == [b"a", b"b"]


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_snapshots(services: tuple[Services, grpc.aio.Channel]) -> None:
    _, channel = services
    proxy = SnapshotProxy(channel)
    mounts = await proxy.mounts("c")
    assert mounts == [Mount("s-type", "s-source", "s-target", ["s-options", "s-options"])]
    assert len(await proxy.prepare("c", "parent")) == 1
    with pytest.raises(errors.AlreadyExists):
        await proxy.prepare("taken", "")
    with pytest.raises(errors.NotFound):
        await proxy.remove("gone")


async def test_sandboxes_and_networks_pass_through_whole(
    services: tuple[Services, grpc.aio.Channel],
) -> None:
    found, channel = services
    proxy = NetworkProxy(channel)
    spec = from_proto(SandboxSpec, filled(network_pb2.CreateSandboxRequest()))
    sandbox = await proxy.create_sandbox(spec)
    assert found.networks.requests[-1] == filled(network_pb2.CreateSandboxRequest())
    assert to_proto(sandbox, network_pb2.Sandbox()) == found.networks.sandbox
    listed = await proxy.list_sandboxes()
    assert [to_proto(s, network_pb2.Sandbox()) for s in listed] == [found.networks.sandbox]
    network_spec = from_proto(NetworkSpec, filled(network_pb2.CreateNetworkRequest()))
    network = await proxy.create_network(network_spec)
    assert found.networks.requests[-1] == filled(network_pb2.CreateNetworkRequest())
    assert to_proto(network, network_pb2.Network()) == found.networks.network
    assert to_proto(await proxy.get_network("n"), network_pb2.Network()) == found.networks.network
    assert len(await proxy.list_networks()) == 1
    assert await proxy.prune_networks() == ["a", "b"]
    await proxy.connect("c", EndpointSpec("n", ["alias"], "10.0.0.9"))
    assert found.networks.requests[-1] == network_pb2.ConnectRequest(
        container_id="c",
        endpoint=network_pb2.EndpointRequest(
            network="n", aliases=["alias"], ipv4_address="10.0.0.9"
        ),
    )


async def test_task_requests_and_replies(services: tuple[Services, grpc.aio.Channel]) -> None:
    found, channel = services
    proxy = TaskProxy(channel)
    io = TaskIO(True, True, "/log", 100, 3, Resize(80, 24))
    task = NewTask("t", {"process": {"args": ["sh"]}}, [Mount("bind", "/src")], io, "runc")
    assert await proxy.create(task) == 42
    created = found.tasks.requests[-1]
    assert created == runtime_pb2.CreateTaskRequest(
        id="t",
        spec=b'{"process": {"args": ["sh"]}}',
        rootfs=[created.rootfs[0]],  # type: ignore[attr-defined]
        io=runtime_pb2.IOConfig(
            terminal=True,
            stdin=True,
            log_path="/log",
            log=runtime_pb2.LogOptions(max_size=100, max_files=3),
            console_size=runtime_pb2.Resize(width=80, height=24),
        ),
        runtime="runc",
    )
    status = await proxy.wait("t")
    assert (status.exit_code, status.oom_killed, status.error) == (7, True, "s-error")
    assert status.exited_at is not None and status.exited_at.timestamp() == 1_700_000_000
    stats = await proxy.stats("t")
    assert stats.memory_usage == 7 and stats.pids_limit == 7
    assert [(t.id, t.pid, t.status) for t in await proxy.list_tasks()] == [("t", 3, "paused")]
    with pytest.raises(errors.FailedPrecondition, match="not running"):
        await proxy.kill("t", 9)


async def test_attach_and_exec_streams(services: tuple[Services, grpc.aio.Channel]) -> None:
    found, channel = services
    proxy = TaskProxy(channel)
    inputs = _inputs(Stdin(b"in"), Resize(100, 30), CloseStdin())
    output = await proxy.attach("t", True, inputs)
    assert [o async for o in output] == [Output("stdout", b"out"), Output("stderr", b"err")]
    assert found.tasks.requests[-4:] == [
        runtime_pb2.AttachRequest(
            start=runtime_pb2.AttachStart(id="t", stdin=True, stdout=True, stderr=True)
        ),
        runtime_pb2.AttachRequest(stdin=b"in"),
        runtime_pb2.AttachRequest(resize=runtime_pb2.Resize(width=100, height=30)),
        runtime_pb2.AttachRequest(close_stdin=True),
    ]
    spec = ExecSpec("t", "e", {"args": ["ls"]}, terminal=True, size=Resize(1, 2))
    events = [e async for e in proxy.exec(spec, _inputs(Stdin(b"x")))]
    assert events[:2] == [ExecStarted(9), Output("stderr", b"oops")]
    assert events[2].exit_code == 2  # type: ignore[union-attr]
    start = found.tasks.requests[-2].start  # type: ignore[attr-defined]
    assert (start.exec_id, start.process, start.terminal, start.size.width) == (
        "e",
        b'{"args": ["ls"]}',
        True,
        1,
    )
    assert found.tasks.requests[-1] == runtime_pb2.ExecRequest(stdin=b"x")
