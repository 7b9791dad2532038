"""Timings: phases recorded, carried as text in metadata, read back and shown in order."""

from __future__ import annotations

import pytest
from dockyard.api.timings import Phase, Timings, decode, render


def test_phases_travel_as_text_and_come_back_the_same() -> None:
    timings = Timings()
    with timings.phase("engine.resolve"):
        pass
    timings.add("shim.rootfs", 1_000, 2_500)
    assert decode(timings.encode()) == timings.phases
    assert timings.phases[0].name == "engine.resolve" and timings.phases[0].duration_ns >= 0


def test_a_callees_phases_are_named_by_its_process() -> None:
    mine = Timings()
    mine.extend([Phase("rootfs", 5, 6)], prefix="shim.")
    assert mine.phases == [Phase("shim.rootfs", 5, 6)]


@pytest.mark.parametrize(
    "text", ["x", "Name@1+2", "a@1", "a@-1+2", "a@1+2;b", "a b@1+2", ",".join(["a@1+1"] * 300)]
)
def test_what_encode_would_not_make_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        decode(text)


def test_nothing_decodes_to_no_phases() -> None:
    assert decode("") == []


def test_the_table_is_in_milliseconds_from_the_origin_in_start_order() -> None:
    phases = [Phase("cli.call", 3_000_000, 10_000_000), Phase("cli.start", 1_000_000, 2_000_000)]
    assert render(phases, 1_000_000) == (
        "PHASE          START       TOOK\n"
        "cli.start     0.0 ms     2.0 ms\n"
        "cli.call      2.0 ms    10.0 ms\n"
    )
