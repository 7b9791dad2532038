"""`ps --filter` as docker reads it: key=value pairs; values of one key OR (but every label
must match, as docker's), keys AND.

id=<prefix>  name=<regex>  status=<created|running|paused|exited|...>
label=<key>  label=<key>=<value>  ancestor=<image name or ID prefix>  exited=<code>
volume=<a volume's name, or a mount's destination>
health=<starting|healthy|unhealthy|none>
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine import health
from dockyard.services.engine.model import STATUSES, Container

KEYS = ("id", "name", "status", "label", "ancestor", "exited", "volume", "health")
HEALTH_VALUES = (*health.STATUSES, health.NO_HEALTHCHECK)


def parse(filters: list[str]) -> dict[str, list[str]]:
    parsed: defaultdict[str, list[str]] = defaultdict(list)
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidArgument(f"bad format of filter (expected name=value): {item}")
        if key not in KEYS:
            raise InvalidArgument(f"invalid filter '{key}'")
        if key == "status" and value not in STATUSES:
            raise InvalidArgument(f"invalid filter 'status={value}'")
        if key == "health" and value not in HEALTH_VALUES:
            raise InvalidArgument(f"Unrecognised filter value for health: {value}")
        parsed[key].append(value)
    return dict(parsed)


def matcher(
    filters: dict[str, list[str]], image_names: Callable[[str], set[str]]
) -> Callable[[Container], bool]:
    """A predicate for `filters`; `image_names(image_id)` gives the names an image has."""

    def one(key: str, value: str, c: Container) -> bool:
        if key == "id":
            return c.id.startswith(value)
        if key == "name":
            return re.search(value, c.name) is not None
        if key == "status":
            return c.state.status == value
        if key == "label":
            name, sep, want = value.partition("=")
            return name in c.config.labels and (not sep or c.config.labels[name] == want)
        if key == "exited":
            return c.state.status == "exited" and str(c.state.exit_code) == value
        if key == "volume":
            return any(value in (m.name, m.destination) for m in c.mounts)
        if key == "health":
            return health.status_of(c) == value
        bare = value.removeprefix("sha256:")
        return (
            c.image.removeprefix("sha256:").startswith(bare)
            or value in image_names(c.image)
            or c.config.image == value
        )

    def match(container: Container) -> bool:
        return all(
            (all if k == "label" else any)(one(k, v, container) for v in values)
            for k, values in filters.items()
        )

    return match
