"""`ps --filter` as docker reads it: key=value pairs; values of one key OR (but every label
must match, as docker's), keys AND.

id=<prefix>  name=<regex>  status=<created|running|paused|exited|...>
label=<key>  label=<key>=<value>  ancestor=<image name or ID prefix>  exited=<code>
volume=<a volume's name, or a mount's destination>
health=<starting|healthy|unhealthy|none>
network=<a network's name or ID>  publish=<host port>[/<proto>]  expose=<port>[/<proto>]
(ports may be ranges, 8000-8010)  before=<container>  since=<container> (created before or
after that one, which must exist)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.engine import health
from dockyard.services.engine.model import STATUSES, Container

KEYS = (
    "id",
    "name",
    "status",
    "label",
    "ancestor",
    "exited",
    "volume",
    "health",
    "network",
    "publish",
    "expose",
    "before",
    "since",
)
HEALTH_VALUES = (*health.STATUSES, health.NO_HEALTHCHECK)


def parse(filters: list[str]) -> dict[str, list[str]]:
    parsed: defaultdict[str, list[str]] = defaultdict(list)
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidArgument(f"bad format of filter (expected name=value): {item}")
        if key not in KEYS:
            raise InvalidArgument(f"Invalid filter '{key}'")
        if key == "status" and value not in STATUSES:
            raise InvalidArgument(f"Invalid filter 'status={value}'")
        if key in ("publish", "expose"):
            _span(key, value)
        if key == "health" and value not in HEALTH_VALUES:
            raise InvalidArgument(f"Unrecognised filter value for health: {value}")
        parsed[key].append(value)
    return dict(parsed)


def matcher(
    filters: dict[str, list[str]],
    image_names: Callable[[str], set[str]],
    find: Callable[[str], Container] | None = None,
) -> Callable[[Container], bool]:
    """A predicate for `filters`; `image_names(image_id)` gives the names an image has,
    `find(ref)` the container a before=/since= names (NotFound: refused as docker's)."""
    created = {(k, v): _created(find, v) for k in ("before", "since") for v in filters.get(k, [])}

    def one(key: str, value: str, c: Container) -> bool:
        if key in ("before", "since"):
            other_id, when = created[key, value]
            return c.id != other_id and (c.created > when) == (key == "since")
        if key == "network":
            return any(value in (e.network, e.network_id) for e in c.network_settings.networks)
        if key in ("publish", "expose"):
            return _port_matches(c, key, value)
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


def _created(find: Callable[[str], Container] | None, ref: str) -> tuple[str, datetime]:
    if find is None:
        raise InvalidArgument(f"no such container {ref}")
    try:
        other = find(ref)
    except NotFound:
        raise InvalidArgument(f"no such container {ref}") from None
    return other.id, other.created


def _span(key: str, value: str) -> tuple[range, str]:
    """The ports a publish=/expose= value names ("80", "8000-8010/udp") and its protocol; a
    value docker cannot read is refused in its words."""
    port, _, proto = value.partition("/")
    low, _, high = port.partition("-")
    try:
        if not port:
            raise ValueError("Empty string specified for ports.")
        first, last = _port(low), _port(high or low)
        if last < first:
            raise ValueError(f"Invalid range specified for the Port: {port}")
    except ValueError as err:
        raise InvalidArgument(f"error while looking up for {key} {value}: {err}") from None
    return range(first, last + 1), proto


def _port(text: str) -> int:
    """Go's strconv.ParseUint(text, 10, 16), with its errors."""
    if not text.isdigit():
        raise ValueError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    if int(text) > 65535:
        raise ValueError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return int(text)


def _port_matches(c: Container, key: str, value: str) -> bool:
    span, proto = _span(key, value)
    if key == "publish":
        ports = [(b.host_port, b.container_port) for b in c.network_settings.ports]
    else:
        ports = [(p.split("/")[0], p if "/" in p else f"{p}/tcp") for p in c.config.exposed_ports]
    return any(
        port.isdigit() and int(port) in span and (not proto or spec.endswith("/" + proto))
        for port, spec in ports
    )
