"""`ps --filter`: values of one key match any, but every label filter must match (docker's)."""

from __future__ import annotations

from datetime import UTC, datetime

from dockyard.services.engine import filters
from dockyard.services.engine.model import Container, ContainerConfig, HostConfig


def _container(name: str, **labels: str) -> Container:
    config = ContainerConfig(image="busybox", labels=labels)
    return Container(name, name, datetime.now(UTC), "sha256:1", config, HostConfig())


def _names(*items: str) -> list[str]:
    match = filters.matcher(filters.parse(list(items)), lambda _: set())
    every = [_container("both", role="db", tier="1"), _container("db", role="db")]
    return [c.name for c in every if match(c)]


def test_every_label_must_match() -> None:
    assert _names("label=role=db", "label=tier=1") == ["both"]
    assert _names("label=role=db") == ["both", "db"]


def test_other_keys_match_any_of_their_values() -> None:
    assert _names("name=^db$", "name=^both$") == ["both", "db"]
