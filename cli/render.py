"""How docker prints things: aligned tables, human sizes and durations, `ps` statuses, and the
JSON shape of `docker inspect`, built from the engine's messages.

Tables align like Go's tabwriter as docker configures it: every column but the last is as wide
as its widest cell plus 3 spaces, and at least 10.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

MIN_WIDTH = 10
PADDING = 3
ZERO_TIME = "0001-01-01T00:00:00Z"


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


def human_duration(seconds: float) -> str:
    """docker's HumanDuration (go-units): "Less than a second" … "About a minute" … "3 days"."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


def human_size(size: float) -> str:
    """docker's HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    i = 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return f"{size:.3g}{units[i]}"


def since(stamp: Any) -> float:
    """Seconds from a protobuf Timestamp to now."""
    return time.time() - (int(stamp.seconds) + int(stamp.nanos) / 1e9)


def rfc3339(stamp: Any, present: bool = True) -> str:
    """A Timestamp as Go's RFC3339Nano (trailing zeros trimmed); docker's zero time if unset."""
    if not present or (stamp.seconds == 0 and stamp.nanos == 0):
        return ZERO_TIME
    base = datetime.fromtimestamp(stamp.seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{stamp.nanos:09d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def local_time(stamp: Any) -> str:
    """docker's CreatedAt: "2026-11-23 04:40:43 +0000 UTC"."""
    moment = datetime.fromtimestamp(stamp.seconds).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z %Z")


def status(container: Any) -> str:
    """The STATUS column of `ps`."""
    state = container.state
    if state.status == "running" or state.status == "paused":
        text = f"Up {human_duration(since(state.started_at))}"
        return text + " (Paused)" if state.paused else text
    if state.status == "restarting":
        return f"Restarting ({state.exit_code}) {human_duration(since(state.finished_at))} ago"
    if state.status == "exited":
        return f"Exited ({state.exit_code}) {human_duration(since(state.finished_at))} ago"
    if state.status == "dead":
        return "Dead"
    if state.status == "removing":
        return "Removal In Progress"
    return "Created"


def command(container: Any, truncate: bool = True) -> str:
    text = " ".join([container.path, *container.args])
    if truncate and len(text) > 20:
        text = text[:19] + "…"
    return f'"{text}"'


def short_id(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _strings(values: Any) -> list[str] | None:
    values = list(values)
    return values or None


def _string_list(message: Any, name: str) -> list[str] | None:
    return list(getattr(message, name).values) if message.HasField(name) else None


def container_json(c: Any) -> dict[str, Any]:
    """`docker container inspect` for one container."""
    config, host, state = c.config, c.host_config, c.state
    return {
        "Id": c.id,
        "Created": rfc3339(c.created),
        "Path": c.path,
        "Args": list(c.args),
        "State": {
            "Status": state.status,
            "Running": state.running,
            "Paused": state.paused,
            "Restarting": state.restarting,
            "OOMKilled": state.oom_killed,
            "Dead": state.dead,
            "Pid": state.pid,
            "ExitCode": state.exit_code,
            "Error": state.error,
            "StartedAt": rfc3339(state.started_at, state.HasField("started_at")),
            "FinishedAt": rfc3339(state.finished_at, state.HasField("finished_at")),
        },
        "Image": c.image,
        "ResolvConfPath": c.resolv_conf_path,
        "HostnamePath": c.hostname_path,
        "HostsPath": c.hosts_path,
        "LogPath": c.log_path,
        "Name": "/" + c.name,
        "RestartCount": c.restart_count,
        "Driver": c.driver,
        "Platform": c.platform,
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": {
            "Binds": list(host.binds) or None,
            "NetworkMode": host.network_mode,
            "RestartPolicy": {
                "Name": host.restart_policy.name or "no",
                "MaximumRetryCount": host.restart_policy.maximum_retry_count,
            },
            "AutoRemove": host.auto_remove,
            "LogConfig": {"Type": host.log_config.type, "Config": dict(host.log_config.config)},
            "Runtime": host.runtime,
            "PortBindings": port_map(host.port_bindings) or {},
            "PublishAllPorts": host.publish_all_ports,
            "Dns": list(host.dns),
            "DnsSearch": list(host.dns_search),
            "DnsOptions": list(host.dns_options),
            "ExtraHosts": list(host.extra_hosts) or None,
            "CapAdd": list(host.cap_add) or None,
            "CapDrop": list(host.cap_drop) or None,
            "Privileged": host.privileged,
            "SecurityOpt": [
                o if len(o) < 200 else o.split("=")[0] + "=<profile>" for o in host.security_opt
            ]
            or None,
            "ReadonlyRootfs": host.read_only,
            "Tmpfs": dict(host.tmpfs) or None,
            "VolumesFrom": list(host.volumes_from) or None,
            **({"Mounts": [mount_spec(m) for m in host.mounts]} if host.mounts else {}),
            "Init": host.init if host.HasField("init") else None,
            "Memory": host.resources.memory,
            "MemorySwap": host.resources.memory_swap,
            "NanoCpus": host.resources.nano_cpus,
            "CpuShares": host.resources.cpu_shares,
            "CpuPeriod": host.resources.cpu_period,
            "CpuQuota": host.resources.cpu_quota,
            "CpusetCpus": host.resources.cpuset_cpus,
            "PidsLimit": host.resources.pids_limit or None,
            "Ulimits": [
                {"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in host.resources.ulimits
            ]
            or None,
        },
        "GraphDriver": {"Data": dict(c.graph_driver) or None, "Name": c.driver},
        "Mounts": [mount_point(m) for m in c.mounts],
        "Config": {
            "Hostname": config.hostname,
            "Domainname": config.domainname,
            "User": config.user,
            "AttachStdin": config.attach_stdin,
            "AttachStdout": config.attach_stdout,
            "AttachStderr": config.attach_stderr,
            "Tty": config.tty,
            "OpenStdin": config.open_stdin,
            "StdinOnce": config.stdin_once,
            "Env": _strings(config.env),
            "Cmd": _string_list(config, "cmd"),
            "Image": config.image,
            "Volumes": {v: {} for v in config.volumes} or None,
            "WorkingDir": config.working_dir,
            "Entrypoint": _string_list(config, "entrypoint"),
            "OnBuild": None,
            "Labels": dict(config.labels),
            **({"StopSignal": config.stop_signal} if config.stop_signal else {}),
            **({"StopTimeout": config.stop_timeout} if config.HasField("stop_timeout") else {}),
            **(
                {"ExposedPorts": {p: {} for p in config.exposed_ports}}
                if config.exposed_ports
                else {}
            ),
        },
        "NetworkSettings": network_settings(c),
    }


def mount_point(m: Any) -> dict[str, Any]:
    """One of inspect's Mounts, in docker's shape (Name and Driver for volumes only)."""
    doc: dict[str, Any] = {"Type": m.type}
    if m.type == "volume":
        doc["Name"] = m.name
    doc |= {"Source": m.source, "Destination": m.destination}
    if m.type == "volume":
        doc["Driver"] = m.driver
    return doc | {"Mode": m.mode, "RW": m.rw, "Propagation": m.propagation}


def mount_spec(m: Any) -> dict[str, Any]:
    """One of HostConfig.Mounts (--mount) as docker's API writes it."""
    doc: dict[str, Any] = {"Type": m.type, "Target": m.target}
    if m.source:
        doc["Source"] = m.source
    if m.read_only:
        doc["ReadOnly"] = True
    if m.has_bind_options:
        doc["BindOptions"] = {"Propagation": m.bind_propagation} if m.bind_propagation else {}
    if m.has_volume_options:
        volume: dict[str, Any] = {}
        if m.volume_no_copy:
            volume["NoCopy"] = True
        if m.volume_labels:
            volume["Labels"] = dict(m.volume_labels)
        if m.volume_driver or m.volume_options:
            volume["DriverConfig"] = {"Name": m.volume_driver, "Options": dict(m.volume_options)}
        doc["VolumeOptions"] = volume
    if m.has_tmpfs_options:
        doc["TmpfsOptions"] = {
            **({"SizeBytes": m.tmpfs_size} if m.tmpfs_size else {}),
            **({"Mode": m.tmpfs_mode} if m.tmpfs_mode else {}),
        }
    return doc


def port_map(bindings: Any) -> dict[str, list[dict[str, str]]]:
    ports: dict[str, list[dict[str, str]]] = {}
    for b in bindings:
        ports.setdefault(b.container_port, []).append(
            {"HostIp": b.host_ip, "HostPort": b.host_port}
        )
    return ports


def network_settings(c: Any) -> dict[str, Any]:
    settings = c.network_settings
    networks = {
        e.network: {
            "IPAMConfig": {"IPv4Address": e.ipv4_address} if e.ipv4_address else None,
            "Aliases": list(e.aliases) or None,
            "MacAddress": e.mac_address,
            "NetworkID": e.network_id,
            "EndpointID": e.endpoint_id,
            "Gateway": e.gateway,
            "IPAddress": e.ip_address,
            "IPPrefixLen": e.ip_prefix_len,
        }
        for e in settings.networks
    }
    if not networks and c.host_config.network_mode in ("host", "none"):
        networks = {c.host_config.network_mode: {"IPAddress": "", "Gateway": "", "MacAddress": ""}}
    first = next(iter(networks.values()), {})
    ports = port_map(settings.ports)
    for exposed in c.config.exposed_ports:
        ports.setdefault(exposed if "/" in exposed else f"{exposed}/tcp", None)  # type: ignore[arg-type]
    return {
        "SandboxKey": c.sandbox_key,
        "Ports": ports,
        "IPAddress": first.get("IPAddress", "") if "bridge" in networks else "",
        "Gateway": first.get("Gateway", "") if "bridge" in networks else "",
        "MacAddress": first.get("MacAddress", "") if "bridge" in networks else "",
        "Networks": networks,
    }


def ports_column(c: Any) -> str:
    """ps's PORTS: "0.0.0.0:8080->80/tcp, 53/udp"."""
    parts = []
    for b in c.network_settings.ports:
        parts.append(f"{b.host_ip}:{b.host_port}->{b.container_port}")
    bound = {b.container_port for b in c.network_settings.ports}
    parts += [p for p in c.config.exposed_ports if p not in bound]
    return ", ".join(parts)


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
    return {
        "Id": image.id,
        "RepoTags": [familiar(t) for t in image.repo_tags],
        "RepoDigests": [familiar(d) for d in image.repo_digests],
        "Parent": "",
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
