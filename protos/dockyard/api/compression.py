"""A layer blob read uncompressed, whatever it was stored as: gzip, zstd or a plain tar, told
apart by its first bytes (a media type can lie; the magic numbers cannot).

zstd layers (OCI's `tar+zstd`, as BuildKit and podman push them) are read through the
`zstandard` binding of the reference C library: a stream decoder, never the whole blob in memory.
"""

from __future__ import annotations

import gzip
import zlib
from typing import BinaryIO

import zstandard

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

CORRUPT = (EOFError, gzip.BadGzipFile, zlib.error, zstandard.ZstdError)
"""What reading a damaged or truncated compressed stream raises (besides OSError)."""


def compression(raw: BinaryIO) -> str:
    """ "gzip", "zstd" or "" (a plain tar), by the first bytes; `raw` is left at its start."""
    magic = raw.read(4)
    raw.seek(0)
    if magic.startswith(GZIP_MAGIC):
        return "gzip"
    return "zstd" if magic.startswith(ZSTD_MAGIC) else ""


def uncompressed(raw: BinaryIO) -> BinaryIO:
    """`raw` (a seekable file at its start) as the tar it holds, read as a stream."""
    kind = compression(raw)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if kind == "zstd":
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw
