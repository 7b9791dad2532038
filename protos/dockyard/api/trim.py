"""Memory a service freed during work, given back to the kernel once the service is quiet.

A pull, an unpack or a burst of calls allocates through glibc's malloc (buffers, protobuf
messages, what worker threads allocate in arenas of their own) and through CPython's object
allocator, whose small-object arenas sit on malloc'd or mmap'd memory too. Freed, that memory
mostly stays in the process: malloc keeps free chunks for the next allocation and only returns
the top of its main heap, and only past a threshold. An idle engine then holds what its last
burst needed. So each service, once it has worked and gone quiet, collects its garbage and calls
malloc_trim(3), which hands every free page of every arena back (madvise MADV_DONTNEED; glibc
2.8 and later), not just the heap's top.

"Worked" and "quiet" are the process's own CPU time (`time.process_time`, every thread's),
sampled every `PERIOD` seconds: a period that used at least `BUSY` seconds of CPU was work; the
first one after it that used less than `IDLE` is quiet, and the trim follows. Nothing is done
while a service idles (one sample a second), nor while it works. A libc without malloc_trim
(musl) only collects.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

PERIOD = 1.0  # seconds between two samples of the CPU time
BUSY = 0.02  # CPU seconds in a period that count as work
IDLE = 0.01  # CPU seconds in a period that count as quiet


class Trimmer:
    """Decides, from successive CPU-time samples, when a trim is due."""

    def __init__(self, clock: Callable[[], float] = time.process_time) -> None:
        self._clock = clock
        self._last = clock()
        self._worked = False

    def due(self) -> bool:
        """Take a sample; True when the service has worked since the last trim and the period
        just ended was quiet."""
        now = self._clock()
        used, self._last = now - self._last, now
        if used >= BUSY:
            self._worked = True
        elif used < IDLE and self._worked:
            self._worked = False
            return True
        return False


async def trim_when_quiet(period: float = PERIOD) -> None:
    """Run until cancelled: release freed memory after each burst of work (see above)."""
    trimmer = Trimmer()
    while True:
        await asyncio.sleep(period)
        if trimmer.due():
            release()


def release() -> None:
    """Collect garbage, then return malloc's free pages to the kernel."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        log.debug("no malloc_trim in this libc: freed memory is only collected")
        return None
    return trim


_malloc_trim = _find_malloc_trim()
