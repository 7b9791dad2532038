"""The engine's event stream (`dockyard events`), shaped like docker's.

Every state change publishes an `Event` (type "container", "image", "network" or "volume", an
action such as create, start, die, stop, kill, pause, unpause, oom, destroy, rename, restart,
pull, tag, untag, delete, import, connect, mount, unmount; the actor's ID and attributes). The bus keeps the last `HISTORY` events
for `--since`, and hands each subscriber its own bounded queue: a subscriber too slow to keep
up loses its oldest events, never blocks the engine.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.model import Container

HISTORY = 1024
QUEUE = 1024
FILTER_KEYS = ("container", "event", "image", "label", "network", "type", "volume")


@dataclass(frozen=True)
class Event:
    type: str
    action: str
    actor_id: str
    attributes: dict[str, str] = field(default_factory=dict)
    time_ns: int = field(default_factory=time.time_ns)


@dataclass(frozen=True)
class EventFilter:
    since_ns: int = 0
    until_ns: int = 0  # 0 = follow forever
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, since_ns: int, until_ns: int, items: list[str]) -> EventFilter:
        parsed: dict[str, list[str]] = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep or key not in FILTER_KEYS:
                raise InvalidArgument(f"invalid filter '{item}'")
            parsed.setdefault(key, []).append(value)
        return cls(since_ns, until_ns, {k: tuple(v) for k, v in parsed.items()})

    def wants(self, event: Event) -> bool:
        if event.time_ns < self.since_ns or (self.until_ns and event.time_ns > self.until_ns):
            return False
        return all(  # values of one key: any matches, but every label must (docker's)
            (all if k == "label" else any)(self._one(k, v, event) for v in values)
            for k, values in self.filters.items()
        )

    @staticmethod
    def _one(key: str, value: str, event: Event) -> bool:
        if key == "type":
            return event.type == value
        if key == "event":
            return event.action == value or event.action.split(":")[0] == value
        if key == "container":
            return event.type == "container" and (
                event.actor_id.startswith(value) or event.attributes.get("name") == value
            )
        if key == "image":
            return event.attributes.get("image") == value or (
                event.type == "image" and event.actor_id.startswith(value)
            )
        if key == "volume":
            return event.type == "volume" and event.actor_id == value
        if key == "network":
            return event.type == "network" and (
                event.actor_id.startswith(value) or event.attributes.get("name") == value
            )
        name, _, want = value.partition("=")
        return name in event.attributes and (not want or event.attributes[name] == want)


class EventBus:
    def __init__(self) -> None:
        self._history: deque[Event] = deque(maxlen=HISTORY)
        self._queues: set[asyncio.Queue[Event]] = set()

    def publish(self, type_: str, action: str, actor_id: str, **attributes: str) -> Event:
        event = Event(type_, action, actor_id, attributes)
        self._history.append(event)
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)
        return event

    def container(self, container: Container, action: str, **extra: str) -> Event:
        """A container event, with its name, image and labels as attributes (docker's)."""
        attributes = {
            "name": container.name,
            "image": container.config.image,
            **container.config.labels,
            **extra,
        }
        return self.publish("container", action, container.id, **attributes)

    def exec(self, container: Container, action: str, args: list[str], **extra: str) -> Event:
        """An exec's event: exec_create and exec_start name its command as dockerd does (its
        first word, a space, the rest: "exec_create: true " for a bare `true`); exec_die
        does not."""
        if action != "exec_die":
            action = f"{action}: {args[0] if args else ''} {' '.join(args[1:])}"
        return self.container(container, action, **extra)

    def volumes(self, container: Container, action: str) -> None:
        """docker's volume "mount" (at start: the container, destination, driver, propagation,
        read/write) and "unmount" (at exit: the container, driver) of each of its volumes."""
        for point in container.mounts:
            if point.type != "volume":
                continue
            extra = (
                {
                    "destination": point.destination,
                    "propagation": point.propagation,
                    "read/write": "true" if point.rw else "false",
                }
                if action == "mount"
                else {}
            )
            self.publish(
                "volume", action, point.name, container=container.id, driver=point.driver, **extra
            )

    def recent(self) -> list[Event]:
        """The events kept for `--since`, oldest first."""
        return list(self._history)

    async def subscribe(self, wanted: EventFilter) -> AsyncIterator[Event]:
        """Past events since `since_ns`, then new ones until `until_ns` (0: forever)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE)
        self._queues.add(queue)
        try:
            for event in list(self._history):
                if wanted.wants(event):
                    yield event
            if wanted.until_ns and wanted.until_ns <= time.time_ns():
                return
            while True:
                timeout = (wanted.until_ns - time.time_ns()) / 1e9 if wanted.until_ns else None
                try:
                    event = await asyncio.wait_for(queue.get(), timeout)
                except TimeoutError:
                    return
                if wanted.wants(event):
                    yield event
        finally:
            self._queues.discard(queue)
