"""The shim's framing: length-prefixed frames carrying one protobuf message each.

    frame  = header payload
    header = length:u32 stream:u32 flags:u8      (big-endian, 9 bytes)

`stream` pairs responses with requests (the runtime picks it); flag END closes a stream. A
frame larger than MAX_FRAME is a protocol error: the peer is broken or hostile, drop it. Like
containerd's ttrpc, and for the same reason: a shim runs per container and must stay small, so
no HTTP/2. Stdlib only (the shim imports it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER = struct.Struct(">IIB")
MAX_FRAME = 4 * 1024 * 1024
END = 0x1


class FrameError(Exception):
    """The byte stream is not a sequence of valid frames."""


@dataclass(frozen=True)
class Frame:
    stream: int
    flags: int
    payload: bytes

    @property
    def end(self) -> bool:
        return bool(self.flags & END)


def encode(stream: int, payload: bytes, flags: int = 0) -> bytes:
    if len(payload) > MAX_FRAME:
        raise FrameError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME}")
    return HEADER.pack(len(payload), stream, flags) + payload


class Decoder:
    """Feed bytes as they arrive; take whole frames out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            length, stream, flags = HEADER.unpack_from(self._buffer)
            if length > MAX_FRAME:
                raise FrameError(f"frame of {length} bytes exceeds {MAX_FRAME}")
            if len(self._buffer) < HEADER.size + length:
                break
            payload = bytes(self._buffer[HEADER.size : HEADER.size + length])
            del self._buffer[: HEADER.size + length]
            frames.append(Frame(stream, flags, payload))
        return frames
