"""Sandboxes: one per container, its network namespace and the /etc files it gets.

    <state>/network/netns/<id>                  the namespace, pinned by a bind mount
    <root>/network/sandboxes/<id>/hosts         bind-mounted at /etc/hosts
    <root>/network/sandboxes/<id>/resolv.conf   bind-mounted at /etc/resolv.conf
    <root>/network/sandboxes/<id>/hostname      bind-mounted at /etc/hostname

Modes: "none" (a new namespace with only `lo`, up) and "host" (no namespace: the host's).
Records live in SQLite; creation registers the teardown before it sets anything up, so a
failure half way undoes itself, and removal is idempotent. `reconcile` at start-up drops
records whose namespace is gone and unmounts namespaces nobody records.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockyard.api.errors import InvalidArgument, NotFound

MODES = ("none", "host")
HOSTS_HEADER = (
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
)
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")  # docker's, when the host only has loopback ones

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sandboxes (
    container_id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    netns_path TEXT NOT NULL,
    hostname TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Sandbox:
    container_id: str
    mode: str
    netns_path: str
    files: Path

    @property
    def hosts(self) -> Path:
        return self.files / "hosts"

    @property
    def resolv_conf(self) -> Path:
        return self.files / "resolv.conf"

    @property
    def hostname(self) -> Path:
        return self.files / "hostname"


@dataclass(frozen=True)
class Namespaces:
    """The netns operations (nsfs.py in production), injectable for tests without root."""

    create: Callable[[Path], None]
    remove: Callable[[Path], None]
    is_mounted: Callable[[Path], bool]


class Sandboxes:
    def __init__(self, data_dir: Path, run_dir: Path, namespaces: Namespaces) -> None:
        self._files = data_dir / "sandboxes"
        self._netns = run_dir / "netns"
        self._ns = namespaces
        self._files.mkdir(parents=True, exist_ok=True)
        self._netns.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            data_dir / "network.db", isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def create(self, container_id: str, mode: str, hostname: str) -> Sandbox:
        if mode not in MODES:
            raise InvalidArgument(f"network mode {mode!r} is not supported")
        _check_id(container_id)
        with contextlib.suppress(NotFound):
            return self.get(container_id)
        netns = "" if mode == "host" else str(self._netns / container_id)
        sandbox = Sandbox(container_id, mode, netns, self._files / container_id)
        try:
            with self._db:  # the record first: a crash later leaves something reconcile can find
                self._db.execute(
                    "INSERT INTO sandboxes VALUES (?, ?, ?, ?)",
                    (container_id, mode, netns, hostname),
                )
            self._write_files(sandbox, hostname)
            if netns:
                self._ns.create(Path(netns))
        except BaseException:
            self.remove(container_id)
            raise
        return sandbox

    def remove(self, container_id: str) -> None:
        _check_id(container_id)
        netns = self._netns / container_id
        self._ns.remove(netns)
        shutil.rmtree(self._files / container_id, ignore_errors=True)
        with self._db:
            self._db.execute("DELETE FROM sandboxes WHERE container_id = ?", (container_id,))

    def get(self, container_id: str) -> Sandbox:
        row = self._db.execute(
            "SELECT container_id, mode, netns_path FROM sandboxes WHERE container_id = ?",
            (container_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no sandbox for container {container_id}")
        return Sandbox(row[0], row[1], row[2], self._files / row[0])

    def list(self) -> list[Sandbox]:
        rows = self._db.execute("SELECT container_id, mode, netns_path FROM sandboxes").fetchall()
        return [Sandbox(r[0], r[1], r[2], self._files / r[0]) for r in rows]

    def reconcile(self) -> None:
        """Make records and namespaces agree after a crash (see the module docstring)."""
        known = set()
        for sandbox in self.list():
            known.add(sandbox.container_id)
            if sandbox.netns_path and not self._ns.is_mounted(Path(sandbox.netns_path)):
                self.remove(sandbox.container_id)
        for path in self._netns.iterdir():
            if path.name not in known:
                self._ns.remove(path)
        for path in self._files.iterdir():
            if path.name not in known:
                shutil.rmtree(path, ignore_errors=True)

    def _write_files(self, sandbox: Sandbox, hostname: str) -> None:
        sandbox.files.mkdir(parents=True, exist_ok=True)
        if sandbox.mode == "host":
            hosts, name = _read("/etc/hosts") or HOSTS_HEADER, socket.gethostname()
            resolv = _read("/etc/resolv.conf")
        else:
            hosts, name, resolv = (
                HOSTS_HEADER,
                hostname,
                container_resolv_conf(_read("/etc/resolv.conf")),
            )
        _write_atomic(sandbox.hosts, hosts)
        _write_atomic(sandbox.resolv_conf, resolv)
        _write_atomic(sandbox.hostname, f"{name}\n")


def container_resolv_conf(host: str) -> str:
    """The host's resolv.conf without loopback nameservers (unreachable from a netns)."""
    lines, servers = [], 0
    for line in host.splitlines():
        fields = line.split()
        if fields[:1] == ["nameserver"] and len(fields) > 1:
            if fields[1].startswith("127.") or fields[1] == "::1":
                continue
            servers += 1
        lines.append(line)
    if not servers:
        lines += [f"nameserver {s}" for s in FALLBACK_NAMESERVERS]
    return "\n".join(lines) + "\n"


def _check_id(container_id: str) -> None:
    if not container_id or "/" in container_id or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container ID {container_id!r}")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
