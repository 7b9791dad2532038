"""The zygote fills its malloc heap's holes (`shim/heap.py`), so that what a shim allocates
afterwards comes from the heap's top, on fresh pages, instead of from holes in shared pages."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Holes of 2016 bytes (past the reach of malloc's thread cache, which keeps a few free chunks of
# each size up to 1040 bytes for requests of exactly that size) between chunks still in use,
# then ten allocations of that size: do they come from the holes, or from the heap's top?
PROBE = """
import sys
from dockyard.shim import heap
libc = heap._libc()
chunks = [libc.malloc(2000) for _ in range(1000)]
for chunk in chunks[::2]:
    libc.free(chunk)
top = libc.sbrk(0) - libc.mallinfo2().keepcost  # where the heap's unused top starts
taken = heap.fill() if sys.argv[1] == "fill" else 0
fresh = [libc.malloc(2000) for _ in range(10)]
print(taken, sum(chunk >= top for chunk in fresh))
"""


def probe(how: str) -> tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, how], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), int(out[1])


@pytest.fixture(autouse=True)
def _glibc() -> None:
    from dockyard.shim import heap

    if heap._libc() is None:
        pytest.skip("no mallinfo2 (glibc 2.33 or later)")


def test_after_fill_allocations_come_from_the_top_not_from_holes() -> None:
    taken, from_top = probe("fill")
    assert taken > 500 * 1900  # the holes made above (bytes asked for: a little less)
    assert from_top == 10


def test_without_fill_allocations_come_from_holes() -> None:
    assert probe("leave") == (0, 0)  # the probe tells the two apart
