"""names, signals, units, filters, waiters, convert: the engine's small domain pieces."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime, timedelta, timezone

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.engine.v1 import engine_pb2
from dockyard.services.engine import filters, names, signals
from dockyard.services.engine.convert import from_json, from_proto, to_json, to_proto
from dockyard.services.engine.model import (
    Container,
    ContainerConfig,
    ContainerState,
    EndpointSettings,
    HostConfig,
    Ulimit,
)
from dockyard.services.engine.units import parse_size
from dockyard.services.engine.waiters import Waiters
from google.protobuf.timestamp_pb2 import Timestamp


@pytest.mark.parametrize(
    "text,number", [("KILL", 9), ("sigterm", 15), ("SIGHUP", 1), ("9", 9), ("", 9)]
)
def test_signals(text: str, number: int) -> None:
    assert signals.parse(text) == number


@pytest.mark.parametrize("text", ["NOPE", "0", "99", "-1"])
def test_bad_signals(text: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid signal"):
        signals.parse(text)


def test_stop_signal_default() -> None:
    assert signals.parse("", signal.SIGTERM) == 15


@pytest.mark.parametrize(
    "text,size",
    [("100", 100), ("1k", 1024), ("10m", 10 << 20), ("1.5g", 3 << 29), ("2MB", 2 << 20)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_size() -> None:
    with pytest.raises(InvalidArgument, match="invalid size"):
        parse_size("ten")


def test_names() -> None:
    assert names.validate("/web.1_a-b") == "web.1_a-b"
    with pytest.raises(InvalidArgument, match="Invalid container name"):
        names.validate("-bad")
    name = names.generate(lambda n: False)
    adjective, noun = name.split("_")
    assert adjective in names.ADJECTIVES and noun in names.NOUNS
    assert names.generate(lambda n: not n.startswith("container_")).startswith("container_")


def _c(name: str, status: str, labels: dict[str, str] | None = None, code: int = 0) -> Container:
    return Container(
        id=name * 8,
        name=name,
        created=datetime.now(UTC),
        image="sha256:ab12",
        config=ContainerConfig(image="busybox", labels=labels or {}),
        host_config=HostConfig(),
        state=ContainerState(status=status, exit_code=code),
    )


def test_filters() -> None:
    pool = [_c("web", "running", {"tier": "front"}), _c("db", "exited", {"tier": "back"}, code=3)]

    def pick(*items: str) -> list[str]:
        match = filters.matcher(filters.parse(list(items)), lambda _: set())
        return [c.name for c in pool if match(c)]

    assert pick("status=running") == ["web"]
    assert pick("label=tier=back") == ["db"]
    assert pick("label=tier") == ["web", "db"]
    assert pick("name=w", "name=d") == ["web", "db"]
    assert pick("name=w", "status=exited") == []
    assert pick("exited=3") == ["db"]
    assert pick("ancestor=busybox") == ["web", "db"]
    with pytest.raises(InvalidArgument):
        filters.parse(["colour=red"])


async def test_waiters_wake_in_order() -> None:
    waiters = Waiters()
    exit_future, removed = waiters.on_exit("c"), waiters.on_removed("c")
    waiters.exited("c", 3)
    assert await exit_future == 3 and not removed.done()
    waiters.removed("c", 3)
    assert await asyncio.wait_for(removed, 1) == 3


def test_convert_round_trip_keeps_presence() -> None:
    c = _c("x", "exited")
    c.config.entrypoint = []
    c.config.stop_timeout = 0
    c.state.started_at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    message = to_proto(c, engine_pb2.Container())
    assert message.config.HasField("entrypoint") and not message.config.HasField("cmd")
    back = from_proto(Container, message)
    assert back == c and back.config.cmd is None and back.config.entrypoint == []


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1960, 6, 1, 0, 0, 0, 1),
    ],
)
def test_timestamps_are_what_protobuf_makes(moment: datetime) -> None:
    expected = Timestamp()
    expected.FromDatetime(moment)
    c = _c("x", "running")
    c.created = moment
    assert to_proto(c, engine_pb2.Container()).created == expected


def test_records_round_trip_through_json() -> None:
    c = _c("x", "running", labels={"a": "b"})
    c.config.cmd, c.host_config.resources.ulimits = None, [Ulimit("nofile", 10, 20)]
    c.network_settings.networks = [EndpointSettings("bridge", aliases=["w"], ip_prefix_len=16)]
    c.state.started_at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert from_json(Container, json.loads(json.dumps(to_json(c)))) == c
    message = to_proto(c, engine_pb2.Container())
    assert from_proto(Container, message) == c
    assert message.host_config.HasField("restart_policy")  # a nested record is there, as set
