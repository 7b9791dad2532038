"""MAC addresses read as Go's net.ParseMAC reads the 6-octet forms."""

from __future__ import annotations

import pytest
from dockyard.api.macaddr import canonical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("92:d0:c6:0a:29:33", "92:d0:c6:0a:29:33"),
        ("92-D0-C6-0A-29-33", "92:d0:c6:0a:29:33"),
        ("0000.5e00.5301", "00:00:5e:00:53:01"),
        ("92:d0-c6:0a:29:33", None),  # separators mixed
        ("92:d0:c6:0a:29", None),  # five octets
        ("00:00:00:00:fe:80:00:00", None),  # EUI-64: no Ethernet address
        ("nope", None),
        ("", None),
    ],
)
def test_canonical(text: str, expected: str | None) -> None:
    assert canonical(text) == expected
