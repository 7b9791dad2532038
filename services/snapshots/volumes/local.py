"""docker's `local` volume driver: names, options, and the mount a container gets for a volume.

A plain volume is a directory, `<volumes>/<name>/_data`, which a container gets as a bind mount.
`-o type=… -o device=… -o o=…` make it a mount of its own instead, as docker's local driver
does (`type=tmpfs device=tmpfs o=size=64m`, `type=none device=/srv/x o=bind`, `type=nfs …`).
That mount is described here; mounts.py mounts it on the data directory while containers use
the volume, and they bind that (one tmpfs for all of them, as docker's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.api.errors import InvalidArgument, NotFound

DRIVER = "local"
NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
OPTIONS = ("type", "device", "o")
REQUIRED = {"device": ("type",), "type": ("device",), "o": ("device", "type")}
ANONYMOUS_LABEL = "com.docker.volume.anonymous"


@dataclass(frozen=True)
class Mount:
    """A mount as mount(2) takes it (the target is the container's business)."""

    type: str
    source: str
    options: tuple[str, ...]


def check_driver(name: str, driver: str) -> str:
    """The driver's name ("" = local); NotFound for any other, in docker's words."""
    driver = driver or DRIVER
    if driver != DRIVER:
        raise NotFound(
            f'create {name}: error looking up volume plugin {driver}: plugin "{driver}" not found'
        )
    return driver


def check_name(name: str) -> None:
    if len(name) == 1:
        raise InvalidArgument(
            f"create {name}: volume name is too short, names should be at least two "
            "alphanumeric characters"
        )
    if not NAME.fullmatch(name):
        raise InvalidArgument(
            f'create {name}: "{name}" includes invalid characters for a local volume name, '
            f'only "{NAME_CHARS}" are allowed. If you intended to pass a host directory, '
            "use absolute path"
        )


def check_options(name: str, options: dict[str, str]) -> None:
    for key in sorted(options):
        if key == "size":
            raise InvalidArgument(f"create {name}: quota size requested but no quota support")
        if key not in OPTIONS:
            raise InvalidArgument(f'create {name}: invalid option: "{key}"')
    for key, needed in REQUIRED.items():
        for other in needed if key in options else ():
            if other not in options:
                raise InvalidArgument(f'create {name}: missing required option: "{other}"')


def mount_of(data_dir: str, options: dict[str, str]) -> Mount:
    """The mount presenting a volume whose data directory is `data_dir`."""
    if not options:
        return Mount("bind", data_dir, ("rbind",))
    flags = tuple(o for o in options.get("o", "").split(",") if o)
    kind = options["type"]
    if kind == "none" or "bind" in flags or "rbind" in flags:
        binds = ("bind", "rbind")
        return Mount(
            "bind", options["device"], flags if set(binds) & set(flags) else (*flags, "bind")
        )
    return Mount(kind, options["device"], flags)
