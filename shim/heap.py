"""The zygote's malloc heap made full before it forks shims, so that a shim's allocations take
fresh pages instead of copying shared ones.

glibc's malloc serves a request from the free chunks in its bins first (best fit), and only
then from the top of the heap. A zygote forked from the runtime inherits the supervisor's heap:
every module of every service was imported into it, and what the imports freed (resized dicts,
read buffers) left free chunks all over it. A shim forked from such a zygote puts its own
allocations (buffers over 512 bytes, protobuf's arenas) into those holes, one here, one
there, and each write copies the whole shared page it lands on: measured, a shim's private
`[heap]` was 637 KiB against 576 KiB when the zygote was exec'd, with a heap of its own, and is
596 KiB with the holes filled (means over 7, 5 and 8 engines of 20 shims each).

`fill` allocates the free chunks of the main heap below its top, largest requests first, and
keeps them: the holes are then used, and the shims' allocations come from the top, where they
lie together on pages of their own (but for the few chunks malloc's thread cache keeps for
requests of their very size). It costs the zygote the pages it writes malloc's chunk
headers to (~0.5 MiB, measured), not memory the heap did not already hold. The heap's top is
where mallinfo2(3) says its top chunk starts (sbrk(0) less `keepcost`); nothing is taken past
the bytes malloc reported free, so a heap that is not one contiguous brk area stops it early.
A libc without mallinfo2 (glibc before 2.33, musl) leaves the heap as it is.
"""

from __future__ import annotations

import ctypes

REQUESTS = (65536, 16384, 4096, 1024, 512, 256, 128, 64, 32, 16)  # bytes, largest first


class Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def fill() -> int:
    """Take the free chunks of the main heap below its top (kept for good); the bytes taken."""
    libc = _libc()
    if libc is None:
        return 0
    info = libc.mallinfo2()
    top = libc.sbrk(0) - info.keepcost
    taken = 0
    for size in REQUESTS:
        while taken + size <= info.fordblks:
            chunk = libc.malloc(size)
            if not chunk or chunk >= top:  # from the top (or mmap): no hole of this size left
                libc.free(chunk)
                break
            taken += size
    return taken


def _libc() -> ctypes.CDLL | None:
    libc = ctypes.CDLL(None)
    if not all(hasattr(libc, name) for name in ("mallinfo2", "sbrk", "malloc", "free")):
        return None
    libc.mallinfo2.restype = Mallinfo2
    libc.sbrk.restype = ctypes.c_void_p
    libc.sbrk.argtypes = [ctypes.c_ssize_t]
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    return libc
