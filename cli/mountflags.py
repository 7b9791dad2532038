"""`-v` and `--mount` as docker's CLI reads them, before the engine checks them.

`-v SRC:DST[:MODE]` goes to the engine as a Binds entry (a source of "." or "./…" made
absolute first), `-v /path` as an anonymous volume (Config.Volumes), the way docker's CLI splits
them. `--mount type=…,source=…,target=…,…` is parsed here into a `MountSpec` message (docker's
opts/mount.go); the engine validates both (docker's daemon does).
"""

from __future__ import annotations

import os
from typing import Any, NoReturn

from dockyard.cli.engine import die

TRUE = ("1", "t", "T", "true", "TRUE", "True")
FALSE = ("0", "f", "F", "false", "FALSE", "False")


def volumes(values: list[str]) -> tuple[list[str], list[str]]:
    """(Binds, anonymous volume paths) from the `-v` values."""
    binds, anonymous = [], []
    for value in values:
        source, target = _split(value)
        if not source:
            anonymous.append(target)
            continue
        host, sep, rest = value.partition(":")
        if host == "." or host.startswith("./"):
            host = os.path.abspath(host)
        binds.append(host + sep + rest)
    return binds, anonymous


def _split(spec: str) -> tuple[str, str]:
    """compose's ParseVolume, enough to tell a source from none: (source, target)."""
    if not spec:
        die("docker: invalid empty volume spec", 125)
    if len(spec) <= 2:
        return "", spec
    sections = spec.split(":")
    if any(not s for s in sections):
        die(f"invalid spec: {spec}: empty section between colons", 125)
    if len(sections) > 3:
        die(f"invalid spec: {spec}: too many colons", 125)
    if len(sections) == 1:
        return "", sections[0]
    return sections[0], sections[1]


def mount(value: str) -> Any:
    """One `--mount` value as a MountSpec message."""
    from dockyard.engine.v1 import engine_pb2 as pb

    spec = pb.MountSpec()
    for field in _fields(value):
        key, sep, text = field.partition("=")
        key = key.lower()
        if not sep:
            _flag(spec, key, field, value)
        else:
            _option(spec, key, text, field, value)
    if not spec.type:
        _bad(value, "type is required")
    if not spec.target:
        _bad(value, "target is required")
    for prefix, given, kind in (
        ("volume", spec.has_volume_options, "volume"),
        ("bind", spec.has_bind_options, "bind"),
        ("tmpfs", spec.has_tmpfs_options, "tmpfs"),
    ):
        if given and spec.type != kind:
            _bad(value, f"cannot mix '{prefix}-*' options with mount type '{spec.type}'")
    return spec


def _fields(value: str) -> list[str]:
    import csv

    try:
        return next(csv.reader([value]))
    except (csv.Error, StopIteration):
        _bad(value, "invalid CSV")


def _flag(spec: Any, key: str, field: str, value: str) -> None:
    if key in ("readonly", "ro"):
        spec.read_only = True
    elif key == "volume-nocopy":
        spec.volume_no_copy, spec.has_volume_options = True, True
    elif key == "bind-nonrecursive":
        spec.has_bind_options = True
    else:
        _bad(value, f"invalid field '{field}' must be a key=value pair")


def _option(spec: Any, key: str, text: str, field: str, value: str) -> None:
    if key == "type":
        spec.type = text.lower()
    elif key in ("source", "src"):
        spec.source = os.path.abspath(text) if text == "." or text.startswith("./") else text
    elif key in ("target", "dst", "destination"):
        spec.target = text
    elif key in ("readonly", "ro"):
        spec.read_only = _boolean(text, key, value)
    elif key == "bind-propagation":
        spec.bind_propagation, spec.has_bind_options = text.lower(), True
    elif key == "volume-nocopy":
        spec.volume_no_copy, spec.has_volume_options = _boolean(text, key, value), True
    elif key in ("volume-label", "volume-opt"):
        name, _, setting = text.partition("=")
        target = spec.volume_labels if key == "volume-label" else spec.volume_options
        target[name] = setting
        spec.has_volume_options = True
    elif key == "volume-driver":
        spec.volume_driver, spec.has_volume_options = text, True
    elif key == "tmpfs-size":
        spec.tmpfs_size, spec.has_tmpfs_options = _ram(text, key, value), True
    elif key == "tmpfs-mode":
        spec.tmpfs_mode, spec.has_tmpfs_options = _octal(text, key, value), True
    elif key in ("consistency", "bind-recursive"):
        pass  # docker accepts these; they change nothing here
    else:
        _bad(value, f"unexpected key '{key}' in '{field}'")


def _boolean(text: str, key: str, value: str) -> bool:
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    _bad(value, f"invalid value for {key}: {text}")


def _ram(text: str, key: str, value: str) -> int:
    import re

    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?", text.strip(), re.IGNORECASE)
    if match is None:
        _bad(value, f"invalid value for {key}: {text}")
    number, unit = match.groups()
    return int(float(number) * 1024 ** " kmgtp".index(unit.lower() or " "))


def _octal(text: str, key: str, value: str) -> int:
    try:
        mode = int(text, 8)
    except ValueError:
        _bad(value, f"invalid value for {key}: {text}")
    if not 0 <= mode < 1 << 32:
        _bad(value, f"invalid value for {key}: {text}")
    return mode


def _bad(value: str, reason: str) -> NoReturn:
    die(f'invalid argument "{value}" for "--mount" flag: {reason}', 125)
