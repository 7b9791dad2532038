"""Image names as docker shows them: docker.io/library/busybox:latest → busybox:latest."""

from __future__ import annotations

DEFAULT_DOMAIN = "docker.io/"
OFFICIAL = "library/"


def familiar(name: str) -> str:
    if name.startswith(DEFAULT_DOMAIN):
        name = name[len(DEFAULT_DOMAIN) :]
        if name.startswith(OFFICIAL):
            name = name[len(OFFICIAL) :]
    return name


def repository_and_tag(name: str) -> tuple[str, str]:
    """("busybox", "latest") from a recorded name; ("<none>", "<none>") for none."""
    short = familiar(name)
    slash = short.rfind("/")
    colon = short.rfind(":")
    if colon > slash:
        return short[:colon], short[colon + 1 :]
    return short, "<none>"
