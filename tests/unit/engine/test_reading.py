"""The reader's `ps -a`: a record parsed once is not parsed again while it is unchanged, and
a change, a new container or a removed one shows in the next listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.services.engine import reading
from dockyard.services.engine.model import Container
from dockyard.services.engine.reading import Reader
from dockyard.services.engine.store import ContainerStore

from tests.unit.engine.records import record


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The records the reader parses, in order."""
    texts: list[str] = []
    real = reading.load

    def counting(text: str) -> Container:
        texts.append(text)
        return real(text)

    monkeypatch.setattr(reading, "load", counting)
    return texts


def test_unchanged_records_are_parsed_once(tmp_path: Path, parsed: list[str]) -> None:
    store = ContainerStore(tmp_path / "c.db")
    reader = Reader(store, sizes=None)  # type: ignore[arg-type]  # sizes are not asked for
    for age, name in enumerate(("c2", "c1", "c0")):
        store.add(record(name, age))
    first = reader.list(True, [], 0)
    assert [c.name for c in first] == ["c2", "c1", "c0"] and len(parsed) == 3
    again = reader.list(True, [], 0)
    assert len(parsed) == 3 and all(a is b for a, b in zip(first, again, strict=True))
    changed = store.get("c1")
    changed.name = "renamed"
    store.update(changed)
    store.remove(store.get("c0").id)
    store.add(record("new", age=-1))
    assert [c.name for c in reader.list(True, [], 0)] == ["new", "c2", "renamed"]
    assert len(parsed) == 5  # the renamed one and the new one


def test_only_a_listing_of_every_container_keeps_what_it_parsed(
    tmp_path: Path, parsed: list[str]
) -> None:
    store = ContainerStore(tmp_path / "c.db")
    reader = Reader(store, sizes=None)  # type: ignore[arg-type]
    running = record("up", age=0)
    running.state.status, running.state.running = "running", True
    store.add(running)
    reader.list(False, [], 0)
    reader.list(False, [], 0)
    assert len(parsed) == 2  # `ps` alone keeps nothing: nothing grows without `ps -a`
    reader.list(True, [], 0)
    store.remove(running.id)
    assert reader.list(True, [], 0) == [] and reader._seen == {}  # the removed one forgotten
