"""Resolves a docker user string inside the container's root, as docker does.

"name", "uid", "name:group", "uid:gid", "uid:group" ... → uid, primary gid, supplementary
gids and home, from the container's own /etc/passwd and /etc/group: read inside `root` (the
container's `/` after pivot_root, or its rootfs seen from the host), so a link the image planted
there (`/etc/passwd` → the host's `/etc/shadow`) is followed inside the rootfs, and a FIFO or a
device there is not read. A name that is not there is an error; a numeric uid need not be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard.shim.inroot import Root

MAX_ID = 2**31 - 1  # setuid(2) takes a uid_t; docker bounds ids as libcontainer does


class UnknownUser(Exception):
    pass


@dataclass(frozen=True)
class User:
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def _table(root: Root, path: str) -> list[list[str]]:
    try:
        lines = root.read(path).decode(errors="replace").splitlines()
    except OSError:
        return []
    return [
        line.split(":")
        for line in lines
        if line and not line.startswith("#") and line.count(":") >= 2
    ]


def resolve(spec: str, uid: int = 0, gid: int = 0, root: Path = Path("/")) -> User:
    """Resolve `spec` ("" = the numeric `uid`/`gid` the spec already carries)."""
    with Root(root) as opened:
        passwd, group = _table(opened, "/etc/passwd"), _table(opened, "/etc/group")
    name_part, _, group_part = spec.partition(":")
    entry = _find_user(passwd, name_part) if name_part else _by_id(passwd, uid)
    if entry is None and name_part and not name_part.isdigit():
        raise UnknownUser(f"unable to find user {name_part}: no matching entries in passwd file")
    user_id = int(entry[2]) if entry else (int(name_part) if name_part.isdigit() else uid)
    primary = int(entry[3]) if entry and entry[3].isdigit() else gid
    if group_part:
        primary = _group_id(group, group_part)
    user_name = entry[0] if entry else ""
    supplementary = tuple(
        int(g[2])
        for g in group
        if len(g) >= 4 and g[2].isdigit() and user_name and user_name in g[3].split(",")
    )
    home = entry[5] if entry and len(entry) > 5 and entry[5] else "/"
    if max(user_id, primary, *supplementary, 0) > MAX_ID:
        raise UnknownUser(f"uids and gids must be in range 0-{MAX_ID}")
    # the primary group is a supplementary one too, as runc sets them (`id` shows groups=GID)
    return User(user_id, primary, tuple(sorted({*supplementary, primary})), home)


def _find_user(passwd: list[list[str]], name: str) -> list[str] | None:
    if name.isdigit():
        return _by_id(passwd, int(name))
    return next((e for e in passwd if e[0] == name), None)


def _by_id(passwd: list[list[str]], uid: int) -> list[str] | None:
    return next((e for e in passwd if len(e) > 3 and e[2] == str(uid)), None)


def _group_id(group: list[list[str]], name: str) -> int:
    if name.isdigit():
        return int(name)
    entry = next((g for g in group if g[0] == name), None)
    if entry is None or not entry[2].isdigit():
        raise UnknownUser(f"unable to find group {name}: no matching entries in group file")
    return int(entry[2])


def added_groups(names: list[str], root: Path = Path("/")) -> tuple[int, ...]:
    """--group-add's group names as gids, from the container's own /etc/group (read inside
    `root`); one that is not there is an error in dockerd's words."""
    if not names:
        return ()
    with Root(root) as opened:
        group = _table(opened, "/etc/group")
    ids = []
    for name in names:
        entry = next((g for g in group if g[0] == name and g[2].isdigit()), None)
        if entry is None:
            raise UnknownUser(f"Unable to find group {name}: no matching entries in group file")
        ids.append(int(entry[2]))
    return tuple(ids)
