"""docker-py's high-level API against Dockyard's docker.sock: the same runs, pulls, execs,
logs and networks a Python program does against Docker — the client suite without the docker
CLI."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import Engine
from tests.support.registry import free_port

docker = pytest.importorskip("docker")

pytestmark = [
    pytest.mark.integration,
    # docker-py leaves the sockets of hijacked exec/attach streams to the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def client(engine: Engine) -> Iterator[object]:
    made = docker.DockerClient(base_url=f"unix://{engine.state / 'docker.sock'}", version="auto")
    yield made
    for network in made.networks.list(filters={"label": "dockyard-test"}):
        for container in made.containers.list(all=True):
            container.remove(force=True)
        network.remove()
    made.close()


def test_ping_version_info(client: object) -> None:
    assert client.ping() is True  # type: ignore[attr-defined]
    assert client.version()["ApiVersion"] == "1.47"  # type: ignore[attr-defined]
    assert client.info()["OSType"] == "linux"  # type: ignore[attr-defined]


def test_pull_and_inspect_an_image(client: object, image: str) -> None:
    repo, _, tag = image.rpartition(":")
    pulled = client.images.pull(repo, tag=tag)  # type: ignore[attr-defined]
    assert image in pulled.tags
    same = client.images.get(image)  # type: ignore[attr-defined]
    assert same.id == pulled.id and same.attrs["RootFS"]["Type"] == "layers"
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("no-such-image:1")  # type: ignore[attr-defined]


def test_run_returns_output_and_raises_on_failure(client: object, image: str) -> None:
    client.images.pull(image)  # type: ignore[attr-defined]
    out = client.containers.run(image, ["echo", "hello"], remove=True)  # type: ignore[attr-defined]
    assert out == b"hello\n"
    with pytest.raises(docker.errors.ContainerError) as failed:
        client.containers.run(image, ["sh", "-c", "echo bad >&2; exit 3"], remove=True)  # type: ignore[attr-defined]
    assert failed.value.exit_status == 3 and b"bad" in failed.value.stderr


def test_run_pulls_what_is_missing(client: object, image: str) -> None:
    for found in client.images.list(name=image.rsplit(":", 1)[0]):  # type: ignore[attr-defined]
        client.images.remove(found.id, force=True)  # type: ignore[attr-defined]
    out = client.containers.run(image, ["true"], remove=True)  # type: ignore[attr-defined]
    assert out == b""


def test_detached_container_logs_exec_wait(client: object, image: str) -> None:
    client.images.pull(image)  # type: ignore[attr-defined]
    port = free_port()
    container = client.containers.run(  # type: ignore[attr-defined]
        image,
        ["sh", "-c", "echo started; exec httpd -f -p 80 -h /etc"],
        detach=True,
        name="pyweb",
        labels={"app": "web"},
        environment={"MODE": "test"},
        ports={"80/tcp": port},
    )
    container.reload()
    assert container.status == "running" and container.labels["app"] == "web"
    assert container.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(port)}]}
    _until(lambda: container.logs() == b"started\n")
    code, output = container.exec_run(["sh", "-c", "echo $MODE; echo err >&2; exit 5"])
    assert (code, output) == (5, b"test\nerr\n")
    code, (out, err) = container.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert (code, out, err) == (0, b"o\n", b"e\n")
    assert [c.name for c in client.containers.list(filters={"label": "app=web"})] == ["pyweb"]  # type: ignore[attr-defined]
    container.stop(timeout=1)
    assert container.wait()["StatusCode"] in (0, 137, 143)
    container.remove()


def _until(check: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "never came true"
        time.sleep(0.1)


def test_attach_socket_sees_a_started_containers_output(client: object, image: str) -> None:
    client.images.pull(image)  # type: ignore[attr-defined]
    container = client.containers.create(image, ["sh", "-c", "echo one; echo two >&2"])  # type: ignore[attr-defined]
    stream = container.attach(stream=True, stdout=True, stderr=True)
    container.start()
    assert b"".join(stream) == b"one\ntwo\n"
    assert container.wait()["StatusCode"] == 0
    container.remove()


def test_networks_and_events(client: object, image: str) -> None:
    client.images.pull(image)  # type: ignore[attr-defined]
    since = int(time.time()) - 1
    network = client.networks.create(  # type: ignore[attr-defined]
        "pynet",
        labels={"dockyard-test": "1"},
        ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.232.9.0/24")]),
    )
    server = client.containers.run(image, ["sleep", "300"], detach=True, name="pyserver")  # type: ignore[attr-defined]
    network.connect(server, aliases=["db"])
    network.reload()
    assert [c.name for c in network.containers] == ["pyserver"]
    out = client.containers.run(
        image, ["ping", "-c", "1", "-W", "5", "db"], network="pynet", remove=True
    )  # type: ignore[attr-defined]
    assert b"1 packets received" in out
    network.disconnect(server)
    server.remove(force=True)
    events = client.events(
        since=since, until=int(time.time()) + 1, decode=True, filters={"type": "network"}
    )  # type: ignore[attr-defined]
    actions = [e["Action"] for e in events if e["Actor"]["Attributes"].get("name") == "pynet"]
    assert actions[0] == "create" and {"connect", "disconnect"} <= set(actions)


def test_exec_ids_match_the_engines_events(client: object, image: str) -> None:
    client.images.pull(image)  # type: ignore[attr-defined]
    container = client.containers.run(image, ["sleep", "300"], detach=True)  # type: ignore[attr-defined]
    since = int(time.time()) - 1
    api = client.api  # type: ignore[attr-defined]
    exec_id = api.exec_create(container.id, ["sh", "-c", "exit 6"])["Id"]
    api.exec_start(exec_id)
    assert api.exec_inspect(exec_id)["ExitCode"] == 6
    events = client.events(  # type: ignore[attr-defined]
        since=since, until=int(time.time()) + 1, decode=True, filters={"container": container.id}
    )
    died = [e for e in events if e["Action"].startswith("exec_die")]
    assert [e["Actor"]["Attributes"]["execID"] for e in died] == [exec_id]
    container.remove(force=True)


def test_build_and_its_failure(client: object, image: str, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        f"FROM {image}\nARG WORD=x\nRUN echo $WORD > /w\nCMD cat /w\n"
    )
    built, logs = client.images.build(path=str(tmp_path), tag="pybuilt:1", buildargs={"WORD": "py"})  # type: ignore[attr-defined]
    try:
        assert "pybuilt:1" in built.tags
        assert any("Successfully built" in line.get("stream", "") for line in logs)
        assert client.containers.run("pybuilt:1", remove=True) == b"py\n"  # type: ignore[attr-defined]
        failing = io.BytesIO(f"FROM {image}\nRUN exit 4\n".encode())
        with pytest.raises(docker.errors.BuildError, match="returned a non-zero code: 4"):
            client.images.build(fileobj=failing)  # type: ignore[attr-defined]
    finally:
        client.images.remove("pybuilt:1", force=True)  # type: ignore[attr-defined]


def test_volumes(client: object, image: str) -> None:
    client.images.pull(image)  # type: ignore[attr-defined]
    volume = client.volumes.create("pyvol", labels={"dockyard-test": "1"})  # type: ignore[attr-defined]
    assert volume.attrs["Labels"] == {"dockyard-test": "1"} and volume.attrs["Driver"] == "local"
    listed = client.volumes.list(filters={"label": "dockyard-test=1"})  # type: ignore[attr-defined]
    assert [v.name for v in listed] == ["pyvol"]
    mounts = {"pyvol": {"bind": "/v", "mode": "rw"}}
    client.containers.run(image, ["sh", "-c", "echo kept > /v/f"], volumes=mounts, remove=True)  # type: ignore[attr-defined]
    out = client.containers.run(image, ["cat", "/v/f"], volumes=["pyvol:/v:ro"], remove=True)  # type: ignore[attr-defined]
    assert out == b"kept\n"
    volume.remove()
    with pytest.raises(docker.errors.NotFound):
        client.volumes.get("pyvol")  # type: ignore[attr-defined]
