"""Parsing docker's flag values: -e, --env-file, --log-opt, --restart, --format."""

from __future__ import annotations

import os
from pathlib import Path

from dockyard.cli.engine import die


def env(values: list[str], files: list[Path]) -> list[str]:
    """`--env-file` entries first, then `-e`; "KEY" alone takes the value from our environment."""
    entries: list[str] = []
    for path in files:
        try:
            lines = path.read_text().splitlines()
        except OSError as err:
            die(f"open {path}: {err.strerror.lower() if err.strerror else err}", 125)
        entries += [
            line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
        ]
    entries += values
    out = []
    for entry in entries:
        key, sep, _ = entry.partition("=")
        if not key:
            die(f"invalid environment variable: {entry}", 125)
        if sep:
            out.append(entry)
        elif key in os.environ:
            out.append(f"{key}={os.environ[key]}")
    return out


def key_values(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not key:
            die(f"invalid {what}: {value}", 125)
        out[key] = rest if sep else ""
    return out


def restart_policy(value: str) -> tuple[str, int]:
    name, _, count = value.partition(":")
    if count and not count.isdigit():
        die(f"invalid restart policy: maximum retry count must be an integer: {value}", 125)
    return name, int(count or 0)
