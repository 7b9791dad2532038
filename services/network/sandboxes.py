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
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.services.network.etcfiles import Files
from dockyard.services.network.kernel import Namespaces

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

    def mark_complete(self, container_id: str, complete: bool = True) -> Sandbox:
        """Mark it set up whole, or (`complete` False, as its removal begins) no longer so."""
        with self._db:
            self._db.execute(
                "UPDATE sandboxes SET complete = ? WHERE container_id = ?",
                (int(complete), container_id),
            )
        return self.get(container_id)

    def set_spec(self, container_id: str, spec: dict[str, Any]) -> Sandbox:
        with self._db:
            self._db.execute(
                "UPDATE sandboxes SET spec = ? WHERE container_id = ?",
                (json.dumps(spec), container_id),
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

    def with_mode(self, mode: str) -> list[Sandbox]:
        rows = self._db.execute(f"SELECT {COLUMNS} FROM sandboxes WHERE mode = ?", (mode,))
        return [self._sandbox(r) for r in rows.fetchall()]

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


def write_files(sandbox: Sandbox, files: Files) -> None:
    """The sandbox's /etc files (a container: mode sandbox has the other container's).

    Without fsync: a sandbox does not outlive the machine (its namespace is in /run), and a
    crash of this process cannot lose what the page cache holds; each file is still replaced
    whole or written in place, never seen half written by a new reader."""
    if sandbox.shares:
        return
    sandbox.files.mkdir(parents=True, exist_ok=True)
    write_file(sandbox.hosts, files.hosts)
    write_file(sandbox.resolv_conf, files.resolv_conf)
    write_file(sandbox.hostname_file, f"{files.hostname}\n")


def write_file(path: Path, text: str) -> None:
    """A new file by rename; an existing one in place: a running container has it
    bind-mounted, and a bind mount follows the inode, not the name."""
    try:
        f = open(path, "r+")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        return
    with f:
        f.truncate(0)
        f.write(text)


def _check_id(container_id: str) -> None:
    if not container_id or "/" in container_id or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container ID {container_id!r}")
