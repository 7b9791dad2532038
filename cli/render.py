"""How docker prints things: aligned tables, human sizes, `ps` columns and image inspect's JSON,
built from the engine's messages (container inspect's JSON is `dockyard.api.containerjson`,
shared with the Docker API front).

Tables align like Go's tabwriter as docker configures it: every column but the last is as wide
as its widest cell plus 3 spaces, and at least 10.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

# times and statuses as docker writes them: shared with the Docker API front
from dockyard.api import containerjson
from dockyard.api.containerjson import status as status
from dockyard.api.gotime import ZERO_TIME as ZERO_TIME
from dockyard.api.gotime import human_duration as human_duration
from dockyard.api.gotime import rfc3339 as rfc3339
from dockyard.api.gotime import seconds_ago

since = seconds_ago  # seconds from a protobuf Timestamp to now
MIN_WIDTH = 10
PADDING = 3


def table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    widths = [0] * max(len(r) for r in rows)
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell) + PADDING, MIN_WIDTH)
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + row[-1:]
        lines.append("".join(cells).rstrip() if not row[-1] else "".join(cells))
    return "\n".join(lines) + "\n"


def human_size(size: float, precision: int = 3) -> str:
    """docker's HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits (its
    HumanSize, which `system df` prints with, is precision 4)."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return f"{size:.{precision}g}{units[i]}"


def container_size(size_rw: int, size_root_fs: int) -> str:
    """`ps -s`'s SIZE: what it wrote, and with its image's: "1.05MB (virtual 5.3MB)"."""
    text = human_size(size_rw)
    return f"{text} (virtual {human_size(size_root_fs)})" if size_root_fs > 0 else text


def local_time(stamp: Any) -> str:
    """docker's CreatedAt: "2026-11-23 04:40:43 +0000 UTC"."""
    moment = datetime.fromtimestamp(stamp.seconds).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z %Z")


def go_time(stamp: Any) -> str:
    """Go's time.Time String(), local: "2026-12-02 12:50:03.851932533 +0000 UTC" (no zeros
    at the end of the fraction, none of it when whole), as docker's network ls CreatedAt."""
    moment = datetime.fromtimestamp(stamp.seconds).astimezone()
    fraction = f"{stamp.nanos:09d}".rstrip("0")
    seconds = moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{fraction}" if fraction else "")
    return f"{seconds} {moment.strftime('%z %Z')}"


def command(container: Any, truncate: bool = True) -> str:
    """ps's COMMAND: the list's command line, cut to 20 characters, in Go's quotes."""
    text = containerjson.command_line(container)
    if truncate and len(text) > 20:
        text = text[:19] + "…"
    return go_quote(text)


_GO_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
}


def go_quote(text: str) -> str:
    """Go's strconv.Quote: double quotes; quote, backslash and what does not print escaped."""
    return '"' + "".join(_go_char(ch) for ch in text) + '"'


def _go_char(ch: str) -> str:
    if ch in '"\\':
        return "\\" + ch
    if ch in _GO_ESCAPES:
        return _GO_ESCAPES[ch]
    if ch.isprintable():
        return ch
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x80
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _strings(values: Any) -> list[str] | None:
    values = list(values)
    return values or None


def _string_list(message: Any, name: str) -> list[str] | None:
    return list(getattr(message, name).values) if message.HasField(name) else None


def ports_column(c: Any) -> str:
    """ps's PORTS, as docker's DisplayablePorts writes them: sorted by container port, runs of
    unpublished ports grouped ("7000-7001/udp"), then the published ones ("0.0.0.0:8080->80/tcp")."""
    from dockyard.api.containerjson import port_list

    ports = sorted(
        port_list(c),
        key=lambda p: (p["PrivatePort"], p.get("IP", ""), p.get("PublicPort", 0), p["Type"]),
    )
    groups: dict[str, list[int]] = {}  # key → [first, last], in the order first seen
    result, published = [], []
    for port in ports:
        number, key = port["PrivatePort"], port["Type"]
        if port.get("IP"):
            if port["PublicPort"] != number:
                published.append(f"{port['IP']}:{port['PublicPort']}->{number}/{port['Type']}")
                continue
            key = f"{port['IP']}/{port['Type']}"
        group = groups.get(key)
        if group is not None and number == group[1] + 1:
            group[1] = number
            continue
        if group is not None:
            result.append(_port_group(key, *group))
        groups[key] = [number, number]
    result += [_port_group(key, *group) for key, group in groups.items()]
    return ", ".join(result + published)


def _port_group(key: str, first: int, last: int) -> str:
    ip, _, kind = key.rpartition("/")
    text = str(first) if first == last else f"{first}-{last}"
    return f"{ip}:{text}->{text}/{kind}" if ip else f"{text}/{kind}"


def image_json(image: Any) -> dict[str, Any]:
    """`docker image inspect` for one image."""
    from dockyard.cli.names import familiar

    c = image.config
    config: dict[str, Any] = {
        "Hostname": "",
        "Domainname": "",
        "User": c.user,
        "AttachStdin": False,
        "AttachStdout": False,
        "AttachStderr": False,
        "Tty": False,
        "OpenStdin": False,
        "StdinOnce": False,
        "Env": _strings(c.env),
        "Cmd": _strings(c.cmd),
        "Image": "",
        "Volumes": {v: {} for v in c.volumes} or None,
        "WorkingDir": c.working_dir,
        "Entrypoint": _strings(c.entrypoint),
        "OnBuild": None,
        "Labels": dict(c.labels) or None,
    }
    if c.exposed_ports:
        config["ExposedPorts"] = {p: {} for p in c.exposed_ports}
    if c.stop_signal:
        config["StopSignal"] = c.stop_signal
    config = containerjson.with_healthcheck(config, c.healthcheck)
    return {
        "Id": image.id,
        "RepoTags": [familiar(t) for t in image.repo_tags],
        "RepoDigests": [familiar(d) for d in image.repo_digests],
        "Parent": image.parent,
        "Comment": image.comment,
        "Created": rfc3339(image.created),
        "DockerVersion": image.docker_version,
        "Author": image.author,
        "Config": config,
        "Architecture": image.architecture,
        **({"Variant": image.variant} if image.variant else {}),
        "Os": image.os,
        "Size": image.size,
        "GraphDriver": {"Data": None, "Name": "overlayfs"},
        "RootFS": {"Type": "layers", "Layers": list(image.diff_ids)},
        "Metadata": {"LastTagTime": ZERO_TIME},
    }


def dumps(value: Any) -> str:
    """docker's inspect output: 4-space indented JSON."""
    return json.dumps(value, indent=4, ensure_ascii=False)
