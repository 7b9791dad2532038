from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dockyard.api.errors import AlreadyExists, InvalidArgument, NotFound
from dockyard.services.engine.model import Container, ContainerConfig, HostConfig
from dockyard.services.engine.store import ContainerStore


def _container(cid: str, name: str, age: int = 0) -> Container:
    return Container(
        id=cid,
        name=name,
        created=datetime.now(UTC) - timedelta(seconds=age),
        image="sha256:1",
        config=ContainerConfig(cmd=["true"]),
        host_config=HostConfig(),
    )


@pytest.fixture
def store(tmp_path: Path) -> ContainerStore:
    s = ContainerStore(tmp_path / "c.db")
    s.add(_container("abc123" + "0" * 58, "first", age=10))
    s.add(_container("abd456" + "0" * 58, "second"))
    return s


def test_lookup_by_id_name_and_prefix(store: ContainerStore) -> None:
    assert store.get("first").id.startswith("abc123")
    assert store.get("/second").id.startswith("abd456")
    assert store.get("abc").name == "first"


def test_an_ambiguous_prefix_is_an_error(store: ContainerStore) -> None:
    with pytest.raises(InvalidArgument, match="multiple IDs"):
        store.get("ab")


def test_unknown_is_not_found(store: ContainerStore) -> None:
    with pytest.raises(NotFound, match="No such container: nope"):
        store.get("nope")


def test_a_name_clash_says_who_has_it(store: ContainerStore) -> None:
    with pytest.raises(AlreadyExists, match='"/first" is already in use by container "abc123'):
        store.add(_container("f" * 64, "first"))


def test_list_is_newest_first_and_survives_reopening(store: ContainerStore, tmp_path: Path) -> None:
    store.close()
    again = ContainerStore(tmp_path / "c.db")
    assert [c.name for c in again.list()] == ["second", "first"]


def test_a_name_that_is_an_id_prefix_of_another_prefers_the_name(store: ContainerStore) -> None:
    store.add(_container("e" * 64, "abc"))
    assert store.get("abc").id == "e" * 64
