"""A COPY or ADD step: its sources found and hashed (the cache key), then written into the
step's snapshot, mounted in a namespace of the builder's own (`mounting.py`), by `copying.py`.

Sources come from the build context, from another stage's filesystem (`--from=stage`, by name
or index), from an image's (`--from=image`) or, for ADD, from URLs (`remote.py`); a stage or image source is mounted read-only
beside the destination (a view snapshot, removed after). `--chown` names are looked up in the
destination's /etc/passwd and /etc/group, as docker does.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.api import errors
from dockyard.services.engine.build import copying, createdby, remote, shellwords, sources
from dockyard.services.engine.build.copying import Options, Plan
from dockyard.services.engine.build.imagestate import ImageState
from dockyard.services.engine.build.instructions import Copy
from dockyard.services.engine.build.mounting import Mounter
from dockyard.services.engine.clients import Clients
from dockyard.shim import users
from dockyard.shim.inroot import Root


@dataclass
class CopySource:
    """Where a COPY reads: the context directory, or a stage's or image's layers."""

    context: Path | None = None
    state: ImageState | None = None  # --from: its layers (none: an empty filesystem)
    remote: bool = False  # the context is ADD's URLs, downloaded (never extracted)


@dataclass
class PreparedCopy:
    instruction: Copy
    dest: str
    patterns: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # heredocs
    matched: list[str] = field(default_factory=list)  # context sources, matched already
    urls: list[str] = field(default_factory=list)  # ADD's URL sources (`remote.py`)
    directory: bool = False  # the one context source matched is a directory

    def created_by(self, config: Mapping[str, Any], described: Mapping[str, Any]) -> str:
        """The history's, as docker 20.10's classic builder's: "COPY file:<hex> in /dest "
        (a directory's "dir:", several sources' "multi:"; --chown's before it, unspaced)."""
        instruction = self.instruction
        count = len(self.matched or self.patterns) + len(self.files)
        kind = "multi" if count != 1 else "dir" if self.directory else "file"
        text = json.dumps(described, sort_keys=True).encode()
        digest = str(described.get("digest") or "") or hashlib.sha256(text).hexdigest()
        chown = f"--chown={instruction.chown}" if instruction.chown else ""
        name = "ADD" if instruction.add else "COPY"
        comment = f"{name} {chown}{kind}:{digest.removeprefix('sha256:')} in {self.dest} "
        return createdby.nop_string(config, comment)

    def describe(self, source: CopySource, digest: str) -> dict[str, Any]:
        """The step's cache key material."""
        instruction = self.instruction
        return {
            "copy": "add" if instruction.add else "copy",
            "dest": self.dest,
            "sources": self.matched or self.patterns,
            "files": [[name, hashlib.sha256(data).hexdigest()] for name, data in self.files],
            "digest": digest,
            "from": source.state.key if source.state is not None else "context",
            "chown": instruction.chown,
            "chmod": instruction.chmod,
        }


def prepare(instruction: Copy, env: Mapping[str, str], workdir: str, escape: str) -> PreparedCopy:
    """The destination and sources with variables expanded; heredocs made into files."""
    if instruction.excludes:
        raise errors.InvalidArgument("COPY --exclude is not supported")
    heredocs = {h.name: h for h in instruction.heredocs}
    dest = resolve_dest(shellwords.word(instruction.dest, env, escape), workdir)
    prepared = PreparedCopy(instruction, dest)
    for raw in instruction.sources:
        marker = raw.lstrip("0123456789").removeprefix("<<").removeprefix("-").strip("'\"")
        if raw.lstrip("0123456789").startswith("<<") and marker in heredocs:
            doc = heredocs[marker]
            body = shellwords.text(doc.body, env, escape) if doc.expand else doc.body
            prepared.files.append((marker, body.encode()))
            continue
        pattern = shellwords.word(raw, env, escape)
        if instruction.add and remote.is_url(pattern):
            prepared.urls.append(pattern)
        else:
            prepared.patterns.append(pattern)
    if prepared.urls and (prepared.patterns or prepared.files or instruction.source_stage):
        raise errors.InvalidArgument(
            "ADD from a URL is supported alone: not with local sources, heredocs or --from"
        )
    return prepared


def resolve_dest(dest: str, workdir: str) -> str:
    """COPY's destination as an absolute path; a trailing "/" (or ".") keeps meaning "a
    directory"."""
    directory = dest.endswith("/") or dest.endswith("/.") or dest in (".", "..")
    path = posixpath.normpath(posixpath.join(workdir or "/", dest))
    return path.rstrip("/") + "/" if directory and path != "/" else path


async def digest_context(prepared: PreparedCopy, context: Path) -> str:
    """Match the context sources (NotFound when one matches nothing) and hash them."""

    def work() -> str:
        with Root(context) as root:
            matched = [
                p
                for pattern in prepared.patterns
                for p in sources.match(root, pattern, _what(prepared))
            ]
            prepared.matched = matched
            if len(matched) == 1 and not prepared.files:
                prepared.directory = sources.is_directory(root, matched[0])
            return sources.digest(root, matched)

    return await asyncio.to_thread(work)


def _what(prepared: PreparedCopy) -> str:
    return "ADD" if prepared.instruction.add else "COPY"


async def write(
    clients: Clients,
    mounter: Mounter,
    key: str,
    state: ImageState,
    prepared: PreparedCopy,
    source: CopySource,
) -> None:
    """Write the copy into the prepared active snapshot `key` (over `state`'s layers)."""
    dest_mounts = await clients.snapshots.mounts(key)
    views = [dest_mounts]
    view_key = ""
    if source.state is not None and source.state.layers:
        view_key = f"{key}-from"
        views.append(await clients.snapshots.view(view_key, source.state.chain_id))
    try:
        await mounter.run(views, lambda dirs: _copy(dirs, prepared, source))
    finally:
        if view_key:
            with contextlib.suppress(errors.NotFound):
                await clients.snapshots.remove(view_key)


def _copy(dirs: list[Path], prepared: PreparedCopy, source: CopySource) -> None:
    instruction = prepared.instruction
    options = Options(
        owner=_owner(instruction.chown, dirs[0]) if instruction.chown else None,
        chmod=_mode(instruction.chmod) if instruction.chmod else None,
        keep_owner=source.context is None,
        extract=instruction.add and source.context is not None and not source.remote,
    )
    try:
        _copy_in(dirs, prepared, source, options)
    except OSError as err:  # the filesystem refused (a file where a directory must be, ...)
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise errors.ResourceExhausted("no space left on device") from None
        reason = (err.strerror or str(err)).lower()
        where = f": {err.filename}" if err.filename else ""
        raise errors.InvalidArgument(f"{_what(prepared)} failed: {reason}{where}") from None


def _copy_in(
    dirs: list[Path], prepared: PreparedCopy, source: CopySource, options: Options
) -> None:
    with Root(dirs[0]) as dest, contextlib.ExitStack() as stack:
        from_root = _source_root(dirs, source, stack)
        matched = prepared.matched
        if source.context is None and prepared.patterns:
            if from_root is None:
                raise sources._not_found(_what(prepared), prepared.patterns[0])
            matched = [
                p
                for pattern in prepared.patterns
                for p in sources.match(from_root, pattern, _what(prepared))
            ]
        copying.copy(dest, from_root, Plan(prepared.dest, matched, prepared.files, options))


def _source_root(dirs: list[Path], source: CopySource, stack: contextlib.ExitStack) -> Root | None:
    if source.context is not None:
        return stack.enter_context(Root(source.context))
    if len(dirs) > 1:
        return stack.enter_context(Root(dirs[1]))
    return None


def _owner(spec: str, root: Path) -> tuple[int, int]:
    """--chown's user[:group], looked up in the destination; "user" alone: its uid as gid."""
    try:
        found = users.resolve(spec, root=root)
    except users.UnknownUser as err:
        raise errors.InvalidArgument(str(err)) from None
    except (ValueError, LookupError) as err:
        raise errors.InvalidArgument(f"invalid --chown {spec!r}: {err}") from None
    return (found.uid, found.gid) if ":" in spec else (found.uid, found.uid)


def _mode(text: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        raise errors.InvalidArgument(
            f"invalid chmod parameter {text!r}: an octal mode is expected"
        ) from None
    if not 0 <= mode <= 0o7777:
        raise errors.InvalidArgument(f"invalid chmod parameter {text!r}")
    return mode
