"""Legacy links: parsed, registered at create and found at start as dockerd does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dockyard.api import errors
from dockyard.services.engine import links
from dockyard.services.engine.merge import process_env
from dockyard.services.engine.model import (
    Container,
    ContainerConfig,
    ContainerState,
    EndpointSettings,
    HostConfig,
    NetworkSettings,
)


def container(name: str, mode: str = "default", running: bool = True, **host: object) -> Container:
    return Container(
        id=name * 8,
        name=name,
        created=datetime.now(UTC),
        image="sha256:x",
        config=ContainerConfig(image="busybox", hostname=f"{name}host", env=["K=v"]),
        host_config=HostConfig(network_mode=mode, **host),  # type: ignore[arg-type]
        state=ContainerState(status="running" if running else "exited", running=running),
        network_settings=NetworkSettings(
            [EndpointSettings(network="bridge", ip_address="10.199.0.9" if running else "")]
            if mode in ("default", "bridge")
            else [EndpointSettings(network=mode)]
        ),
    )


def finder(*found: Container) -> links.FindContainer:
    def find(ref: str) -> Container:
        for c in found:
            if ref in (c.name, c.id):
                return c
        raise errors.NotFound(f"No such container: {ref}")

    return find


@pytest.mark.parametrize(
    ("value", "expected"),
    [("db", ("db", "db")), ("db:d", ("db", "d")), ("/db:/web/d", ("db", "d"))],
)
def test_parse(value: str, expected: tuple[str, str]) -> None:
    assert links.parse(value) == expected


def test_register_keeps_inspects_form_and_follows_container_modes() -> None:
    db, shared = container("db"), container("sh", mode="container:" + "db" * 8)
    host = HostConfig(network_mode="default", links=["db:d", "sh", "db:d"])
    assert links.register(host, "web", finder(db, shared)) == ["/db:/web/d", "/db:/web/sh"]


def test_register_refusals_and_user_networks() -> None:
    with pytest.raises(errors.InvalidArgument, match="could not get container for x: No such"):
        links.register(HostConfig(network_mode="default", links=["x"]), "web", finder())
    with pytest.raises(errors.InvalidArgument, match="host type networking"):
        links.register(HostConfig(network_mode="host", links=["x"]), "web", finder())
    hosted = container("h", mode="host")
    with pytest.raises(errors.InvalidArgument, match="host type networking"):
        links.register(HostConfig(network_mode="default", links=["h"]), "web", finder(hosted))
    assert links.register(HostConfig(network_mode="mynet", links=["x:y"]), "web", finder()) == []


def test_start_checks_then_hosts_and_environment() -> None:
    db, web = container("db"), container("web", links=["/db:/web/d", "/db:/web/db"])
    linked = links.linked(web, finder(db))
    assert links.hosts(linked) == ["d dbhost db:10.199.0.9", "db dbhost:10.199.0.9"]
    assert links.environment(linked)[-2:] == ["DB_NAME=/web/db", "DB_ENV_K=v"]
    stopped = container("db", running=False)
    with pytest.raises(errors.FailedPrecondition, match="non running container: /db AS /web/d"):
        links.linked(web, finder(stopped))
    elsewhere = container("db", mode="mynet")
    with pytest.raises(errors.FailedPrecondition, match="does not belong to the default network"):
        links.linked(web, finder(elsewhere))
    with pytest.raises(errors.FailedPrecondition, match="non running container: /db AS /web/d"):
        links.linked(web, finder())  # removed since
    assert links.linked(container("n", mode="none", links=["/db:/n/d"]), finder()) == []


def test_without_link() -> None:
    db, web = container("db"), container("web", links=["/db:/web/d"])
    assert links.without_link("web/d", finder(db, web)).host_config.links == []
    with pytest.raises(errors.NotFound, match="No such container: web/x"):
        links.without_link("web/x", finder(db, web))
    with pytest.raises(errors.FailedPrecondition, match="cannot remove the default link name"):
        links.without_link("db", finder(db, web))


def test_process_env_puts_links_before_the_containers_own() -> None:
    config = ContainerConfig(image="x", env=["A=1", "D_NAME=mine"])
    env = process_env(config, "h", ["D_PORT=tcp://x:1", "D_NAME=/p/d"])
    assert env == ["PATH=" + env[0][5:], "HOSTNAME=h", "D_PORT=tcp://x:1", "D_NAME=mine", "A=1"]


def test_renamed_follows_the_child_and_the_parent() -> None:
    kept = ["/db:/web/d", "/cache:/web/c"]
    assert links.renamed(kept, "db", "pg") == ["/pg:/web/d", "/cache:/web/c"]
    assert links.renamed(kept, "web", "app") == ["/db:/app/d", "/cache:/app/c"]
    assert links.renamed(["/w:/w/self"], "w", "v") == ["/v:/v/self"]
