"""The network service's records, kept in SQLite (WAL): networks, endpoints, published ports.

    networks   id, name, driver (bridge | macvlan | host | null), subnet, gateway, ip_range,
               internal, options, labels, created, interface (the Linux bridge),
               gateway_unstated (a subnet given without its gateway: this service chose it),
               settings (docker's other create fields, JSON: attachable, scope, IPAM driver
               and options, auxiliary addresses, config-only, config-from; netconfig.py)
    endpoints  one per (container, network): address (UNIQUE per network: an address in use is
               never handed out twice), MAC, aliases, interface in the namespace, host veth end,
               ready (0 until its link is made: start-up repair undoes one that never was)
    ports      published ports, UNIQUE per (protocol, host port, host address)

The sandboxes table (sandboxes.py) lives in the same database. Only this module speaks SQL
for these three tables; nothing here touches the kernel.

Durability: network records outlive a reboot, so their changes are synced to disk before
they return (synchronous=FULL, on a connection of their own). Per-container records
(sandboxes, endpoints, ports) do not outlive one (the namespaces they describe are in /run),
so theirs are not (synchronous=NORMAL: WAL keeps the file consistent, and a crash of the
process loses nothing; only a power loss could roll back the last of them, and start-up
repair after a reboot removes every sandbox anyway). That saves an fsync per change on
every run.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound

SCHEMA = """
CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL,
    subnet TEXT NOT NULL,
    gateway TEXT NOT NULL,
    ip_range TEXT NOT NULL,
    internal INTEGER NOT NULL,
    options TEXT NOT NULL,
    labels TEXT NOT NULL,
    created TEXT NOT NULL,
    interface TEXT NOT NULL,
    gateway_unstated INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS endpoints (
    container_id TEXT NOT NULL,
    network_id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    address TEXT NOT NULL,
    mac TEXT NOT NULL,
    aliases TEXT NOT NULL,
    ifname TEXT NOT NULL,
    host_ifname TEXT NOT NULL,
    ready INTEGER NOT NULL DEFAULT 1,
    links TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (container_id, network_id),
    UNIQUE (network_id, address)
);
CREATE TABLE IF NOT EXISTS ports (
    container_id TEXT NOT NULL,
    protocol TEXT NOT NULL,
    host_ip TEXT NOT NULL,
    host_port INTEGER NOT NULL,
    container_port INTEGER NOT NULL,
    PRIMARY KEY (protocol, host_ip, host_port)
);
CREATE INDEX IF NOT EXISTS ports_by_container ON ports (container_id);
CREATE INDEX IF NOT EXISTS endpoints_by_id ON endpoints (endpoint_id);
"""
ENDPOINT_COLUMNS = (
    "container_id, network_id, endpoint_id, address, mac, aliases, ifname, host_ifname, links"
)


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    driver: str
    subnet: str
    gateway: str
    ip_range: str
    internal: bool
    options: dict[str, str]
    labels: dict[str, str]
    created: datetime
    interface: str
    gateway_unstated: bool = False
    attachable: bool = False
    scope: str = "local"
    ipam_driver: str = "default"
    ipam_options: dict[str, str] = field(default_factory=dict)
    aux_addresses: dict[str, str] = field(default_factory=dict)  # name → address
    config_only: bool = False  # a configuration for others (driver null): nobody joins it
    config_from: str = ""  # the config-only network this one was made from

    @property
    def net(self) -> IPv4Network:
        return IPv4Network(self.subnet)

    @property
    def gateway_interface(self) -> IPv4Interface:
        """The gateway with the subnet's prefix, as the bridge holds it."""
        return IPv4Interface(f"{self.gateway}/{self.net.prefixlen}")

    @property
    def addressed(self) -> bool:
        return self.driver in ("bridge", "macvlan")

    @property
    def bridged(self) -> bool:
        return self.driver == "bridge" and bool(self.interface)

    @property
    def has_dns(self) -> bool:
        """User-defined networks answer container names; the default bridge does not (docker)."""
        return self.addressed and self.name != "bridge"


@dataclass(frozen=True)
class Endpoint:
    container_id: str
    network_id: str
    endpoint_id: str
    address: str
    mac: str
    aliases: list[str]
    ifname: str
    host_ifname: str  # "" for a macvlan
    links: list[str] = field(default_factory=list)  # "name:alias": resolved for this one only


@dataclass(frozen=True)
class Port:
    container_id: str
    protocol: str  # tcp | udp
    host_ip: str  # "" = every host address
    host_port: int
    container_port: int


def new_network(**fields: Any) -> Network:
    """A network record as made now: a fresh ID unless given, empty fields by default."""
    defaults: dict[str, Any] = {
        "id": secrets.token_hex(32),
        "subnet": "",
        "gateway": "",
        "ip_range": "",
        "internal": False,
        "options": {},
        "labels": {},
        "created": datetime.now(UTC),
        "interface": "",
    }
    return Network(**(defaults | fields))


class Store:
    def __init__(self, path: Path) -> None:
        self.db = _connect(path, "NORMAL")  # per-container records; reads
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(endpoints)")}
        if "ready" not in columns:  # a store from before the mark: its endpoints were made
            self.db.execute("ALTER TABLE endpoints ADD COLUMN ready INTEGER NOT NULL DEFAULT 1")
        if "links" not in columns:  # a store from before endpoint links
            self.db.execute("ALTER TABLE endpoints ADD COLUMN links TEXT NOT NULL DEFAULT '[]'")
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(networks)")}
        if "gateway_unstated" not in columns:  # a store from before: its gateways are shown
            self.db.execute(
                "ALTER TABLE networks ADD COLUMN gateway_unstated INTEGER NOT NULL DEFAULT 0"
            )
        if "settings" not in columns:  # a store from before: docker's defaults
            self.db.execute("ALTER TABLE networks ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'")
        # opened after the changes of schema: one opened before would compile its statements
        # against the old one (the INSERT of a whole row fails then)
        self._durable = _connect(path, "FULL")  # network records

    def close(self) -> None:
        self._durable.close()
        self.db.close()

    # -- networks ---------------------------------------------------------------------------

    def networks(self) -> list[Network]:
        return [_network(r) for r in self.db.execute("SELECT * FROM networks ORDER BY created")]

    def find(self, ref: str) -> Network | None:
        """The network named `ref` or with the full ID `ref`."""
        row = self.db.execute("SELECT * FROM networks WHERE name = ? OR id = ?", (ref, ref))
        found = row.fetchone()
        return _network(found) if found else None

    def get(self, ref: str) -> Network:
        """By name, full ID or unique ID prefix."""
        found = self.find(ref)
        if found is not None:
            return found
        rows = []
        if ref:
            pattern = _escape(ref) + "%"
            query = "SELECT * FROM networks WHERE id LIKE ? ESCAPE '\\'"
            rows = self.db.execute(query, (pattern,)).fetchall()
        if len(rows) > 1:
            raise InvalidArgument(f"network {ref} is ambiguous ({len(rows)} matches)")
        if not rows:
            raise NotFound(f"network {ref} not found")
        return _network(rows[0])

    def add_network(self, n: Network) -> None:
        row: tuple[Any, ...] = (n.id, n.name, n.driver, n.subnet, n.gateway, n.ip_range)
        row += (int(n.internal),)
        row += (json.dumps(n.options), json.dumps(n.labels), n.created.isoformat(), n.interface)
        row += (int(n.gateway_unstated), json.dumps(_settings(n)))
        with self._durable:
            self._durable.execute(
                "INSERT INTO networks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row
            )

    def set_interface(self, network_id: str, interface: str) -> None:
        with self._durable:
            self._durable.execute(
                "UPDATE networks SET interface = ? WHERE id = ?", (interface, network_id)
            )

    def set_options(self, network_id: str, options: dict[str, str]) -> None:
        with self._durable:
            self._durable.execute(
                "UPDATE networks SET options = ? WHERE id = ?", (json.dumps(options), network_id)
            )

    def delete_network(self, network_id: str) -> None:
        with self._durable:
            self._durable.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    # -- endpoints --------------------------------------------------------------------------

    def endpoints(
        self, container_id: str = "", network_id: str = "", ready: bool | None = None
    ) -> list[Endpoint]:
        query, args = f"SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE 1", list[Any]()
        if container_id:
            query, args = query + " AND container_id = ?", [*args, container_id]
        if network_id:
            query, args = query + " AND network_id = ?", [*args, network_id]
        if ready is not None:
            query, args = query + " AND ready = ?", [*args, int(ready)]
        return [_endpoint(r) for r in self.db.execute(query + " ORDER BY ifname", args)]

    def has_endpoints(self, network_id: str = "") -> bool:
        query, args = "SELECT 1 FROM endpoints", tuple[str, ...]()
        if network_id:
            query, args = query + " WHERE network_id = ?", (network_id,)
        return self.db.execute(query + " LIMIT 1", args).fetchone() is not None

    def addresses(self, network_id: str) -> set[str]:
        rows = self.db.execute("SELECT address FROM endpoints WHERE network_id = ?", (network_id,))
        return {address for (address,) in rows}

    def add_endpoint(self, e: Endpoint) -> bool:
        """Record `e`, not ready yet; False when its address is taken on its network."""
        row: tuple[Any, ...] = (e.container_id, e.network_id, e.endpoint_id, e.address, e.mac)
        row += (json.dumps(e.aliases), e.ifname, e.host_ifname, json.dumps(e.links))
        try:
            with self.db:
                self.db.execute(
                    f"INSERT INTO endpoints ({ENDPOINT_COLUMNS}, ready)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    row,
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def mark_ready(self, endpoint_id: str) -> None:
        with self.db:
            self.db.execute("UPDATE endpoints SET ready = 1 WHERE endpoint_id = ?", (endpoint_id,))

    def delete_endpoint(self, endpoint_id: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM endpoints WHERE endpoint_id = ?", (endpoint_id,))

    # -- ports ------------------------------------------------------------------------------

    def ports(self, container_id: str = "") -> list[Port]:
        if container_id:
            rows = self.db.execute("SELECT * FROM ports WHERE container_id = ?", (container_id,))
        else:
            rows = self.db.execute("SELECT * FROM ports")
        return [Port(*r) for r in rows]

    def add_port(self, p: Port) -> bool:
        """Record `p`; False when its host address and port are taken."""
        row = (p.container_id, p.protocol, p.host_ip, p.host_port, p.container_port)
        try:
            with self.db:
                self.db.execute("INSERT INTO ports VALUES (?, ?, ?, ?, ?)", row)
        except sqlite3.IntegrityError:
            return False
        return True

    def delete_port(self, p: Port) -> None:
        with self.db:
            self.db.execute(
                "DELETE FROM ports WHERE protocol = ? AND host_ip = ? AND host_port = ?",
                (p.protocol, p.host_ip, p.host_port),
            )

    def owners(self) -> set[str]:
        """Every container with an endpoint or a port on record."""
        rows = self.db.execute(
            "SELECT container_id FROM endpoints UNION SELECT container_id FROM ports"
        )
        return {cid for (cid,) in rows}

    def forget(self, container_id: str) -> None:
        """Drop every endpoint and port record of `container_id` (its links are gone)."""
        with self.db:
            self.db.execute("DELETE FROM endpoints WHERE container_id = ?", (container_id,))
            self.db.execute("DELETE FROM ports WHERE container_id = ?", (container_id,))


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA busy_timeout=5000")  # the other connection may be writing
    return db


def _network(row: tuple[Any, ...]) -> Network:
    fields = list(row)
    fields[6] = bool(fields[6])
    fields[7], fields[8] = json.loads(fields[7]), json.loads(fields[8])
    fields[9] = datetime.fromisoformat(fields[9])
    fields[11] = bool(fields[11])
    return Network(*fields[:12], **json.loads(fields[12]))


SETTINGS = (
    "attachable",
    "scope",
    "ipam_driver",
    "ipam_options",
    "aux_addresses",
    "config_only",
    "config_from",
)


def _settings(n: Network) -> dict[str, Any]:
    return {name: getattr(n, name) for name in SETTINGS}


def _endpoint(row: tuple[Any, ...]) -> Endpoint:
    fields = list(row)
    fields[5], fields[8] = json.loads(fields[5]), json.loads(fields[8])
    return Endpoint(*fields)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
