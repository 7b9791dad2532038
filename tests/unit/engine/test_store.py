from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.api.errors import AlreadyExists, InvalidArgument, NotFound
from dockyard.services.engine.model import MountPoint
from dockyard.services.engine.store import ContainerStore

from tests.unit.engine.records import record


@pytest.fixture
def store(tmp_path: Path) -> ContainerStore:
    s = ContainerStore(tmp_path / "c.db")
    s.add(record("first", age=10, cid="abc123" + "0" * 58))
    s.add(record("second", cid="abd456" + "0" * 58))
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
        store.add(record("first", cid="f" * 64))


def test_list_is_newest_first_and_survives_reopening(store: ContainerStore, tmp_path: Path) -> None:
    store.close()
    again = ContainerStore(tmp_path / "c.db")
    assert [c.name for c in again.list()] == ["second", "first"]


def test_a_name_that_is_an_id_prefix_of_another_prefers_the_name(store: ContainerStore) -> None:
    store.add(record("abc", cid="e" * 64))
    assert store.get("abc").id == "e" * 64


def _with_status(store: ContainerStore, name: str, status: str, image: str = "sha256:1") -> None:
    c = record(name)
    c.state.status, c.image = status, image
    store.add(c)


def test_running_only_reads_running_paused_and_restarting(store: ContainerStore) -> None:
    for status in ("running", "paused", "restarting", "exited"):
        _with_status(store, status, status)
    assert [c.name for c in store.each(running_only=True)] == ["restarting", "paused", "running"]
    assert len(list(store.each())) == 6


def test_image_users_and_counts(store: ContainerStore) -> None:
    _with_status(store, "web", "running", image="sha256:2")
    assert [c.name for c in store.using_image("sha256:2")] == ["web"]
    assert [c.name for c in store.using_image("sha256:1")] == ["second", "first"]
    assert store.count_by_status() == {"created": 2, "running": 1}


def test_prefixes_are_a_range_of_ids(store: ContainerStore) -> None:
    assert store.get("abd4").name == "second"
    assert store.get("abc123" + "0" * 58).name == "first"
    with pytest.raises(NotFound):
        store.get("abe")
    with pytest.raises(NotFound):
        store.get("abcf")


def test_no_lookup_reads_every_record(store: ContainerStore) -> None:
    """What create, inspect, ps and rm ask of the store is answered through an index: SQLite
    plans no scan of the table (a scan reads every record, and grew with every container)."""
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    _with_status(store, "web", "running")
    web = store.get("web")
    store.get(web.id)
    store.get(web.id[:10])
    with pytest.raises(NotFound):
        store.get("nothing")
    list(store.each(running_only=True))
    store.using_image("sha256:1")
    web.state.status = "exited"
    store.update(web)
    store.remove(web.id)
    store._db.set_trace_callback(None)
    plans = [
        str(store._db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    ]
    assert len(plans) >= 8
    assert not [p for p in plans if "SCAN containers" in p], plans


def test_volume_users_are_the_containers_mounting_that_volume_newest_first(
    store: ContainerStore,
) -> None:
    """Answered by SQLite from the records as stored (`rm -v`, `run --rm` and `volume ls`
    ask it of every container): a bind or a tmpfs at a path of that name is no user."""
    mounts = {
        "old": [MountPoint("volume", "/data", name="shared")],
        "new": [MountPoint("tmpfs", "/t"), MountPoint("volume", "/d", name="shared", rw=False)],
        "anon": [MountPoint("volume", "/v", name="f00d", anonymous=True)],
        "bind": [MountPoint("bind", "/b", name="shared", source="/srv/shared")],
    }
    for age, (name, points) in enumerate(reversed(mounts.items())):
        container = record(name, age=age)
        container.mounts = points
        store.add(container)
    ids = {name: store.get(name).id for name in mounts}
    assert store.volume_users("shared") == [ids["new"], ids["old"]]
    assert store.volume_users("f00d") == [ids["anon"]]
    assert store.volume_users("nothing") == []


def test_linking_to_finds_running_parents_with_each_alias(store: ContainerStore) -> None:
    parent = record("web", cid="ee" * 32)
    parent.host_config.links = ["/first:/web/a", "/first:/web/b", "/firstly:/web/c"]
    parent.state.status = "running"
    stopped = record("idle", cid="ff" * 32)
    stopped.host_config.links = ["/first:/idle/a"]
    store.add(parent)
    store.add(stopped)
    assert [(c.name, alias) for c, alias in store.linking_to("first")] == [
        ("web", "a"),
        ("web", "b"),
    ]
    assert store.linking_to("second") == []
