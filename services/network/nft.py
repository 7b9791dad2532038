"""nftables scripts run in this process through libnftables, or by the `nft` command.

libnftables (the library the `nft` command is made of, always installed with it) takes the
same script text and applies it as one transaction: the kernel holds all of it or none. Run in
process, a change costs about a millisecond; forking `nft` cost ~15 ms, and a process that
has started gRPC should not fork at all. One context serves the process (libnftables is not
thread-safe, so a lock orders its use); its netlink socket opens in the host's namespace, as
the calling threads never change theirs (namespace work has threads of its own). Where the
library cannot be loaded, the `nft` command does the same work.

    run(script)    apply; an error carries nft's own message (Internal)
    query(script)  the text a listing printed
"""

from __future__ import annotations

import ctypes
import subprocess
import threading
from functools import cache

from dockyard.api.errors import Internal

_lock = threading.Lock()


class _Library:
    def __init__(self, path: str) -> None:
        lib = ctypes.CDLL(path)
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
        for name in ("nft_ctx_buffer_output", "nft_ctx_buffer_error"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        for name in ("nft_ctx_get_output_buffer", "nft_ctx_get_error_buffer"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
            getattr(lib, name).restype = ctypes.c_char_p
        self._lib = lib
        self._ctx = lib.nft_ctx_new(0)
        if not self._ctx:
            raise OSError("nft_ctx_new failed")
        lib.nft_ctx_buffer_output(self._ctx)
        lib.nft_ctx_buffer_error(self._ctx)

    def run(self, script: str) -> tuple[bool, str, str]:
        """(succeeded, output, error) of one script (the buffers are read, so emptied)."""
        result = self._lib.nft_run_cmd_from_buffer(self._ctx, script.encode())
        output = (self._lib.nft_ctx_get_output_buffer(self._ctx) or b"").decode()
        error = (self._lib.nft_ctx_get_error_buffer(self._ctx) or b"").decode()
        return result == 0, output, error


@cache
def _library() -> _Library | None:
    try:  # by soname: ctypes.util.find_library would fork ldconfig
        return _Library("libnftables.so.1")
    except OSError:
        return None


def _execute(script: str) -> tuple[bool, str, str]:
    with _lock:
        library = _library()
        if library is not None:
            return library.run(script)
    done = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True)
    return done.returncode == 0, done.stdout, done.stderr


def run(script: str) -> None:
    ok, _, error = _execute(script)
    if not ok:
        raise Internal(f"nft: {_first_line(error) or 'failed'}")


def query(script: str) -> str:
    """What `script` (a listing) prints; "" when it fails (e.g. no such table)."""
    ok, output, _ = _execute(script)
    return output if ok else ""


def _first_line(error: str) -> str:
    """nft's message without the echoed script and the caret line under it."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""
