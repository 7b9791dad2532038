"""What a COPY or ADD reads: its source patterns matched inside a root (the build context, or
another stage's or image's filesystem), and the digest of what they match (its cache key).

Patterns are Go's filepath.Match, per path component (`*`, `?`, `[a-z]`, `\\x`), relative
to the root ("./a/../b" is "b"); one that climbs out of the root is refused, as docker
refuses it. Everything is resolved inside the root (`dockyard.shim.inroot`): a symlink —
the context's, or a hostile image's — never leads out of it. A matched source that is a
symlink is followed (inside the root), as docker follows it; links inside a copied
directory are copied as links.

The digest covers each file's path below its source, type, permissions, size, content and
link target — not its times or owner, so touching a file or checking out a repository
again keeps the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import stat
from collections.abc import Iterator
from functools import cache

from dockyard.api.errors import InvalidArgument, NotFound
from dockyard.shim.inroot import Root, fd_path

WILDCARDS = re.compile(r"[*?\[\\]")
CHUNK = 1 << 20


def clean(pattern: str, what: str = "COPY") -> str:
    """`pattern` as an absolute path inside the root; InvalidArgument if it climbs out."""
    normalized = posixpath.normpath(pattern or ".")
    if not pattern.startswith("/") and (normalized == ".." or normalized.startswith("../")):
        raise InvalidArgument(f"{what} failed: forbidden path outside the build context: {pattern}")
    return posixpath.normpath("/" + normalized.lstrip("/"))


def match(root: Root, pattern: str, what: str = "COPY") -> list[str]:
    """The paths (absolute in the root, sorted) that `pattern` matches; NotFound if none."""
    path = clean(pattern, what)
    if not WILDCARDS.search(path):
        try:
            os.close(root.open(path))
        except (FileNotFoundError, NotADirectoryError):
            raise _not_found(what, pattern) from None
        return [path]
    found = sorted(_expand(root, "/", [p for p in path.split("/") if p]))
    if not found:
        raise _not_found(what, pattern)
    return found


def _not_found(what: str, pattern: str) -> NotFound:
    return NotFound(
        f"{what} failed: file not found in build context or excluded by .dockerignore: "
        f"stat {pattern}: file does not exist"
    )


def _expand(root: Root, prefix: str, parts: list[str]) -> Iterator[str]:
    if not parts:
        yield prefix
        return
    head, rest = parts[0], parts[1:]
    if not WILDCARDS.search(head):
        candidate = posixpath.join(prefix, head)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            os.close(root.open(candidate))
            yield from _expand(root, candidate, rest)
        return
    pattern = _component_regex(head)
    for name in sorted(listdir(root, prefix)):
        if pattern.fullmatch(name):
            yield from _expand(root, posixpath.join(prefix, name), rest)


def listdir(root: Root, path: str) -> list[str]:
    """The names in the directory `path` (resolved inside the root); [] if it is not one."""
    try:
        fd = root.open(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            return []
        return os.listdir(fd_path(fd))
    finally:
        os.close(fd)


@cache
def _component_regex(pattern: str) -> re.Pattern[str]:
    out, index = [], 0
    while index < len(pattern):
        ch = pattern[index]
        index += 1
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\" and index < len(pattern):
            out.append(re.escape(pattern[index]))
            index += 1
        elif ch == "[" and (end := pattern.find("]", index + 1)) >= 0:
            body = pattern[index:end]
            body = "^" + body[1:] if body.startswith(("^", "!")) else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            index = end + 1
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


# -- the digest of what a COPY reads ------------------------------------------------------------


def is_directory(root: Root, path: str) -> bool:
    fd = root.open(path)
    try:
        return stat.S_ISDIR(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def digest(root: Root, paths: list[str]) -> str:
    """The content digest of `paths` (and everything below those that are directories)."""
    hashed = hashlib.sha256()
    for path in paths:
        hashed.update(f"source {path}\n".encode())
        fd = root.open(path)
        try:
            _hash_entry(hashed, fd, "")
        finally:
            os.close(fd)
    return "sha256:" + hashed.hexdigest()


def _hash_entry(hashed: hashlib._Hash, fd: int, name: str) -> None:
    """Hash the file `fd` (an O_PATH fd) is open on, as `name` below its source."""
    st = os.fstat(fd)
    mode = stat.S_IMODE(st.st_mode)
    kind = stat.S_IFMT(st.st_mode)
    hashed.update(f"{name}\0{kind:o}\0{mode:o}\0".encode())
    if stat.S_ISREG(st.st_mode):
        hashed.update(f"{st.st_size}\0".encode())
        readable = os.open(fd_path(fd), os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
        with os.fdopen(readable, "rb") as data:
            while chunk := data.read(CHUNK):
                hashed.update(chunk)
    elif stat.S_ISDIR(st.st_mode):
        readable = os.open(fd_path(fd), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for child in sorted(os.listdir(readable)):
                child_fd = os.open(child, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=readable)
                try:
                    if stat.S_ISLNK(os.fstat(child_fd).st_mode):
                        target = os.readlink(child, dir_fd=readable)
                        hashed.update(f"{name}/{child}\0link\0{target}\0".encode())
                    else:
                        _hash_entry(hashed, child_fd, f"{name}/{child}")
                finally:
                    os.close(child_fd)
        finally:
            os.close(readable)
