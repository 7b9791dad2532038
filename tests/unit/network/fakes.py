"""Recording fakes of what the network model asks of the kernel, and a world built on them.

FakeNft keeps the engine's table as nft would (tables, and the elements of its sets and
maps), applying each script as one transaction: an error (a table or element missing, a map
key already bound to another value) changes nothing and raises, as the kernel does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from dockyard.api.config import DaemonConfig
from dockyard.api.errors import Internal, InvalidArgument
from dockyard.services.network import repair
from dockyard.services.network.kernel import Attachment, Kernel, Namespaces
from dockyard.services.network.manager import Manager, SandboxRequest, SandboxView

Tables = dict[str, dict[str, dict[str, str | None]]]  # table → set → key → value (maps)
ELEMENT = re.compile(r"^(add|delete) element ip (\S+) (\S+) \{ (.*) \}$")


class FakeNft:
    def __init__(self) -> None:
        self.tables: Tables = {}
        self.scripts: list[str] = []
        self.fail_next = False  # the next script fails (as when the table was removed)

    def __call__(self, script: str) -> None:
        self.scripts.append(script)
        if self.fail_next:
            self.fail_next = False
            raise Internal("nft: injected failure")
        tables = {t: {s: dict(e) for s, e in sets.items()} for t, sets in self.tables.items()}
        depth = 0
        for line in script.splitlines():
            if depth:
                depth += line.count("{") - line.count("}")
                continue
            depth = self._line(tables, line.strip())
        self.tables = tables

    def elements(self, table: str, name: str) -> dict[str, str | None]:
        return self.tables.get(table, {}).get(name, {})

    def _line(self, tables: Tables, line: str) -> int:
        words = line.split()
        if words[:2] == ["table", "ip"]:
            tables.setdefault(words[2], {})
            return 1 if line.endswith("{") else 0
        if words[:3] == ["delete", "table", "ip"]:
            if tables.pop(words[3], None) is None:
                raise Internal(f"nft: no table {words[3]}")
            return 0
        match = ELEMENT.match(line)
        if match is None:
            raise AssertionError(f"the fake does not know: {line}")
        verb, table, name, element = match.groups()
        if table not in tables:
            raise Internal(f"nft: no table {table}")
        key, _, value = element.partition(" : ")
        elements = tables[table].setdefault(name, {})
        if verb == "add":
            if key in elements and elements[key] != (value or None):
                raise Internal(f"nft: {key} is bound to another value")
            elements[key] = value or None
        elif elements.pop(key, "absent") == "absent":
            raise Internal(f"nft: no element {key} in {name}")
        return 0


class FakeLinks:
    def __init__(self, nft: FakeNft) -> None:
        self.nft = nft
        self.links: dict[str, str] = {}  # name → master ("" for none)
        self.localnet: list[str] = []  # bridges given route_localnet, in order
        self.released: list[tuple[str, bool]] = []  # (bridge, deleted) given back at a stop
        self.routes = [IPv4Network("192.0.2.0/24"), IPv4Network("10.199.0.0/16")]
        self.in_netns: dict[Path, list[str]] = {}  # interfaces made inside each namespace

    def ensure_bridge(self, name: str, gateway: IPv4Interface) -> None:
        self.links.setdefault(name, "")

    def allow_localnet(self, name: str) -> None:
        assert name in self.links, "route_localnet is set on an existing bridge"
        guarded = any(f'"{name}"' in sets.get("bridges", {}) for sets in self.nft.tables.values())
        assert guarded, "route_localnet only on a bridge the loopback guard covers"
        self.localnet.append(name)

    def release_bridge(self, name: str, gateway: IPv4Interface, delete: bool) -> None:
        self.released.append((name, delete))
        if delete:
            self.links.pop(name, None)

    def delete_link(self, name: str) -> None:
        self.links.pop(name, None)

    def ports_of(self, bridge: str) -> list[str]:
        return [n for n, master in self.links.items() if master == bridge]

    def links_named(self, prefix: str) -> list[str]:
        return [n for n in self.links if n.startswith(prefix)]

    def host_routes(self) -> list[IPv4Network]:
        return list(self.routes)

    def add_veth(self, netns: Path, bridge: str, host_name: str, attachment: Attachment) -> None:
        assert netns.exists(), "a veth goes into an existing namespace"
        if bridge not in self.links:
            raise InvalidArgument(f"bridge {bridge} does not exist")
        self.links[host_name] = bridge
        self.in_netns.setdefault(netns, []).append(attachment.ifname)

    def add_macvlan(self, netns: Path, parent: str, mode: str, attachment: Attachment) -> None:
        if parent not in self.links:
            raise InvalidArgument(f"parent interface {parent} does not exist")
        self.in_netns.setdefault(netns, []).append(attachment.ifname)

    def remove_in_netns(self, netns: Path, ifname: str) -> None:
        self.in_netns.get(netns, []).remove(ifname)


def namespaces() -> Namespaces:
    return Namespaces(
        create=lambda p: p.touch(),
        remove=lambda p: p.unlink(missing_ok=True),
        is_mounted=lambda p: p.exists(),
    )


@dataclass
class World:
    """A network model over fakes in `tmp`, started (repaired) as the service starts it."""

    tmp: Path
    config: DaemonConfig = field(default_factory=lambda: DaemonConfig(bridge="br-test"))
    nft: FakeNft = field(default_factory=FakeNft)
    opened: list[list[str]] = field(default_factory=list)  # FORWARD exceptions, each time
    routes: list[IPv4Network] | None = None  # the host's routes (FakeLinks' by default)

    def __post_init__(self) -> None:
        self.links = FakeLinks(self.nft)
        if self.routes is not None:
            self.links.routes = list(self.routes)
        self.manager = self.open()

    def open(self) -> Manager:
        (self.tmp / "data").mkdir(parents=True, exist_ok=True)
        kernel = Kernel(
            self.links,
            namespaces(),
            self.nft,
            lambda tag, interfaces: self.opened.append(interfaces),
        )
        manager = Manager(self.tmp / "data", self.tmp / "run", self.config, kernel)
        repair.startup(manager)
        return manager

    def restart(self) -> Manager:
        self.manager.close()
        self.manager = self.open()
        return self.manager

    def request(self, cid: str, network: str = "bridge", **kw: Any) -> SandboxRequest:
        return SandboxRequest(container_id=cid, mode=network, hostname=cid[:12], **kw)

    def run(self, cid: str, network: str = "bridge", **kw: Any) -> SandboxView:
        return self.manager.create_sandbox(self.request(cid, network, **kw))

    @property
    def table(self) -> str:
        return self.manager.rules.table

    def forwards(self) -> dict[str, str | None]:
        """What the table DNATs: `proto . port` (or `address . proto . port`) → target."""
        return {
            **self.nft.elements(self.table, "ports_any"),
            **self.nft.elements(self.table, "ports_addr"),
        }

    def netns(self, cid: str) -> Path:
        return self.tmp / "run" / "netns" / cid
