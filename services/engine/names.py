"""Container names: validation, and generated names ("steady_lighthouse") when none is given.

Valid names are docker's: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, stored without the leading "/".
Generated names pair an adjective with a harbour word; the word lists are Dockyard's own.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from dockyard.api.errors import InvalidArgument

_VALID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")

ADJECTIVES = (
    "able",
    "agile",
    "amber",
    "ancient",
    "bold",
    "brave",
    "breezy",
    "bright",
    "brisk",
    "calm",
    "candid",
    "clever",
    "cosy",
    "crisp",
    "daring",
    "deft",
    "eager",
    "earnest",
    "fearless",
    "fleet",
    "fond",
    "gallant",
    "gentle",
    "glad",
    "golden",
    "grand",
    "hardy",
    "hearty",
    "honest",
    "humble",
    "jolly",
    "keen",
    "kind",
    "lively",
    "loyal",
    "lucid",
    "merry",
    "mighty",
    "modest",
    "nimble",
    "noble",
    "patient",
    "plucky",
    "polished",
    "proud",
    "quick",
    "quiet",
    "radiant",
    "rapid",
    "ready",
    "sharp",
    "shiny",
    "silent",
    "sleek",
    "snug",
    "sound",
    "spry",
    "stalwart",
    "steady",
    "stout",
    "sturdy",
    "sunny",
    "swift",
    "tidy",
    "tireless",
    "trusty",
    "upbeat",
    "valiant",
    "vivid",
    "wary",
    "watchful",
    "wise",
    "witty",
    "zealous",
)
NOUNS = (
    "anchor",
    "barge",
    "beacon",
    "berth",
    "bilge",
    "bollard",
    "bosun",
    "bow",
    "breakwater",
    "buoy",
    "cable",
    "capstan",
    "cargo",
    "chandler",
    "compass",
    "coxswain",
    "crane",
    "davit",
    "derrick",
    "dinghy",
    "dredger",
    "drydock",
    "ferry",
    "gangway",
    "galley",
    "gantry",
    "harbour",
    "hawser",
    "helm",
    "hull",
    "jetty",
    "keel",
    "ketch",
    "lantern",
    "lighter",
    "lighthouse",
    "lock",
    "mast",
    "mooring",
    "navigator",
    "oar",
    "pier",
    "pilot",
    "pontoon",
    "port",
    "quay",
    "rigger",
    "rudder",
    "schooner",
    "shipwright",
    "skiff",
    "slipway",
    "spar",
    "stern",
    "stevedore",
    "tide",
    "tiller",
    "trawler",
    "tug",
    "tugboat",
    "wharf",
    "winch",
)


def validate(name: str) -> str:
    """`name` without a leading "/", or InvalidArgument with docker's message."""
    bare = name.removeprefix("/")
    if not _VALID.fullmatch(bare):
        raise InvalidArgument(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return bare


def generate(taken: Callable[[str], bool]) -> str:
    """A random name that `taken` says is free (a numeric suffix after a few collisions)."""
    for attempt in range(100):
        name = f"{secrets.choice(ADJECTIVES)}_{secrets.choice(NOUNS)}"
        if attempt >= 10:
            name += str(secrets.randbelow(10))
        if not taken(name):
            return name
    return f"container_{secrets.token_hex(6)}"
