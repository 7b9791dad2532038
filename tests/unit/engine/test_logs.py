from __future__ import annotations

import asyncio
import json
from pathlib import Path

from dockyard.services.engine import logs


def _line(text: str, stream: str, second: int) -> str:
    return (
        json.dumps(
            {"log": text, "stream": stream, "time": f"2026-11-23T00:00:{second:02d}.000000001Z"}
        )
        + "\n"
    )


def test_read_walks_rotated_files_oldest_first_and_filters(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    log.with_name(log.name + ".2").write_text(_line("a\n", "stdout", 1))
    log.with_name(log.name + ".1").write_text(_line("b\n", "stderr", 2))
    log.write_text(_line("c\n", "stdout", 3) + '{"torn')
    everything = logs.read(log, logs.Query())
    assert [e.data for e in everything] == [b"a\n", b"b\n", b"c\n"]
    assert [e.data for e in logs.read(log, logs.Query(stderr=False))] == [b"a\n", b"c\n"]
    assert [e.data for e in logs.read(log, logs.Query(tail=2))] == [b"b\n", b"c\n"]
    since = logs.parse_time("2026-11-23T00:00:02Z")
    assert [e.data for e in logs.read(log, logs.Query(since_ns=since))] == [b"b\n", b"c\n"]
    assert everything[0].time_ns % 10**9 == 1


async def test_follow_sees_new_lines_and_rotation_then_stops(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    log.write_text(_line("old\n", "stdout", 1))
    stopped = False
    seen: list[bytes] = []

    async def consume() -> None:
        async for entry in logs.follow(log, logs.Query(), lambda: stopped):
            seen.append(entry.data)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    with log.open("a") as f:
        f.write(_line("new\n", "stdout", 2))
    await asyncio.sleep(0.1)
    log.rename(log.with_name(log.name + ".1"))
    log.write_text(_line("rotated\n", "stdout", 3))
    stopped = True
    await asyncio.wait_for(task, 2)
    assert seen == [b"old\n", b"new\n", b"rotated\n"]
