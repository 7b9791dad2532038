"""A module imported at the first use of one of its names, not when its user is imported.

    if TYPE_CHECKING:
        import aiohttp
    else:
        aiohttp = lazy.module("aiohttp")  # imported at the first registry request

For a library that a long-running service needs only for some requests: until one comes, the
process holds none of it (each module imported costs its code objects and data in every
process that imports it: aiohttp and what it pulls are ~7 MiB). The type checker sees the real
module; the first attribute read imports it (the import lock makes that safe from any thread),
and later reads cost a dict look-up.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


class _Lazy:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module = sys.modules.get(self._name) or importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported at its first use>"


def module(name: str) -> Any:
    """A stand-in for `import name` whose import happens at the first attribute read."""
    return _Lazy(name)
