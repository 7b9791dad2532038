"""docker's mount syntax, as its daemon reads it: Binds (`-v`), Mounts (`--mount`), VolumesFrom.

    -v NAME:/path[:MODE]        a named volume ("z" as its mode when none is given)
    -v /host/path:/path[:MODE]  a bind (a missing source is made at start)
    -v /path                    an anonymous volume (the CLI sends it as Config.Volumes)
    --mount type=volume|bind|tmpfs,source=…,target=…,…   (parsed into `MountSpec` by the CLI)
    --volumes-from CONTAINER[:ro|rw]

MODE is a comma-separated set of at most one each of: ro|rw, z|Z, a propagation
(shared, slave, private and their r- forms), nocopy. Errors are docker's words
(moby volume/mounts/linux_parser.go), each naming what was wrong.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.model import MountSpec

RW_MODES = ("rw", "ro")
LABEL_MODES = ("z", "Z")
PROPAGATIONS = ("shared", "rshared", "slave", "rslave", "private", "rprivate")
COPY_MODES = ("nocopy",)
CONSISTENCY_MODES = ("consistent", "cached", "delegated")
DEFAULT_PROPAGATION = "rprivate"


@dataclass
class Requested:
    """A mount as asked for, checked: its spec, the mode text it came with, whether an empty
    volume is filled from the image."""

    spec: MountSpec
    mode: str = ""
    copy_data: bool = True
    binds: bool = False  # from -v (Binds), not --mount


def valid_mode(mode: str) -> bool:
    if not mode:
        return True
    counts = [0] * 5
    for option in mode.split(","):
        for i, group in enumerate(
            (RW_MODES, LABEL_MODES, PROPAGATIONS, COPY_MODES, CONSISTENCY_MODES)
        ):
            if option in group:
                counts[i] += 1
                break
        else:
            return False
    return max(counts) <= 1


def read_write(mode: str) -> bool:
    return "ro" not in mode.split(",")


def propagation(mode: str) -> str:
    return next((o for o in mode.split(",") if o in PROPAGATIONS), "")


def parse_bind(raw: str) -> Requested:
    """One Binds entry (`-v`), as docker's linux parser reads it."""
    parts = raw.split(":", 3)
    if not parts[0] or len(parts) > 3:
        raise InvalidArgument(f"invalid volume specification: '{raw}'")
    if len(parts) == 1:
        source, target, mode = "", parts[0], ""
    elif len(parts) == 2:
        if valid_mode(parts[1]):  # "/foo:rw": a destination and a mode, no source
            raise InvalidArgument(f"invalid volume specification: '{raw}'")
        (source, target), mode = parts, ""
    else:
        source, target, mode = parts
    if not valid_mode(mode):
        raise InvalidArgument(f"invalid mode: {mode}")
    kind = "bind" if source.startswith("/") else "volume"
    spec = MountSpec(kind, target, source, read_only=not read_write(mode))
    spec.bind_propagation = propagation(mode)
    spec.has_bind_options = bool(spec.bind_propagation)
    no_copy = "nocopy" in mode.split(",")
    try:
        validate(spec, bind_source_must_exist=False)
    except InvalidArgument as err:
        raise InvalidArgument(f"invalid volume specification: '{raw}': {err}") from None
    return Requested(spec, mode, copy_data=not no_copy, binds=True)


def validate(spec: MountSpec, bind_source_must_exist: bool) -> None:
    """docker's validateMountConfig: InvalidArgument "invalid mount config for type …"."""
    try:
        _validate(spec, bind_source_must_exist)
    except ValueError as err:
        raise InvalidArgument(f'invalid mount config for type "{spec.type}": {err}') from None


def _validate(spec: MountSpec, bind_source_must_exist: bool) -> None:
    if not spec.target:
        raise ValueError("field Target must not be empty")
    if posixpath.normpath(spec.target) == "/":
        raise ValueError("invalid specification: destination can't be '/'")
    _absolute(spec.target)
    if spec.type == "bind":
        _bind(spec, bind_source_must_exist)
    elif spec.type == "volume":
        _extra(spec, "BindOptions" if spec.has_bind_options else "")
        _extra(spec, "TmpfsOptions" if spec.has_tmpfs_options else "")
        if spec.read_only and not spec.source:
            raise ValueError("must not set ReadOnly mode when using anonymous volumes")
    elif spec.type == "tmpfs":
        _extra(spec, "BindOptions" if spec.has_bind_options else "")
        _extra(spec, "VolumeOptions" if spec.has_volume_options else "")
        _extra(spec, "Source" if spec.source else "")
        if spec.tmpfs_size < 0:
            raise ValueError(f"invalid tmpfs size: {spec.tmpfs_size}")
    else:
        raise ValueError("mount type unknown")


def _bind(spec: MountSpec, must_exist: bool) -> None:
    if not spec.source:
        raise ValueError("field Source must not be empty")
    if spec.bind_propagation and spec.bind_propagation not in PROPAGATIONS:
        raise ValueError(f"invalid propagation mode: {spec.bind_propagation}")
    _extra(spec, "VolumeOptions" if spec.has_volume_options else "")
    _extra(spec, "TmpfsOptions" if spec.has_tmpfs_options else "")
    _absolute(spec.source)
    if must_exist and not posixpath.exists(spec.source):
        raise ValueError(f"bind source path does not exist: {spec.source}")


def _extra(spec: MountSpec, field_name: str) -> None:
    if field_name:
        raise ValueError(f"field {field_name} must not be specified")


def _absolute(path: str) -> None:
    if not path.startswith("/"):
        raise ValueError(f"invalid mount path: '{path}' mount path must be absolute")


def absolute_path(path: str) -> str:
    """A container path (Config.Volumes, --tmpfs): absolute, cleaned, not the root."""
    if not path.startswith("/"):
        raise InvalidArgument(f"invalid mount path: '{path}' mount path must be absolute")
    clean = posixpath.normpath(path)
    if clean == "/":
        raise InvalidArgument("invalid specification: destination can't be '/'")
    return clean


def parse_volumes_from(entry: str) -> tuple[str, str]:
    """CONTAINER[:MODE] → (container, mode); propagation and copy modes are refused."""
    if not entry:
        raise InvalidArgument("volumes-from specification cannot be an empty string")
    ref, _, mode = entry.partition(":")
    if mode and (
        not valid_mode(mode) or propagation(mode) or any(o in COPY_MODES for o in mode.split(","))
    ):
        raise InvalidArgument(f"invalid mode: {mode}")
    return ref, mode or "rw"


def tmpfs_options(size: int, mode: int, read_only: bool) -> list[str]:
    """docker's ConvertTmpfsOptions: "ro", "mode=1777" (octal), "size=64m" (largest unit)."""
    options = ["ro"] if read_only else []
    if mode:
        options.append(f"mode={mode:o}")
    if size:
        for suffix, divisor in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
            if size % divisor == 0:
                options.append(f"size={size // divisor}{suffix}")
                break
        else:
            options.append(f"size={size}")
    return options
