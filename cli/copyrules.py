"""docker's `cp` path rules (moby pkg/archive/copy.go, docker/cli cp.go), on the host's side:
what a trailing "/" or "/." asks for, which local paths are followed, and where a copy lands
and under which name (`prepare`: moby's PrepareArchiveCopy)."""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass

from dockyard.cli.engine import die


@dataclass
class Info:
    """moby's CopyInfo: a path, whether it exists, is a directory, and its new name."""

    path: str
    exists: bool = False
    is_dir: bool = False
    rebase: str = ""


def local_path(path: str) -> str:
    """Absolute, keeping a trailing "/" or "/." (moby's PreserveTrailingDotOrSeparator)."""
    absolute = os.path.abspath(path)
    if path.endswith("/.") or path == ".":
        return absolute.rstrip("/") + "/."
    if path.endswith("/") and absolute != "/":
        return absolute + "/"
    return absolute


def validate_output(path: str) -> None:
    directory = os.path.dirname(os.path.normpath(path))
    if directory and not os.path.exists(directory):
        die(f'invalid output path: directory "{directory}" does not exist')
    with contextlib.suppress(FileNotFoundError):
        mode = os.stat(path).st_mode
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            die(f'invalid output path: "{path}" must be a directory or a regular file')


def split_dir_entry(path: str) -> tuple[str, str]:
    """moby's SplitPathDirEntry: the parent and the last element ("." kept)."""
    cleaned = os.path.normpath(path)
    if path.endswith("/.") or path == ".":
        cleaned += "/."
    return os.path.dirname(cleaned), os.path.basename(cleaned)


def rebase_name(path: str, resolved: str) -> tuple[str, str]:
    """moby's GetRebaseName: the resolved path with the asked one's trailing "/." or "/",
    and the name to rename to when the last element changed."""
    if (path.endswith("/.") or path == ".") and not resolved.endswith("/."):
        resolved += "/."
    if path.endswith("/") and not resolved.endswith("/"):
        resolved += "/"
    rebase = ""
    if os.path.basename(path.rstrip("/")) != os.path.basename(resolved.rstrip("/")):
        rebase = os.path.basename(path.rstrip("/"))
    return resolved, rebase


def source_info(path: str, follow: bool) -> Info:
    """moby's CopyInfoSourcePath: a local source, its parent's links resolved (all, with -L)."""
    if follow:
        resolved, rebase = rebase_name(path, os.path.realpath(path))
    else:
        directory, base = os.path.split(path)
        resolved = os.path.realpath(directory or ".").rstrip("/") + "/" + base
        rebase = ""
        if path.endswith("/") and os.path.basename(path.rstrip("/")) != os.path.basename(
            resolved.rstrip("/")
        ):
            rebase = os.path.basename(path.rstrip("/"))
    try:
        info = os.lstat(resolved)
    except FileNotFoundError:
        die(f"lstat {resolved.rstrip('/')}: no such file or directory")
    return Info(resolved, True, stat.S_ISDIR(info.st_mode), rebase)


def destination_info(path: str) -> Info:
    """moby's CopyInfoDestinationPath: a local destination, symlinks at its end followed."""
    for _ in range(11):
        info = _lstat(path)
        if info is None or not stat.S_ISLNK(info.st_mode):
            break
        target = os.readlink(path)
        path = target if target.startswith("/") else os.path.join(split_dir_entry(path)[0], target)
    else:
        die(f"too many symlinks in {path}")
    if info is not None:
        return Info(path, True, stat.S_ISDIR(os.stat(path).st_mode))
    parent = split_dir_entry(path)[0]
    try:
        if not stat.S_ISDIR(os.stat(parent).st_mode):
            die("not a directory")
    except FileNotFoundError:
        die(f"stat {parent}: no such file or directory")
    return Info(path)


def prepare(source: Info, destination: Info) -> tuple[str, str, str]:
    """moby's PrepareArchiveCopy (after the -L rename): the directory to extract into, the
    archive's top name (the source's last element) and the name it takes there."""
    dst_dir, dst_base = split_dir_entry(destination.path)
    top = split_dir_entry(source.path)[1]
    if destination.exists and destination.is_dir:
        return destination.path, top, source.rebase or top
    if destination.exists and source.is_dir:
        die("cannot copy directory")
    if not destination.exists and not source.is_dir and _asserts_directory(destination.path):
        die("no such directory")
    return dst_dir, top, dst_base


def _asserts_directory(path: str) -> bool:
    return path.endswith("/") or path.endswith("/.")


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
