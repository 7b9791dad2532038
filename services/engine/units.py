"""Sizes as docker's flags and log options write them: "10m", "1g", "512k", "100" (bytes)."""

from __future__ import annotations

import re

from dockyard.api.errors import InvalidArgument

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_size(text: str) -> int:
    """Bytes, in powers of 1024 as docker's RAMInBytes counts them."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise InvalidArgument(f"invalid size: '{text}'")
    number, unit = match.groups()
    value = float(number) * 1024 ** _POWERS[unit.lower()]
    if not value < 2**63:  # also inf: int64 is what every field that takes a size holds
        raise InvalidArgument(f"invalid size: '{text}': value out of range")
    return int(value)
