from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine import spec
from dockyard.services.engine.model import Container, ContainerConfig, HostConfig


def _container(**config: object) -> Container:
    return Container(
        id="c" * 64,
        name="x",
        created=datetime.now(UTC),
        image="sha256:" + "1" * 64,
        config=ContainerConfig(cmd=["echo", "hi"], **config),  # type: ignore[arg-type]
        host_config=HostConfig(network_mode="none"),
    )


INPUTS = spec.SpecInputs(hostname="box", netns_path="/run/x/netns/c", cgroup_parent="dockyard")


def test_docker_defaults() -> None:
    doc = spec.build(_container(), INPUTS)
    assert doc["process"]["args"] == ["echo", "hi"]
    assert doc["process"]["cwd"] == "/"
    assert doc["process"]["user"] == {"uid": 0, "gid": 0}
    assert set(doc["process"]["capabilities"]["bounding"]) == set(spec.DEFAULT_CAPABILITIES)
    assert "CAP_SYS_ADMIN" not in doc["process"]["capabilities"]["effective"]
    kinds = {ns["type"] for ns in doc["linux"]["namespaces"]}
    assert kinds == {"pid", "ipc", "uts", "mount", "cgroup", "network"}
    assert {"type": "network", "path": "/run/x/netns/c"} in doc["linux"]["namespaces"]
    assert doc["linux"]["cgroupsPath"] == "/dockyard/" + "c" * 64
    assert "/proc/kcore" in doc["linux"]["maskedPaths"]
    assert "/proc/sys" in doc["linux"]["readonlyPaths"]
    assert [m["destination"] for m in doc["mounts"]][:3] == ["/proc", "/dev", "/dev/pts"]
    assert doc["hostname"] == "box"


def test_host_network_has_no_network_namespace() -> None:
    inputs = spec.SpecInputs(hostname="h", netns_path=None, cgroup_parent="p")
    kinds = {ns["type"] for ns in spec.build(_container(), inputs)["linux"]["namespaces"]}
    assert "network" not in kinds


def test_numeric_user_is_numeric_and_annotated() -> None:
    doc = spec.build(_container(user="1000:100"), INPUTS)
    assert doc["process"]["user"] == {"uid": 1000, "gid": 100}
    assert doc["annotations"] == {spec.USER_ANNOTATION: "1000:100"}


def test_named_user_is_left_to_the_shim() -> None:
    doc = spec.build(_container(user="nobody:wheel"), INPUTS)
    assert doc["process"]["user"] == {"uid": 0, "gid": 0}
    assert doc["annotations"] == {spec.USER_ANNOTATION: "nobody:wheel"}


def test_network_files_are_bind_mounted() -> None:
    inputs = spec.SpecInputs("h", None, "p", hosts_path="/s/hosts", resolv_conf_path="/s/resolv")
    binds = {
        m["destination"]: m["source"]
        for m in spec.build(_container(), inputs)["mounts"]
        if m["type"] == "bind"
    }
    assert binds == {"/etc/hosts": "/s/hosts", "/etc/resolv.conf": "/s/resolv"}


def test_device_cgroup_rules_become_allow_rules_or_dockers_error() -> None:
    assert spec.cgroup_rules(["c 1:3 mr", "b *:* w"]) == [
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "mr"},
        {"allow": True, "type": "b", "access": "w"},
    ]
    with pytest.raises(InvalidArgument, match=r"^invalid device cgroup rule format: 'c 1 r'$"):
        spec.cgroup_rules(["c 1 r"])


@pytest.mark.parametrize(
    ("parent", "path"),
    [
        ("", "/dockyard/ID"),  # none: the engine's, from the root
        ("/cgp/test", "/cgp/test/ID"),  # moby's TestRunContainerWithCgroupParent (absolute)
        ("test", "test/ID"),  # ... (relative: the runtime places it below its own cgroup)
        ("../../../../../../../../SHOULD_NOT_EXIST", "SHOULD_NOT_EXIST/ID"),  # moby's
        ("/../../../../../../../../SHOULD_NOT_EXIST", "/SHOULD_NOT_EXIST/ID"),  # TestRunInvalid…
        ("a/../../b", "b/ID"),
        ("//a//./b/", "/a/b/ID"),
        ("/", "/ID"),
        ("..", "ID"),
    ],
)
def test_the_cgroups_path_is_the_parents_joined_and_cleaned_as_docker_and_runc_do(
    parent: str, path: str
) -> None:
    assert spec.cgroups_path(parent, "dockyard", "ID") == path


def test_a_containers_own_cgroup_parent_reaches_the_spec() -> None:
    container = _container()
    container.host_config.cgroup_parent = "/elsewhere"
    assert spec.build(container, INPUTS)["linux"]["cgroupsPath"] == "/elsewhere/" + "c" * 64


def test_parts_that_could_be_a_containers_cgroup_are_named() -> None:
    cid = "ab" * 32
    assert spec.named_containers(f"/dockyard/{cid}") == [cid]
    assert spec.named_containers(f"x/{cid}/y") == [cid]
    assert spec.named_containers(f"/dockyard/{cid[:12]}") == []
    assert spec.named_containers("/dockyard") == []
