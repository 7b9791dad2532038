"""docker history from an image's config: newest first, sizes paired with the steps that
made layers, the image's ID and names on the newest entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build.history import MISSING, history
from dockyard.services.engine.clients.images import Image


def test_entries_pair_sizes_with_the_steps_that_made_layers() -> None:
    config = {
        "history": [
            {"created": "2024-01-02T03:04:05.123456789Z", "created_by": "ADD rootfs /"},
            {"created": "2024-01-03T00:00:00Z", "created_by": "ENV A=1", "empty_layer": True},
            {"created": "2024-01-04T00:00:00+02:00", "created_by": "RUN make", "comment": "c"},
        ]
    }
    image = Image(id="sha256:" + "a" * 64, repo_tags=["app:1"], layer_sizes=[100, 20])
    entries = history(image, json.dumps(config).encode())
    assert [(e.id, e.created_by, e.size) for e in entries] == [
        (image.id, "RUN make", 20),
        (MISSING, "ENV A=1", 0),
        (MISSING, "ADD rootfs /", 100),
    ]
    assert entries[0].tags == ["app:1"] and entries[0].comment == "c"
    assert entries[0].created == datetime(2024, 1, 3, 22, 0, tzinfo=UTC)
    assert entries[2].created == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


def test_an_image_without_history_is_one_entry() -> None:
    image = Image(id="sha256:" + "b" * 64, size=42)
    (entry,) = history(image, b"{}")
    assert (entry.id, entry.size) == (image.id, 42)


def test_a_config_that_is_not_json() -> None:
    with pytest.raises(InvalidArgument, match="not valid JSON"):
        history(Image(id="sha256:" + "c" * 64), b"not json")
