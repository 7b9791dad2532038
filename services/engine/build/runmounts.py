"""RUN --mount: what BuildKit users expect of a RUN's extra mounts, parsed and checked.

    --mount=type=cache,target=/root/.cache[,id=x][,sharing=shared|private|locked][,mode=0755]
            [,uid=0][,gid=0][,ro]
        a directory the engine keeps between builds (`<root>/build/cache-mounts/<id>`), shared
        by every build that names the same id (the target when no id is given)
    --mount=type=bind,target=/src[,source=.][,from=stage|image][,rw]
        a part of the build context (or of another stage's or image's filesystem), read-only
        unless rw (then writes are thrown away with the step)
    --mount=type=tmpfs,target=/tmp[,size=64m]
        an empty tmpfs for the step

A mount's target is relative to the working directory unless absolute; none of them is part
of the step's layer (the target left behind is a mount stub, taken out of the diff).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockyard.api.errors import InvalidArgument

TYPES = ("bind", "cache", "tmpfs")
SHARING = ("shared", "private", "locked")
KEYS = {
    "bind": {"type", "target", "source", "from", "rw", "readwrite", "ro", "readonly"},
    "cache": {
        "type",
        "target",
        "id",
        "sharing",
        "mode",
        "uid",
        "gid",
        "ro",
        "readonly",
        "from",
        "source",
    },
    "tmpfs": {"type", "target", "size"},
}
ALIASES = {"dst": "target", "destination": "target", "src": "source"}


@dataclass(frozen=True)
class RunMount:
    type: str
    target: str  # absolute
    source: str = ""  # bind: inside the context (or the stage); "" = its root
    from_: str = ""  # bind: a stage or an image instead of the context
    readonly: bool = True
    cache_id: str = ""
    sharing: str = "shared"
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    size: str = ""  # tmpfs: "64m"

    def describe(self) -> dict[str, object]:
        """What of the mount goes into the step's cache key."""
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


def parse(spec: str, workdir: str) -> RunMount:
    """One --mount value (variables already expanded)."""
    fields: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key, equals, value = item.partition("=")
        key = ALIASES.get(key.lower(), key.lower())
        fields[key] = value if equals else "true"
    kind = fields.get("type", "bind")
    if kind not in TYPES:
        raise InvalidArgument(
            f"unsupported mount type {kind!r} in --mount={spec} (bind, cache, tmpfs)"
        )
    unknown = sorted(set(fields) - KEYS[kind])
    if unknown:
        raise InvalidArgument(f"unexpected key '{unknown[0]}' in '{spec}'")
    if not fields.get("target"):
        raise InvalidArgument(f"mount target is required in --mount={spec}")
    target = posixpath.normpath(posixpath.join(workdir or "/", fields["target"]))
    if kind == "cache" and fields.get("from"):
        raise InvalidArgument("a cache mount from a stage or an image is not supported")
    readonly = _flag(fields, "ro") or _flag(fields, "readonly")
    if kind == "bind":
        readonly = not (_flag(fields, "rw") or _flag(fields, "readwrite"))
    sharing = fields.get("sharing", "shared")
    if sharing not in SHARING:
        raise InvalidArgument(f"unsupported sharing value {sharing!r} (shared, private, locked)")
    return RunMount(
        type=kind,
        target=target,
        source=fields.get("source", ""),
        from_=fields.get("from", ""),
        readonly=readonly,
        cache_id=fields.get("id") or target,
        sharing=sharing,
        mode=_number(fields, "mode", 0o755, 8),
        uid=_number(fields, "uid", 0, 10),
        gid=_number(fields, "gid", 0, 10),
        size=fields.get("size", ""),
    )


def _flag(fields: dict[str, str], key: str) -> bool:
    return fields.get(key, "false").lower() in ("true", "1", "")


def _number(fields: dict[str, str], key: str, default: int, base: int) -> int:
    if key not in fields:
        return default
    try:
        return int(fields[key], base)
    except ValueError:
        raise InvalidArgument(f"invalid {key} {fields[key]!r} in --mount") from None
