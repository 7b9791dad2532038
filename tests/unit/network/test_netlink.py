"""pyroute2 loads at the first netlink call, and without its package's `__init__` (netlink.py).

Each check runs in a fresh interpreter: what a module imports is decided once per process.
"""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str) -> list[str]:
    """The pyroute2 modules a fresh interpreter holds after `code`."""
    probe = (
        f"{code}\nimport sys\nprint(' '.join(m for m in sys.modules if m.startswith('pyroute2')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_importing_the_network_modules_loads_no_pyroute2() -> None:
    code = "from dockyard.services.network import forward, kernel, links, manager, service"
    assert loaded_after(code) == []


def test_the_classes_come_from_pyroute2_without_the_rest_of_it() -> None:
    code = (
        "from dockyard.services.network import netlink\n"
        "netlink.IPRoute, netlink.NFTables, netlink.NetlinkError\n"
        "from pyroute2.iproute.linux import IPRoute\n"
        "from pyroute2.netlink.exceptions import NetlinkError\n"
        "from pyroute2.nftables.main import NFTables\n"
        "assert netlink.IPRoute is IPRoute and netlink.NFTables is NFTables\n"
        "assert netlink.NetlinkError is NetlinkError"
    )
    modules = loaded_after(code)
    assert "pyroute2.iproute.linux" in modules
    assert "pyroute2.ndb.main" not in modules  # what pyroute2's __init__ would have imported
    assert "pyroute2.ipdb" not in modules


def test_the_rest_of_pyroute2_is_there_for_whoever_asks() -> None:
    code = (
        "from dockyard.services.network import netlink\n"
        "netlink.IPRoute\n"
        "from pyroute2 import NDB, IPRoute\n"
        "import pyroute2\n"
        "assert IPRoute is netlink.IPRoute and pyroute2.NDB is NDB and pyroute2.__version__"
    )
    assert "pyroute2.ndb.main" in loaded_after(code)


def test_an_unknown_name_is_an_attribute_error() -> None:
    code = (
        "from dockyard.services.network import netlink\n"
        "try:\n    netlink.IPDB\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)"
    )
    assert loaded_after(code) == []
