"""How long a call to a sibling service may take."""

from __future__ import annotations

from typing import Any

CALL_SECONDS = 60.0
LONG_SECONDS = 24 * 3600.0
READY: dict[str, Any] = {"timeout": CALL_SECONDS, "wait_for_ready": True}
"""Keyword arguments for an ordinary unary call: waits for a restarting service, not forever."""
LONG: dict[str, Any] = {"timeout": LONG_SECONDS, "wait_for_ready": True}
"""The same for work that streams or waits by nature (pull, wait, attach, exec)."""
