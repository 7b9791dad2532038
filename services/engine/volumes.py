"""The engine's side of volumes: the volumes service's volumes, with their users known here.

A volume any container uses (running or not, or being created) is never removed: docker's
"remove NAME: volume is in use - [IDs]". `ls` filters (dangling, driver, label, name) and
`system df -v`'s usage (size and containers) are the engine's, since only it knows the users.
Prune removes unused anonymous volumes, or every unused one with `all` (docker 23+).
Events: volume create, destroy.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.api import errors
from dockyard.services.engine.clients.volumes import UsageData, Volume, VolumeClient, VolumeSpec
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.mounting import ANONYMOUS_LABEL, VolumeUsers

FILTER_KEYS = ("dangling", "driver", "label", "name")
PRUNE_FILTER_KEYS = ("label", "label!", "all")


@dataclass(frozen=True)
class Pruned:
    removed: list[str]
    space_reclaimed: int  # bytes


class Volumes:
    def __init__(self, volumes: VolumeClient, users: VolumeUsers, events: EventBus) -> None:
        self._volumes = volumes
        self._users = users
        self._events = events

    async def create(self, spec: VolumeSpec) -> Volume:
        existed = bool(spec.name) and await self._exists(spec.name)
        volume = await self._volumes.create(spec)
        if not existed:
            self._events.publish("volume", "create", volume.name, driver=volume.driver)
        return volume

    async def get(self, name: str) -> Volume:
        return await self._volumes.get(name)

    async def list_volumes(self, filters: list[str], usage: bool) -> list[Volume]:
        wanted = _filters(filters, FILTER_KEYS)
        found = [v for v in await self._volumes.list_volumes() if self._wanted(v, wanted)]
        if usage:
            sizes = await self._volumes.usage([v.name for v in found]) if found else {}
            for volume in found:
                users = len(self._users.of(volume.name))
                volume.usage = UsageData(sizes.get(volume.name, -1), users)
        return found

    async def remove(self, name: str, force: bool) -> None:
        try:
            volume = await self._volumes.get(name)
        except errors.NotFound:
            if force:
                return
            raise
        users = self._users.of(volume.name)
        if users:
            raise errors.FailedPrecondition(
                f"remove {name}: volume is in use - [{', '.join(users)}]"
            )
        with self._users.removing(volume.name):
            await self._volumes.remove(volume.name)
        self._events.publish("volume", "destroy", volume.name, driver=volume.driver)

    async def prune(self, everything: bool, filters: list[str]) -> Pruned:
        wanted = _filters(filters, PRUNE_FILTER_KEYS)
        everything = everything or wanted.pop("all", ["false"])[-1] in ("1", "true")
        candidates = [
            v
            for v in await self._volumes.list_volumes()
            if (everything or ANONYMOUS_LABEL in v.labels)
            and _labels_match(v, wanted)
            and not self._users.of(v.name)
        ]
        sizes = await self._volumes.usage([v.name for v in candidates]) if candidates else {}
        removed = []
        for volume in candidates:
            try:
                await self.remove(volume.name, force=True)
            except errors.FailedPrecondition:
                continue  # taken meanwhile
            removed.append(volume.name)
        return Pruned(removed, sum(max(sizes.get(n, 0), 0) for n in removed))

    async def _exists(self, name: str) -> bool:
        try:
            await self._volumes.get(name)
        except errors.NotFound:
            return False
        return True

    def _wanted(self, volume: Volume, wanted: dict[str, list[str]]) -> bool:
        for key, values in wanted.items():
            if key == "name" and not any(v in volume.name for v in values):
                return False
            if key == "driver" and volume.driver not in values:
                return False
            if key == "dangling":
                dangling = not self._users.of(volume.name)
                if not any(_boolean(v) == dangling for v in values):
                    return False
        return _labels_match(volume, {k: v for k, v in wanted.items() if k == "label"})


def _filters(items: list[str], keys: tuple[str, ...]) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")  # "label!=k" is the key "label!"
        if not sep or key not in keys:
            raise errors.InvalidArgument(f"Invalid filter '{key}'")
        if key == "dangling":
            _boolean(value)
        parsed.setdefault(key, []).append(value)
    return parsed


def _boolean(value: str) -> bool:
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise errors.InvalidArgument(f"Invalid filter 'dangling=[{value}]'")


def _labels_match(volume: Volume, wanted: dict[str, list[str]]) -> bool:
    for key, values in wanted.items():
        for value in values:
            name, sep, want = value.partition("=")
            has = name in volume.labels and (not sep or volume.labels[name] == want)
            if (key == "label") != has:
                return False
    return True
