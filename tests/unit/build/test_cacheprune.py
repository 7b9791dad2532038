"""builder prune's selection: docker's filters checked in dockerd's words, and the oldest part
of the cache chosen as BuildKit's KeepDuration and KeepBytes choose it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build.cacheprune import Selection, doomed, selection

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
AGED = [("a", "2026-12-02 10:00:00"), ("b", "2026-12-02 11:30:00"), ("c", "2026-12-02 11:59:00")]
SIZES = {"a": 100, "b": 50, "c": 10}


def test_until_takes_what_was_made_before_its_age() -> None:
    chosen = selection(["until=1h"], 0, NOW)
    assert chosen.before == datetime(2026, 12, 2, 11, 0, 0, tzinfo=UTC)
    assert doomed(AGED, SIZES, chosen) == ["a"]
    assert doomed(AGED, SIZES, selection(["unused-for=10m"], 0, NOW)) == ["a", "b"]


def test_a_zero_age_and_labels_select_the_whole_cache() -> None:
    assert selection(["until=0s", "label=x=y", "label!=z"], 0, NOW).whole


def test_keep_storage_takes_the_oldest_until_the_rest_fits() -> None:
    assert doomed(AGED, SIZES, Selection(keep_bytes=60)) == ["a"]
    assert doomed(AGED, SIZES, Selection(keep_bytes=59)) == ["a", "b"]
    assert doomed(AGED, SIZES, Selection(keep_bytes=1)) == ["a", "b", "c"]
    both = selection(["until=1m"], 5, NOW)  # old enough AND over the space: b and a only
    assert doomed(AGED, SIZES, both) == ["a", "b"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (["colour=red"], "Invalid filter 'colour'"),
        (["until=soon"], "\"until\" filter expects a duration (e.g., '24h'): time: invalid"),
        (["unused-for=1"], '"unused-for" filter expects a duration .*: time: missing unit in'),
        (["until=5x"], 'time: unknown unit "x" in duration "5x"'),
        (["until=1h", "unused-for=1h"], 'conflicting filters: "until" and "unused-for"'),
        (["until=1h", "until=2h"], "filters expect only one value"),
        (["type=regular"], "filter 'type' is a field of BuildKit's cache records"),
    ],
)
def test_filters_dockerd_refuses(filters: list[str], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("(e.g., '24h')", ".*")):
        selection(filters, 0, NOW)
