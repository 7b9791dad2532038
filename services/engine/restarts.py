"""Restart policies, decided as docker decides them (`--restart`).

    no | ""          never
    always           on every exit, unless stopped by hand (`stop`/`kill`)
    unless-stopped   the same; and after a daemon restart only if it was not stopped by hand
    on-failure[:N]   on a non-zero exit, at most N times (N = 0: no limit)

The delay before a restart starts at 100 ms and doubles on every consecutive restart, up to a
minute; a container that ran for 10 s or more starts over at 100 ms.
"""

from __future__ import annotations

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.model import RestartPolicy

POLICIES = ("", "no", "always", "unless-stopped", "on-failure")
FIRST_DELAY = 0.1
MAX_DELAY = 60.0
STABLE_SECONDS = 10.0


def validate(policy: RestartPolicy, auto_remove: bool) -> None:
    if policy.name not in POLICIES:
        raise InvalidArgument(f"invalid restart policy '{policy.name}'")
    if policy.maximum_retry_count < 0:
        raise InvalidArgument("invalid restart policy: maximum retry count cannot be negative")
    if policy.maximum_retry_count and policy.name != "on-failure":
        raise InvalidArgument(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'"
        )
    if auto_remove and policy.name not in ("", "no"):
        raise InvalidArgument("conflicting options: cannot specify both --restart and --rm")


def should_restart(
    policy: RestartPolicy, exit_code: int, restart_count: int, manually_stopped: bool
) -> bool:
    if manually_stopped or policy.name in ("", "no"):
        return False
    if policy.name == "on-failure":
        limit = policy.maximum_retry_count
        return exit_code != 0 and (limit == 0 or restart_count < limit)
    return True


def restart_on_daemon_start(policy: RestartPolicy, manually_stopped: bool) -> bool:
    """Whether a stopped container comes back when the engine starts."""
    return policy.name == "always" or (policy.name == "unless-stopped" and not manually_stopped)


def next_delay(previous: float, ran_seconds: float) -> float:
    if ran_seconds >= STABLE_SECONDS or previous <= 0:
        return FIRST_DELAY
    return min(previous * 2, MAX_DELAY)
