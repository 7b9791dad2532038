"""pyroute2's few classes this service uses, imported at the first netlink call, not at start.

`netlink.IPRoute`, `netlink.NFTables` and `netlink.NetlinkError` are pyroute2's own; this
module only loads them late and light. pyroute2's package `__init__` imports all of pyroute2
(NDB, IPDB, conntrack, wireless, plan9, ... 165 modules with the standard library they pull:
sqlite3, multiprocessing, unittest), ~15 MiB of the network process and ~100 ms, though we use
three classes. So:

- nothing is imported until an attribute is first asked for (a service that has made no
  bridge nor sandbox yet holds none of it);
- the package is then set up without running its `__init__` (its submodules import as ever,
  from its directory), and only the submodules of those three classes load;
- anyone who later asks the package for another of its names (`from pyroute2 import NDB`)
  gets it: the first such look-up runs the real `__init__` then.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyroute2.iproute.linux import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.nftables.main import NFTables

__all__ = ["IPRoute", "NFTables", "NetlinkError"]

WHERE = {
    "IPRoute": "pyroute2.iproute.linux",
    "NFTables": "pyroute2.nftables.main",
    "NetlinkError": "pyroute2.netlink.exceptions",
}
_LOADING = threading.RLock()  # links.py works in threads of its own (one per netns)


def __getattr__(name: str) -> object:
    if name not in WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _LOADING:
        _package()
        value = getattr(importlib.import_module(WHERE[name]), name)
    globals()[name] = value  # asked once
    return value


def _package() -> None:
    """`pyroute2` in sys.modules, its `__init__` not run until someone needs a name of it."""
    if "pyroute2" in sys.modules:
        return
    spec = importlib.util.find_spec("pyroute2")
    assert spec is not None and spec.loader is not None
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)

    def whole(name: str) -> object:
        if name.startswith("__") or importlib.util.find_spec(f"pyroute2.{name}") is not None:
            raise AttributeError(name)  # a submodule: `from pyroute2 import config` imports it
        with _LOADING:
            if "__getattr__" in vars(package):  # not run yet (by another thread)
                del package.__getattr__
                loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = whole  # type: ignore[method-assign]
    sys.modules["pyroute2"] = package
