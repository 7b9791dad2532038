from __future__ import annotations

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.merge import ImageDefaults, command, merge, process_env
from dockyard.services.engine.model import ContainerConfig

IMAGE = ImageDefaults(
    user="nobody",
    env=("PATH=/bin", "A=image"),
    entrypoint=("/entry",),
    cmd=("serve", "--port=80"),
    working_dir="/srv",
    labels={"a": "1", "b": "2"},
    exposed_ports=("80/tcp",),
    stop_signal="SIGQUIT",
)


def test_unset_fields_come_from_the_image() -> None:
    merged = merge(IMAGE, ContainerConfig())
    assert merged.user == "nobody"
    assert merged.working_dir == "/srv"
    assert merged.stop_signal == "SIGQUIT"
    assert command(merged) == ["/entry", "serve", "--port=80"]


def test_container_env_comes_first_and_wins() -> None:
    merged = merge(IMAGE, ContainerConfig(env=["A=mine", "B=2"]))
    assert merged.env == ["A=mine", "B=2", "PATH=/bin"]


def test_labels_merge_with_the_container_winning() -> None:
    assert merge(IMAGE, ContainerConfig(labels={"b": "x"})).labels == {"a": "1", "b": "x"}


def test_cmd_replaces_the_image_cmd_but_keeps_its_entrypoint() -> None:
    assert command(merge(IMAGE, ContainerConfig(cmd=["sh"]))) == ["/entry", "sh"]


def test_an_entrypoint_drops_the_image_cmd() -> None:
    assert command(merge(IMAGE, ContainerConfig(entrypoint=["/bin/echo"]))) == ["/bin/echo"]


def test_an_empty_entrypoint_resets_it() -> None:
    merged = merge(IMAGE, ContainerConfig(entrypoint=[], cmd=["ls", "/"]))
    assert command(merged) == ["ls", "/"]


def test_no_command_at_all_is_an_error() -> None:
    with pytest.raises(InvalidArgument, match="No command specified"):
        command(merge(ImageDefaults(), ContainerConfig()))


def test_process_env_adds_path_hostname_and_term() -> None:
    env = process_env(ContainerConfig(env=["X=1"], tty=True), "box")
    assert env[0].startswith("PATH=/usr/local/sbin")
    assert "HOSTNAME=box" in env and "TERM=xterm" in env and "X=1" in env


def test_process_env_keeps_the_image_path() -> None:
    env = process_env(ContainerConfig(env=["PATH=/opt"]), "box")
    assert [e for e in env if e.startswith("PATH=")] == ["PATH=/opt"]
