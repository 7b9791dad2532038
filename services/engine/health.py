"""Healthchecks as docker has them: what a container's check is, and what a probe's result
does to its `State.Health`. The probes themselves run in `healthmonitor.py`.

A check is docker's `Config.Healthcheck`: `test` is `["CMD", argv...]`, `["CMD-SHELL", line]`
(run by `/bin/sh -c`), `["NONE"]` (no check, not even the image's) or empty (the image's);
durations are nanoseconds, 0 meaning docker's default (30s interval, 30s timeout, 3 retries,
no start period). The container's check is completed from the image's field by field, as
dockerd merges them.

The state machine (dockerd's `handleProbeResult`): a start sets the status to "starting" and
the failing streak to 0 (the log stays); exit code 0 makes it "healthy" and the streak 0; any
other code (a timeout or a probe that could not run is -1) adds one to the streak, and
`retries` failures in a row make it "unhealthy" — except while the container is in its start
period and not yet healthy, when failures are logged but not counted. The log keeps the last
5 results; each output is cut at 4096 bytes.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.model import Container, Health, HealthConfig, HealthResult

SECOND = 10**9
DEFAULT_INTERVAL = 30 * SECOND
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_RETRIES = 3
MINIMUM = 10**6  # 1ms
LOG_ENTRIES = 5
OUTPUT_BYTES = 4096
SHELL = ["/bin/sh", "-c"]
STATUSES = ("starting", "healthy", "unhealthy")
NO_HEALTHCHECK = "none"  # what `ps --filter health=` calls a container without one


def validate(check: HealthConfig | None) -> None:
    """dockerd's checks at create: durations of at least 1ms (or 0), retries not negative."""
    if check is None:
        return
    for name, value in (("Interval", check.interval), ("Timeout", check.timeout)):
        if value and value < MINIMUM:
            raise InvalidArgument(f"{name} in Healthcheck cannot be less than 1ms")
    if check.retries < 0:
        raise InvalidArgument("Retries in Healthcheck cannot be negative")
    if check.start_period and check.start_period < MINIMUM:
        raise InvalidArgument("StartPeriod in Healthcheck cannot be less than 1ms")


def merge(own: HealthConfig | None, image: HealthConfig | None) -> HealthConfig | None:
    """The container's check completed from the image's (dockerd's merge at create)."""
    if own is None or image is None:
        return copy.deepcopy(own if own is not None else image)
    merged = copy.deepcopy(own)
    if not merged.test:
        merged.test = list(image.test)
    merged.interval = merged.interval or image.interval
    merged.timeout = merged.timeout or image.timeout
    merged.start_period = merged.start_period or image.start_period
    merged.retries = merged.retries or image.retries
    return merged


def effective(check: HealthConfig | None) -> HealthConfig | None:
    """The check to probe with, defaults filled in; None when there is none (or NONE)."""
    if check is None or not check.test or check.test[0] == "NONE":
        return None
    return HealthConfig(
        test=list(check.test),
        interval=check.interval or DEFAULT_INTERVAL,
        timeout=check.timeout or DEFAULT_TIMEOUT,
        start_period=check.start_period,
        retries=check.retries or DEFAULT_RETRIES,
    )


def argv(check: HealthConfig) -> list[str]:
    """The probe's command line; empty when the test names nothing to run."""
    kind, words = check.test[0], check.test[1:]
    if kind == "CMD-SHELL":
        return [*SHELL, " ".join(words)] if words else []
    if kind == "CMD":
        return list(words)
    return []


def reset(container: Container) -> Health | None:
    """The health a start begins with: "starting", no streak, the log kept (dockerd's)."""
    if effective(container.config.healthcheck) is None:
        return None
    log = container.state.health.log if container.state.health is not None else []
    return Health(status="starting", failing_streak=0, log=list(log))


def record(
    health: Health, result: HealthResult, check: HealthConfig, started_at: datetime | None
) -> bool:
    """Apply one probe's `result` to `health`; True when the status changed."""
    before = health.status
    result.output = _cut(result.output)
    health.log = [*health.log, result][-LOG_ENTRIES:]
    if result.exit_code == 0:
        health.status, health.failing_streak = "healthy", 0
    elif not _in_start_period(health, result, check, started_at):
        health.failing_streak += 1
        if health.failing_streak >= check.retries:
            health.status = "unhealthy"
    return health.status != before


def _in_start_period(
    health: Health, result: HealthResult, check: HealthConfig, started_at: datetime | None
) -> bool:
    if health.status != "starting" or started_at is None or result.start is None:
        return False
    return result.start < started_at + timedelta(microseconds=check.start_period // 1000)


def _cut(output: str) -> str:
    data = output.encode(errors="replace")
    if len(data) <= OUTPUT_BYTES:
        return output
    return data[:OUTPUT_BYTES].decode(errors="ignore")


def status_of(container: Container) -> str:
    """For `ps --filter health=`: starting, healthy, unhealthy, or "none"."""
    health = container.state.health
    return health.status if health is not None else NO_HEALTHCHECK


def timeout_message(timeout_ns: int) -> str:
    return f"Health check exceeded timeout ({go_duration(timeout_ns)})"


def go_duration(ns: int) -> str:
    """Go's time.Duration.String for the durations a healthcheck has: 500ms, 2s, 1.5s, 1m30s."""
    if ns == 0:
        return "0s"
    if ns < SECOND:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                return f"{_decimal(ns, size)}{unit}"
    hours, rest = divmod(ns, 3600 * SECOND)
    minutes, rest = divmod(rest, 60 * SECOND)
    seconds = f"{_decimal(rest, SECOND)}s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds


def _decimal(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    digits = len(str(unit)) - 1
    tail = f"{fraction:0{digits}d}".rstrip("0") if digits else ""
    return f"{whole}.{tail}" if tail else str(whole)
