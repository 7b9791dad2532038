"""MAC addresses as docker reads them (Go's net.ParseMAC), for --mac-address and MacAddress.

Go takes 00:00:5e:00:53:01, 00-00-5e-00-53-01 and 0000.5e00.5301 (and the 8- and 20-octet
forms, which no Ethernet link can have: refused here). `canonical` gives the colon form the
kernel is told, or None for text that is no MAC address.
"""

from __future__ import annotations

import re

_SEPARATED = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}")
_DOTTED = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")


def canonical(text: str) -> str | None:
    """ "92-D0-C6-0A-29-33" → "92:d0:c6:0a:29:33"; None when Go's parser would refuse it."""
    if _SEPARATED.fullmatch(text):
        digits = re.sub("[:-]", "", text)
    elif _DOTTED.fullmatch(text):
        digits = text.replace(".", "")
    else:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)).lower()
