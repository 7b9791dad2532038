"""Go's fmt as docker 20.10's classic builder's history comments use it."""

from __future__ import annotations

import pytest
from dockyard.services.engine.build import createdby


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (999, "999ns"),
        (1500, "1.5µs"),
        (500_000_000, "500ms"),
        (1_500_000_000, "1.5s"),
        (90 * 10**9, "1m30s"),
        (3600 * 10**9, "1h0m0s"),
        (3661 * 10**9 + 10**8, "1h1m1.1s"),
    ],
)
def test_durations_read_as_gos(ns: int, text: str) -> None:
    assert createdby.go_duration(ns) == text


def test_quoting_reads_as_gos() -> None:
    assert createdby.go_quote('a "b"\\\n\x01é') == '"a \\"b\\"\\\\\\n\\x01é"'
    assert createdby.go_list([]) == "[]"
    assert createdby.go_healthcheck({"Test": ["NONE"]}) == '&{["NONE"] "0s" "0s" "0s" \'\\x00\'}'
    assert createdby.go_healthcheck({"Test": ["CMD", "x"], "Retries": 65}).endswith(" 'A'}")
