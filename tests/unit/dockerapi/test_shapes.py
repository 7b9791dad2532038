"""docker's JSON shapes from the engine's messages: list entries, inspect, events, pull progress."""

from __future__ import annotations

import time
from pathlib import Path

from dockyard.api import containerjson as container_json
from dockyard.engine.v1 import engine_pb2
from dockyard.images.v1 import images_pb2
from dockyard.services.dockerapi import system
from dockyard.services.dockerapi.images import familiar, history_json, image_json, progress_json
from dockyard.services.dockerapi.system import event_json
from dockyard.services.dockerapi.transfers import PUSHED, _aux


def _container(status: str = "running", **state: object) -> engine_pb2.Container:
    c = engine_pb2.Container(id="ab" * 32, name="web", path="httpd", args=["-f"], image="sha256:1")
    c.state.status = status
    for key, value in state.items():
        setattr(c.state, key, value)
    c.state.started_at.FromSeconds(int(time.time()) - 125)
    c.state.finished_at.FromSeconds(int(time.time()) - 3)
    c.config.image = "busybox"
    c.config.exposed_ports.extend(["80/tcp", "53/udp"])
    c.network_settings.ports.add(container_port="80/tcp", host_ip="0.0.0.0", host_port="8080")
    c.network_settings.networks.add(network="appnet", aliases=["api"], ip_address="10.1.0.2")
    c.host_config.network_mode = "appnet"
    return c


def test_statuses_read_as_dockers() -> None:
    assert container_json.status(_container("running")) == "Up 2 minutes"
    assert container_json.status(_container("paused", paused=True)) == "Up 2 minutes (Paused)"
    assert container_json.status(_container("exited", exit_code=3)) == "Exited (3) 3 seconds ago"
    assert container_json.status(_container("created")) == "Created"


def test_list_entry_ports_and_networks() -> None:
    doc = container_json.summary(_container())
    assert doc["Names"] == ["/web"] and doc["Command"] == "httpd -f"
    assert doc["Ports"] == [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 53, "Type": "udp"},
    ]
    assert doc["NetworkSettings"]["Networks"]["appnet"]["IPAddress"] == "10.1.0.2"


def test_aliases_carry_the_short_id_before_api_1_45() -> None:
    c = _container()
    old = container_json.inspect(c, (1, 38))["NetworkSettings"]["Networks"]["appnet"]
    new = container_json.inspect(c, (1, 47))["NetworkSettings"]["Networks"]["appnet"]
    assert old["Aliases"] == ["api", c.id[:12]] and new["Aliases"] == ["api"]
    assert new["DNSNames"] == ["web", c.id[:12], "api"]


def test_inspect_has_dockers_defaults_and_exposed_ports_unbound() -> None:
    doc = container_json.inspect(_container(), (1, 47))
    assert doc["HostConfig"]["ShmSize"] == 64 * 1024 * 1024 and doc["HostConfig"]["Ulimits"] == []
    assert doc["NetworkSettings"]["Ports"] == {
        "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}],
        "53/udp": None,
    }
    assert doc["Config"]["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}


def test_image_inspect_keeps_container_config_for_old_clients() -> None:
    image = images_pb2.Image(id="sha256:1", repo_tags=["docker.io/library/busybox:latest"])
    image.config.volumes.append("/data")
    assert image_json(image, (1, 38))["ContainerConfig"]["Image"] == ""
    assert "ContainerConfig" not in image_json(image, (1, 47))
    assert image_json(image)["RepoTags"] == ["busybox:latest"]
    assert image_json(image)["Config"]["Volumes"] == {"/data": {}}


def test_familiar_names() -> None:
    assert familiar("docker.io/library/busybox:1") == "busybox:1"
    assert familiar("docker.io/me/tool:1") == "me/tool:1"
    assert familiar("127.0.0.1:5000/library/busybox:1") == "127.0.0.1:5000/library/busybox:1"


def test_pull_progress_has_a_bar_and_details() -> None:
    line = progress_json(
        images_pb2.PullProgress(id="abc", status="Downloading", current=50, total=100)
    )
    assert line["progressDetail"] == {"current": 50, "total": 100} and line["id"] == "abc"
    assert line["progress"].startswith("[" + "=" * 24 + ">")
    assert progress_json(images_pb2.PullProgress(status="Digest: sha256:1")) == {
        "status": "Digest: sha256:1"
    }


def test_container_events_carry_the_legacy_fields() -> None:
    event = engine_pb2.Event(
        type="container", action="start", actor_id="c1", attributes={"image": "busybox"}
    )
    event.time.FromNanoseconds(1_700_000_000_123_456_789)
    doc = event_json(event)
    assert (doc["status"], doc["id"], doc["from"]) == ("start", "c1", "busybox")
    assert (doc["time"], doc["timeNano"]) == (1_700_000_000, 1_700_000_000_123_456_789)
    network = event_json(engine_pb2.Event(type="network", action="create", actor_id="n1"))
    assert "status" not in network and network["Actor"]["ID"] == "n1"


def test_history_entries_read_as_dockers() -> None:
    entry = engine_pb2.HistoryEntry(
        id="<missing>", created_by="/bin/sh -c make", size=42, tags=["docker.io/library/app:1"]
    )
    entry.created.FromSeconds(1_700_000_000)
    assert history_json(entry) == {
        "Comment": "",
        "Created": 1_700_000_000,
        "CreatedBy": "/bin/sh -c make",
        "Id": "<missing>",
        "Size": 42,
        "Tags": ["app:1"],
    }
    assert history_json(engine_pb2.HistoryEntry())["Tags"] is None


def test_a_push_ends_with_its_aux() -> None:
    line = f"v1: digest: sha256:{'a' * 64} size: 527"
    pushed = PUSHED.match(line)
    assert pushed is not None
    assert _aux(pushed) == {"Tag": "v1", "Digest": f"sha256:{'a' * 64}", "Size": 527}


def test_info_says_the_bridge_nf_settings_as_the_host_has_them() -> None:
    """docker's client warns "bridge-nf-call-iptables is disabled" when the key is false or
    missing: it is read from /proc/sys, as dockerd reads it."""
    doc = system.info_json(
        engine_pb2.InfoResponse(security_options=["name=seccomp,profile=default"])
    )
    for key, name in (("BridgeNfIptables", "iptables"), ("BridgeNfIp6tables", "ip6tables")):
        path = Path(f"/proc/sys/net/bridge/bridge-nf-call-{name}")
        assert doc[key] == (path.exists() and path.read_text().strip() == "1")
    assert doc["SecurityOptions"] == ["name=seccomp,profile=default"]


def test_image_list_entries_name_the_nameless_as_docker_20_10s() -> None:
    """Recorded from dockerd 20.10.24 (GET /v1.41/images/json): an untagged build gives
    placeholders; an imported, tagged image has null RepoDigests. Later APIs: plain lists."""
    from dockyard.services.dockerapi.images import image_summary

    nameless = images_pb2.Image(id="sha256:aa")
    tagged = images_pb2.Image(id="sha256:bb", repo_tags=["busybox:latest"])
    old = [image_summary(i, (1, 41)) for i in (nameless, tagged)]
    assert [(d["RepoTags"], d["RepoDigests"]) for d in old] == [
        (["<none>:<none>"], ["<none>@<none>"]),
        (["busybox:latest"], None),
    ]
    new = [image_summary(i, (1, 47)) for i in (nameless, tagged)]
    assert [(d["RepoTags"], d["RepoDigests"]) for d in new] == [([], []), (["busybox:latest"], [])]
