"""Signal names as docker accepts them: "KILL", "SIGKILL", "sigkill", "9", "RTMIN+3", "SIGRTMAX-1"."""

from __future__ import annotations

import signal

from dockyard.api.errors import InvalidArgument


def parse(text: str, default: int = signal.SIGKILL) -> int:
    """The signal number `text` names; `default` for ""; InvalidArgument when unknown."""
    text = text.strip()
    if not text:
        return int(default)
    if text.isdigit():
        number = int(text)
        if 0 < number < signal.NSIG:
            return number
        raise InvalidArgument(f"Invalid signal: {text}")
    name = text.upper()
    name = name if name.startswith("SIG") else "SIG" + name
    for base, sign in (("SIGRTMIN+", 1), ("SIGRTMAX-", -1)):
        offset = name.removeprefix(base)
        if name.startswith(base) and offset.isdigit():
            anchor = signal.SIGRTMIN if sign > 0 else signal.SIGRTMAX
            number = int(anchor) + sign * int(offset)
            if signal.SIGRTMIN <= number <= signal.SIGRTMAX:
                return number
            raise InvalidArgument(f"Invalid signal: {text}")
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise InvalidArgument(f"Invalid signal: {text}") from None
