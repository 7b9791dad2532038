from __future__ import annotations

import json
import subprocess
import sys
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
    logs = [p for p in tmp_path.iterdir() if not p.name.endswith(".reserve")]
    assert sorted(p.name for p in logs) == ["c-json.log", "c-json.log.1", "c-json.log.2"]
    assert all(p.stat().st_size <= 200 for p in logs)
    newest = _lines(path)[-1]["log"]
    assert newest == "line 39\n"
    assert _lines(tmp_path / "c-json.log.2")[0]["log"] < _lines(tmp_path / "c-json.log.1")[0]["log"]


def test_time_is_go_rfc3339nano() -> None:
    assert rfc3339nano(1_700_000_000_123_400_000) == "2023-11-14T22:13:20.1234Z"
    assert rfc3339nano(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


FILLS_UP = """
import resource, sys
from dockyard.shim.logfile import JsonLog

log = JsonLog(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, hard))  # writes past 1000 bytes fail (EFBIG)
for i in range(100):
    log.write("stdout", f"line {i:03d}\\n".encode())
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # room again
log.write("stdout", b"back\\n")
log.close()
print(log.dropped)
"""


def test_a_full_file_costs_lines_counted_in_the_log_never_the_writer(tmp_path: Path) -> None:
    """Run where the file size limit stands in for a full disk (the same short and failed
    writes, no root needed); every line in the file stays whole."""
    path = tmp_path / "c-json.log"
    out = subprocess.run(
        [sys.executable, "-c", FILLS_UP, str(path)], capture_output=True, text=True, check=True
    )
    entries = _lines(path)  # each line parses: the piece of a short write was taken back
    kept = [e["log"] for e in entries if e["stream"] == "stdout"]
    assert kept[-1] == "back\n" and kept[0] == "line 000\n"
    dropped = int(out.stdout)
    assert len(kept) - 1 + dropped == 100 and dropped > 0
    gap = [e["log"] for e in entries if e["stream"] == "stderr"]
    assert gap == [f"dockyard: {dropped} log lines dropped: File too large\n"]
    assert path.stat().st_size <= 1000 + len(json.dumps(entries[-1])) * 3
