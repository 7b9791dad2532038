"""Sandboxes: one per container, its network namespace and the /etc files it gets.

    <state>/network/netns/<id>                  the namespace, pinned by a bind mount
    <root>/network/sandboxes/<id>/hosts         bind-mounted at /etc/hosts
    <root>/network/sandboxes/<id>/resolv.conf   bind-mounted at /etc/resolv.conf
    <root>/network/sandboxes/<id>/hostname      bind-mounted at /etc/hostname

A sandbox's namespace is new (every mode but two), the host's ("host": no namespace) or
another container's ("container:<id>": its path and files, never torn down with this one).
The record is written before anything is set up, so a failure half way, or a crash, leaves
something `remove` or start-up repair can find, and marked complete once all is set up (its
endpoints, ports, rules and files): start-up repair undoes a sandbox that never was, even
when its namespace exists. Removal is idempotent.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.api.files import write_atomic

HOSTS_HEADER = (
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
)
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")  # docker's, when the host only has loopback ones
COLUMNS = "container_id, mode, netns_path, hostname, spec, complete"

SCHEMA = """
CREATE TABLE IF NOT EXISTS sandboxes (
    container_id TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    netns_path TEXT NOT NULL,
    hostname TEXT NOT NULL,
    spec TEXT NOT NULL DEFAULT '{}',
    complete INTEGER NOT NULL DEFAULT 1
);
"""


@dataclass(frozen=True)
class Sandbox:
    container_id: str
    mode: str
    netns_path: str
    files: Path
    hostname: str = ""
    spec: dict[str, Any] = field(default_factory=dict)  # name, dns, extra_hosts, ...
    complete: bool = False  # set up whole (see the module docstring)

    @property
    def hosts(self) -> Path:
        return self.files / "hosts"

    @property
    def resolv_conf(self) -> Path:
        return self.files / "resolv.conf"

    @property
    def hostname_file(self) -> Path:
        return self.files / "hostname"

    @property
    def shares(self) -> str:
        """The container whose namespace this one joins ("" unless mode container:<id>)."""
        return self.mode.removeprefix("container:") if self.mode.startswith("container:") else ""


@dataclass(frozen=True)
class Namespaces:
    """The netns operations (nsfs.py in production), injectable for tests without root."""

    create: Callable[[Path], None]
    remove: Callable[[Path], None]
    is_mounted: Callable[[Path], bool]


class Sandboxes:
    def __init__(
        self, db: sqlite3.Connection, data_dir: Path, run_dir: Path, namespaces: Namespaces
    ) -> None:
        self._files = data_dir / "sandboxes"
        self._netns = run_dir / "netns"
        self._ns = namespaces
        self._files.mkdir(parents=True, exist_ok=True)
        self._netns.mkdir(parents=True, exist_ok=True)
        self._db = db
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(sandboxes)")}
        if "spec" not in columns:  # a store from before bridge networks
            db.execute("ALTER TABLE sandboxes ADD COLUMN spec TEXT NOT NULL DEFAULT '{}'")
        if "complete" not in columns:  # a store from before the mark: its sandboxes were whole
            db.execute("ALTER TABLE sandboxes ADD COLUMN complete INTEGER NOT NULL DEFAULT 1")

    def create(
        self,
        container_id: str,
        mode: str,
        hostname: str,
        spec: dict[str, Any],
        shared: Sandbox | None,
    ) -> Sandbox:
        """Record the sandbox and make its namespace (`shared`: the one a container: mode joins)."""
        _check_id(container_id)
        if mode == "host":
            netns = ""
        elif shared is not None:
            netns = shared.netns_path
        else:
            netns = str(self._netns / container_id)
        files = shared.files if shared is not None else self._files / container_id
        sandbox = Sandbox(container_id, mode, netns, files, hostname, spec)
        with self._db:  # the record first: a crash later leaves something reconcile can find
            self._db.execute(
                "INSERT INTO sandboxes VALUES (?, ?, ?, ?, ?, 0)",
                (container_id, mode, netns, hostname, json.dumps(spec)),
            )
        if shared is None:
            files.mkdir(parents=True, exist_ok=True)
            if netns:
                self._ns.create(Path(netns))
        return sandbox

    def mark_complete(self, container_id: str) -> Sandbox:
        with self._db:
            self._db.execute(
                "UPDATE sandboxes SET complete = 1 WHERE container_id = ?", (container_id,)
            )
        return self.get(container_id)

    def remove(self, container_id: str) -> None:
        _check_id(container_id)
        self._ns.remove(self._netns / container_id)
        shutil.rmtree(self._files / container_id, ignore_errors=True)
        with self._db:
            self._db.execute("DELETE FROM sandboxes WHERE container_id = ?", (container_id,))

    def get(self, container_id: str) -> Sandbox:
        row = self._db.execute(
            f"SELECT {COLUMNS} FROM sandboxes WHERE container_id = ?",
            (container_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no sandbox for container {container_id}")
        return self._sandbox(row)

    def list(self) -> list[Sandbox]:
        rows = self._db.execute(f"SELECT {COLUMNS} FROM sandboxes").fetchall()
        return [self._sandbox(r) for r in rows]

    def alive(self, sandbox: Sandbox) -> bool:
        return not sandbox.netns_path or self._ns.is_mounted(Path(sandbox.netns_path))

    def whole(self, sandbox: Sandbox) -> bool:
        """Complete, and its namespace (if it has one) still there."""
        return sandbox.complete and self.alive(sandbox)

    def orphans(self) -> None:
        """Unmount namespaces and delete files that no record owns (after a crash)."""
        known = {s.container_id for s in self.list()}
        for path in self._netns.iterdir():
            if path.name not in known:
                self._ns.remove(path)
        for path in self._files.iterdir():
            if path.name not in known:
                shutil.rmtree(path, ignore_errors=True)

    def _sandbox(self, row: tuple[Any, ...]) -> Sandbox:
        container_id, mode, netns, hostname, spec, complete = row
        files = self._files / container_id
        if mode.startswith("container:"):
            files = self._files / mode.removeprefix("container:")
        return Sandbox(container_id, mode, netns, files, hostname, json.loads(spec), bool(complete))


def write_files(sandbox: Sandbox, hosts: str, resolv: str, hostname: str) -> None:
    if sandbox.shares:
        return  # the files are the other container's
    sandbox.files.mkdir(parents=True, exist_ok=True)
    write_file(sandbox.hosts, hosts)
    write_file(sandbox.resolv_conf, resolv)
    write_file(sandbox.hostname_file, f"{hostname}\n")


def write_file(path: Path, text: str) -> None:
    """A new file atomically; an existing one in place: a running container has it
    bind-mounted, and a bind mount follows the inode, not the name."""
    try:
        f = open(path, "r+")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        write_atomic(path, text)
        return
    with f:
        f.truncate(0)
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def host_files() -> tuple[str, str, str]:
    """(hosts, resolv.conf, hostname) of the host, for --network host."""
    return (read("/etc/hosts") or HOSTS_HEADER, read("/etc/resolv.conf"), socket.gethostname())


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


def nameservers(resolv: str) -> list[str]:
    return [
        fields[1]
        for line in resolv.splitlines()
        if (fields := line.split())[:1] == ["nameserver"] and len(fields) > 1
    ]


def _check_id(container_id: str) -> None:
    if not container_id or "/" in container_id or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container ID {container_id!r}")


def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
