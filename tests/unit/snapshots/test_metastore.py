"""Snapshot records: keys, kinds, parents, commits, chains; short integer IDs."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.api.errors import AlreadyExists, NotFound
from dockyard.services.snapshots.metastore import MetaStore


@pytest.fixture
def meta(tmp_path: Path) -> MetaStore:
    return MetaStore(tmp_path / "metadata.db")


def test_add_get_and_short_ids(meta: MetaStore) -> None:
    first = meta.add("a", "active", "", {"k": "v"})
    second = meta.add("b", "view", "", {})
    assert (first.key, first.kind, first.parent, first.labels) == ("a", "active", "", {"k": "v"})
    assert second.id == first.id + 1
    assert meta.get("a") == first
    with pytest.raises(AlreadyExists):
        meta.add("a", "active", "", {})
    with pytest.raises(NotFound):
        meta.get("nope")


def test_commit_renames_and_freezes(meta: MetaStore) -> None:
    active = meta.add("extract-1", "active", "", {})
    meta.commit("extract-1", "sha256:layer", {"done": "yes"})
    committed = meta.get("sha256:layer")
    assert (committed.id, committed.kind, committed.labels) == (
        active.id,
        "committed",
        {"done": "yes"},
    )
    with pytest.raises(NotFound):
        meta.get("extract-1")
    meta.add("extract-2", "active", "", {})
    with pytest.raises(AlreadyExists):
        meta.commit("extract-2", "sha256:layer", {})


def test_children_and_chains(meta: MetaStore) -> None:
    meta.add("base", "committed", "", {})
    meta.add("mid", "committed", "base", {})
    meta.add("top", "active", "mid", {})
    meta.add("other", "view", "mid", {})
    assert sorted(meta.children("mid")) == ["other", "top"]
    assert [r.key for r in meta.chain("top")] == ["top", "mid", "base"]
    meta.remove("other")
    assert meta.children("mid") == ["top"]
    assert {r.key for r in meta.all()} == {"base", "mid", "top"}


def test_records_survive_a_reopen(tmp_path: Path) -> None:
    first = MetaStore(tmp_path / "metadata.db")
    first.add("kept", "committed", "", {"a": "b"})
    first.close()
    assert MetaStore(tmp_path / "metadata.db").get("kept").labels == {"a": "b"}


def test_no_look_up_reads_every_record(meta: MetaStore) -> None:
    """A container's snapshot is made, asked for and removed beside thousands of others: each
    statement finds its rows by an index (issue 17: costs that do not grow)."""
    meta.add("layer", "committed", "", {})
    statements: list[str] = []
    meta._db.set_trace_callback(statements.append)
    meta.add("container", "active", "layer", {})
    meta.get("container")
    meta.children("layer")
    meta.children("container")
    meta.remove("container")
    meta._db.set_trace_callback(None)
    plans = [
        str(meta._db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        for sql in statements
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))
    ]
    assert len(plans) >= 4
    assert not [p for p in plans if "SCAN snapshots" in p], plans
