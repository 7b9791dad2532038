from __future__ import annotations

import asyncio
import json
from pathlib import Path

from dockyard.services.engine import logs
from dockyard.shim.logfile import JsonLog


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


async def _follow_until(log: Path, stop: asyncio.Event, query: logs.Query) -> list[bytes]:
    return [e.data async for e in logs.follow(log, query, stop.is_set)]


async def test_follow_keeps_a_line_half_written_when_it_started(tmp_path: Path) -> None:
    log = tmp_path / "c-json.log"
    whole = _line("second\n", "stdout", 2)
    log.write_text(_line("first\n", "stdout", 1) + whole[:10])
    stop = asyncio.Event()
    task = asyncio.create_task(_follow_until(log, stop, logs.Query()))
    await asyncio.sleep(0.1)
    with log.open("a") as f:
        f.write(whole[10:] + _line("third\n", "stdout", 3))
    await asyncio.sleep(0.1)
    stop.set()
    assert await asyncio.wait_for(task, 2) == [b"first\n", b"second\n", b"third\n"]


async def test_follow_far_behind_reads_every_rotated_file_in_order(tmp_path: Path) -> None:
    """The shim's own writer rotates a dozen times between two reads of the follower."""
    path = tmp_path / "c-json.log"
    writer = JsonLog(str(path), max_size=300, max_files=20)
    writer.write("stdout", b"line 000\n")
    stop = asyncio.Event()
    gate = asyncio.Event()
    seen: list[bytes] = []

    async def consume() -> None:
        async for entry in logs.follow(path, logs.Query(), stop.is_set):
            seen.append(entry.data)
            await gate.wait()  # held after its first line while the writer rotates

    task = asyncio.create_task(consume())
    while not seen:  # noqa: ASYNC110  (a list, not an event: what the consumer appends)
        await asyncio.sleep(0.01)
    for i in range(1, 40):
        writer.write("stdout", f"line {i:03d}\n".encode())
    writer.close()
    assert path.with_name(path.name + ".6").exists()
    stop.set()
    gate.set()
    await asyncio.wait_for(task, 2)
    assert seen == [f"line {i:03d}\n".encode() for i in range(40)]


def test_read_follows_a_truncated_single_file_and_a_missing_log(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    assert logs.read(path, logs.Query()) == []
    writer = JsonLog(str(path), max_size=200, max_files=1)
    for i in range(5):
        writer.write("stdout", f"line {i}\n".encode())
    writer.close()
    assert [e.data for e in logs.read(path, logs.Query())] == [b"line 4\n"]


def test_a_stream_moves_to_the_file_that_took_its_name(tmp_path: Path) -> None:
    """Files rotated twice behind a reader: it reads the old one to its end, then `.1`."""
    log = tmp_path / "c-json.log"
    log.write_text(_line("a\n", "stdout", 1))
    stream = logs._Stream(log)
    assert [e.data for e in stream.read()] == [b"a\n"]
    with log.open("a") as f:  # appended after the reader's last read, before the rotation
        f.write(_line("b\n", "stdout", 2))
    log.rename(log.with_name(log.name + ".1"))
    log.write_text(_line("c\n", "stdout", 3))
    log.with_name(log.name + ".1").rename(log.with_name(log.name + ".2"))
    log.rename(log.with_name(log.name + ".1"))
    log.write_text(_line("d\n", "stdout", 4))
    got = []
    while batch := stream.read():
        got += [e.data for e in batch]
    stream.close()
    assert got == [b"b\n", b"c\n", b"d\n"]
