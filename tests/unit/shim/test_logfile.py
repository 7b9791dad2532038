from __future__ import annotations

import json
from pathlib import Path

from dockyard.shim.logfile import JsonLog, rfc3339nano


def _lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lines_split_and_partial_lines_wait(tmp_path: Path) -> None:
    log = JsonLog(str(tmp_path / "c-json.log"))
    log.write("stdout", b"one\ntw")
    log.write("stderr", b"<err>&\n")
    log.write("stdout", b"o\nthree")
    log.close()
    entries = _lines(tmp_path / "c-json.log")
    assert [(e["stream"], e["log"]) for e in entries] == [
        ("stdout", "one\n"),
        ("stderr", "<err>&\n"),
        ("stdout", "two\n"),
        ("stdout", "three"),
    ]
    assert "\\u003cerr\\u003e\\u0026" in (tmp_path / "c-json.log").read_text()  # as Go escapes it


def test_rotation_keeps_max_files(tmp_path: Path) -> None:
    path = tmp_path / "c-json.log"
    log = JsonLog(str(path), max_size=200, max_files=3)
    for i in range(40):
        log.write("stdout", f"line {i:02d}\n".encode())
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["c-json.log", "c-json.log.1", "c-json.log.2"]
    assert all(p.stat().st_size <= 200 for p in tmp_path.iterdir())
    newest = _lines(path)[-1]["log"]
    assert newest == "line 39\n"
    assert _lines(tmp_path / "c-json.log.2")[0]["log"] < _lines(tmp_path / "c-json.log.1")[0]["log"]


def test_time_is_go_rfc3339nano() -> None:
    assert rfc3339nano(1_700_000_000_123_400_000) == "2023-11-14T22:13:20.1234Z"
    assert rfc3339nano(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"
