"""What the global options set for the command that runs (typer's callback fills it)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_HOST = "unix:///run/dockyard/dockyard.sock"


@dataclass
class State:
    host: str = DEFAULT_HOST


STATE = State()
