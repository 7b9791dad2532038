"""The event bus: history for --since, live events until --until, filters, slow subscribers."""

from __future__ import annotations

import asyncio
import time

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine import events as events_module
from dockyard.services.engine.events import Event, EventBus, EventFilter


def wanted(*filters: str, since: int = 0, until: int = 0) -> EventFilter:
    return EventFilter.parse(since, until, list(filters))


async def collect(bus: EventBus, query: EventFilter, count: int) -> list[Event]:
    found: list[Event] = []
    async with asyncio.timeout(5):
        async for event in bus.subscribe(query):
            found.append(event)
            if len(found) == count:
                break
    return found


async def test_past_events_then_live_ones() -> None:
    bus = EventBus()
    bus.publish("container", "create", "c1", name="web")
    subscriber = asyncio.ensure_future(collect(bus, wanted(), 2))
    await asyncio.sleep(0)
    bus.publish("container", "start", "c1", name="web")
    assert [e.action for e in await subscriber] == ["create", "start"]


async def test_since_and_until_bound_the_stream() -> None:
    bus = EventBus()
    bus.publish("image", "pull", "busybox")
    middle = time.time_ns()
    bus.publish("image", "tag", "busybox")
    ended = [e.action async for e in bus.subscribe(wanted(since=middle, until=time.time_ns()))]
    assert ended == ["tag"]  # and the stream ended by itself at --until


@pytest.mark.parametrize(
    "query, actions",
    [
        (("type=image",), ["pull"]),
        (("event=die",), ["die"]),
        (("container=web",), ["create", "die"]),
        (("container=c2",), ["exec_start: sh"]),
        (("image=busybox",), ["create", "die", "exec_start: sh"]),
        (("label=tier=front",), ["create"]),
        (("label=tier=front", "label=image=busybox"), ["create"]),
        (("label=tier=front", "label=name=db"), []),
        (("event=exec_start",), ["exec_start: sh"]),
        (("type=container", "event=create", "event=die"), ["create", "die"]),
    ],
)
async def test_filters(query: tuple[str, ...], actions: list[str]) -> None:
    bus = EventBus()
    bus.publish("container", "create", "c1", name="web", image="busybox", tier="front")
    bus.publish("image", "pull", "alpine", name="alpine")
    bus.publish("container", "die", "c1", name="web", image="busybox")
    bus.publish("container", "exec_start: sh", "c2", name="db", image="busybox")
    found = [e.action async for e in bus.subscribe(wanted(*query, until=time.time_ns()))]
    assert found == actions


def test_a_bad_filter_is_refused() -> None:
    for item in ("nokey", "plugin=x"):
        with pytest.raises(InvalidArgument, match="invalid filter"):
            wanted(item)


async def test_a_slow_subscriber_loses_its_oldest_events_never_blocks_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events_module, "QUEUE", 2)
    bus = EventBus()
    stream = bus.subscribe(wanted())
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    for n in range(5):
        bus.publish("container", f"a{n}", "c")  # never waits for the subscriber
    assert [(await first).action, (await anext(stream)).action] == ["a3", "a4"]
    await stream.aclose()


async def test_history_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    bus = EventBus()
    for n in range(events_module.HISTORY + 5):
        bus.publish("container", "start", str(n))
    assert len(bus.recent()) == events_module.HISTORY
    assert bus.recent()[0].actor_id == "5"


def test_volume_and_network_filters_keep_their_own_events() -> None:
    volume = Event("volume", "mount", "data", {"container": "c" * 64})
    other = Event("volume", "mount", "data2", {})
    network = Event("network", "connect", "n" * 64, {"name": "app"})
    assert wanted("volume=data").wants(volume) and not wanted("volume=data").wants(other)
    assert not wanted("volume=data").wants(network)
    assert wanted("network=app").wants(network) and wanted("network=nnnn").wants(network)
    assert not wanted("network=app").wants(volume)
