"""When a service gives freed memory back: once after each burst of work, when it goes quiet;
never while it idles or while it works."""

from __future__ import annotations

from dockyard.api import trim


class Clock:
    """CPU seconds, advanced by the test period by period."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _dues(used_per_period: list[float]) -> list[bool]:
    clock = Clock()
    trimmer = trim.Trimmer(clock)
    dues = []
    for used in used_per_period:
        clock.now += used
        dues.append(trimmer.due())
    return dues


def test_an_idle_service_is_never_trimmed() -> None:
    assert _dues([0.002] * 20) == [False] * 20


def test_a_burst_of_work_is_trimmed_once_the_service_is_quiet() -> None:
    dues = _dues([0.001, 0.3, 0.2, 0.001, 0.001, 0.002])
    assert dues == [False, False, False, True, False, False]


def test_a_service_that_keeps_working_is_left_alone_until_it_stops() -> None:
    dues = _dues([0.5] * 10 + [0.0])
    assert dues == [False] * 10 + [True]


def test_half_quiet_periods_neither_trim_nor_forget_the_work() -> None:
    """A period between quiet and busy (a poll, a small call) waits for a quiet one."""
    dues = _dues([0.1, 0.015, 0.015, 0.0])
    assert dues == [False, False, False, True]


def test_glibcs_malloc_trim_is_found_and_called() -> None:
    assert trim._malloc_trim is not None  # this host's libc is glibc
    trim.release()
