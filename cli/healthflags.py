"""`run`/`create`'s healthcheck flags, read as docker's CLI reads them.

--health-cmd makes the test `["CMD-SHELL", cmd]`; the durations are Go durations ("30s",
"1m30s", "500ms"), sent in nanoseconds; any of the flags makes a check (without --health-cmd
the image's command is kept, its other settings overridden); --no-healthcheck is `["NONE"]`
and conflicts with the others. Errors are docker's words (`usage.FlagError`, `usage.Refused`),
exit 125.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from dockyard.cli.usage import FlagError, Refused

HEALTH_CMD = typer.Option("", "--health-cmd", help="command to run to check health")
HEALTH_INTERVAL = typer.Option("", "--health-interval", help="time between checks (ms|s|m|h)")
HEALTH_TIMEOUT = typer.Option("", "--health-timeout", help="longest a check may run (ms|s|m|h)")
HEALTH_RETRIES = typer.Option(0, "--health-retries", help="failures in a row to be unhealthy")
HEALTH_START_PERIOD = typer.Option(
    "", "--health-start-period", help="time to start before failures count (ms|s|m|h)"
)
NO_HEALTHCHECK = typer.Option(False, "--no-healthcheck", help="disable any HEALTHCHECK")

_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_UNIT_NS["h"] = 3600 * 10**9
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATIONS = (
    ("health_interval", "--health-interval", "interval"),
    ("health_timeout", "--health-timeout", "timeout"),
    ("health_start_period", "--health-start-period", "start_period"),
)


def duration_ns(text: str, flag: str) -> int:
    """Go's time.ParseDuration, in nanoseconds."""
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    total, pos = 0.0, 0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_NS[match.group(2)]
        pos = match.end()
    if body == "0":
        return 0
    if not body or pos != len(body):
        raise FlagError(
            f'invalid argument "{text}" for "{flag}" flag: time: invalid duration "{text}"'
        )
    return sign * int(total)


def healthcheck(flags: dict[str, Any]) -> Any:
    """The HealthConfig message the flags make, or None when they say nothing."""
    from dockyard.engine.v1 import engine_pb2 as pb

    durations = {
        name: duration_ns(flags[key], flag) for key, flag, name in _DURATIONS if flags[key]
    }
    retries = flags["health_retries"]
    if flags["no_healthcheck"]:
        if flags["health_cmd"] or retries or any(durations.values()):
            raise Refused("--no-healthcheck conflicts with --health-* options")
        return pb.HealthConfig(test=["NONE"])
    if not (flags["health_cmd"] or retries or any(durations.values())):
        return None
    for flag, value in (
        ("--health-interval", durations.get("interval", 0)),
        ("--health-timeout", durations.get("timeout", 0)),
        ("--health-retries", retries),
        ("--health-start-period", durations.get("start_period", 0)),
    ):
        if value < 0:
            raise Refused(f"{flag} cannot be negative")
    check = pb.HealthConfig(retries=retries)
    for name, value in durations.items():
        setattr(check, name, value)
    if flags["health_cmd"]:
        check.test.extend(["CMD-SHELL", flags["health_cmd"]])
    return check
