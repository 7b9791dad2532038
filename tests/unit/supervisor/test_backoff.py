"""The supervisor's restart delays: quick after a crash of a service that had come up, slower
and slower for one that dies before it answers."""

from __future__ import annotations

from dockyard.services.supervisor.supervisor import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    BACKOFF_MAX_UP,
    STABLE_SECONDS,
    next_backoff,
)


def _delays(crashes: int, came_up: bool, ran: float = 1.0) -> list[float]:
    delays, previous = [], 0.0
    for _ in range(crashes):
        previous = next_backoff(previous, ran, came_up)
        delays.append(previous)
    return delays


def test_a_service_that_keeps_coming_up_is_never_kept_down_past_the_cap() -> None:
    delays = _delays(10, came_up=True)
    assert delays[0] == BACKOFF_FIRST
    assert max(delays) == BACKOFF_MAX_UP <= 1.0  # + its start-up: back within about 2 s


def test_a_service_that_cannot_start_backs_off_to_the_long_cap() -> None:
    delays = _delays(10, came_up=False)
    assert delays == sorted(delays) and delays[-1] == BACKOFF_MAX


def test_the_delay_resets_once_a_service_has_run_for_a_while() -> None:
    slow = _delays(8, came_up=False)[-1]
    assert next_backoff(slow, STABLE_SECONDS, came_up=True) == BACKOFF_FIRST
