from __future__ import annotations

import pytest
from dockyard.api import framing


def test_frames_survive_any_split() -> None:
    data = (
        framing.encode(1, b"hello")
        + framing.encode(3, b"", framing.END)
        + framing.encode(5, b"x" * 1000)
    )
    for cut in range(len(data)):
        decoder = framing.Decoder()
        frames = decoder.feed(data[:cut]) + decoder.feed(data[cut:])
        assert [(f.stream, f.payload[:5], f.end) for f in frames] == [
            (1, b"hello", False),
            (3, b"", True),
            (5, b"xxxxx", False),
        ]


def test_oversized_frames_are_refused() -> None:
    with pytest.raises(framing.FrameError):
        framing.encode(1, b"x" * (framing.MAX_FRAME + 1))
    with pytest.raises(framing.FrameError):
        framing.Decoder().feed(framing.HEADER.pack(framing.MAX_FRAME + 1, 1, 0))
