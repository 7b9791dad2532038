"""What `builder prune` removes when asked for less than the whole cache: docker 20.10's filters
(the keys builder-next's Prune takes, `until`/`unused-for` as Go durations, in its words) and
--keep-storage, over Dockyard's cache (step records, and the layer snapshots builds committed).

    until=D, unused-for=D   only what was made more than D ago (D = 0: any age, as BuildKit's)
    keep-storage=N          the oldest first, until what is left holds N bytes at most
    label, label!           accepted and ignored, as dockerd 20.10 ignores them
    id, parent, type, description, inuse, shared, private
                            fields of BuildKit's cache records, which this cache does not have:
                            refused rather than matched against nothing

Pure: the builder (builder.py) reads the cache and the snapshots' sizes and removes what this
chooses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build.metadata import duration_ns

IGNORED = ("label", "label!")
BUILDKIT_FIELDS = ("id", "parent", "type", "description", "inuse", "shared", "private")
AGES = ("until", "unused-for")


@dataclass(frozen=True)
class Selection:
    before: datetime | None = None  # only what was made before this (UTC); None: any age
    keep_bytes: int = 0  # what may stay (0: nothing need)

    @property
    def whole(self) -> bool:
        return self.before is None and not self.keep_bytes


WHOLE = Selection()


def selection(filters: list[str], keep_storage: int, now: datetime) -> Selection:
    """The filters (key=value) and the space to keep, checked as dockerd checks them."""
    wanted: dict[str, list[str]] = {}
    for text in filters:
        key, _, value = text.partition("=")
        wanted.setdefault(key, []).append(value)
    for key in wanted:
        if key not in (*AGES, *IGNORED, *BUILDKIT_FIELDS):
            raise InvalidArgument(f"Invalid filter '{key}'")
        if key in BUILDKIT_FIELDS:
            raise InvalidArgument(
                f"filter '{key}' is a field of BuildKit's cache records: Dockyard's build "
                "cache (the classic builder's) has none"
            )
    if keep_storage < 0:
        raise InvalidArgument(f"invalid keep-storage {keep_storage}: a size is not negative")
    return Selection(_before(wanted, now), keep_storage)


def _before(wanted: dict[str, list[str]], now: datetime) -> datetime | None:
    until, unused = wanted.get("until", []), wanted.get("unused-for", [])
    if until and unused:
        raise InvalidArgument('conflicting filters: "until" and "unused-for"')
    values, key = (unused, "unused-for") if unused else (until, "until")
    if len(values) > 1:
        raise InvalidArgument("filters expect only one value")
    if not values:
        return None
    try:
        age = duration_ns(values[0], key)
    except InvalidArgument:
        raise InvalidArgument(
            f"\"{key}\" filter expects a duration (e.g., '24h'): {_go_error(values[0])}"
        ) from None
    return now - timedelta(microseconds=age / 1000) if age else None


def _go_error(text: str) -> str:
    """Go's time.ParseDuration's words for `text`."""
    unit = re.fullmatch(r"[-+]?(?:\d+\.?\d*|\.\d+)([^\d.]*)", text)
    if unit is not None and not unit.group(1) and text not in ("", "+", "-"):
        return f'time: missing unit in duration "{text}"'
    if unit is not None and unit.group(1):
        return f'time: unknown unit "{unit.group(1)}" in duration "{text}"'
    return f'time: invalid duration "{text}"'


def doomed(aged: list[tuple[str, str]], sizes: dict[str, int], chosen: Selection) -> list[str]:
    """The chains to remove from `aged` ((chain, SQLite UTC time), the oldest first), as
    BuildKit's prune walks its records: those old enough, until what is left fits."""
    total = sum(sizes.values())
    limit = sqlite_time(chosen.before) if chosen.before is not None else None
    out = []
    for chain, created in aged:
        if chosen.keep_bytes and total <= chosen.keep_bytes:
            break
        if limit is not None and created >= limit:
            break  # the oldest first: the rest are younger still
        out.append(chain)
        total -= sizes.get(chain, 0)
    return out


def sqlite_time(moment: datetime) -> str:
    """SQLite's datetime('now') form of a UTC moment, to compare with the cache's times."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")
