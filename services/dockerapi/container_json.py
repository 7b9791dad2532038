"""Containers in docker's JSON: the list entry (`GET /containers/json`) and the inspect document
(`GET /containers/{id}/json`), built from the engine's `Container` message.

Keys docker always writes are written with docker's defaults where the engine has no such
setting (`ShmSize`, the blkio lists, `MaskedPaths`…), so templates and clients that read them
find what they find on docker.
"""

from __future__ import annotations

from typing import Any

from dockyard.engine.v1 import engine_pb2
from dockyard.services.dockerapi.clock import human_duration, rfc3339, seconds_ago

PREDEFINED = ("bridge", "host", "none")
SHM_SIZE = 64 * 1024 * 1024
MASKED_PATHS = [
    "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
]  # fmt: skip
READONLY_PATHS = [
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
]  # fmt: skip


def status(c: engine_pb2.Container) -> str:
    """The list's `Status` ("Up 3 minutes", "Exited (0) 2 seconds ago"…)."""
    state = c.state
    if state.status in ("running", "paused"):
        text = f"Up {human_duration(seconds_ago(state.started_at))}"
        return text + " (Paused)" if state.paused else text
    if state.status in ("restarting", "exited"):
        ago = human_duration(seconds_ago(state.finished_at))
        return f"{state.status.capitalize()} ({state.exit_code}) {ago} ago"
    return {"dead": "Dead", "removing": "Removal In Progress"}.get(state.status, "Created")


def summary(c: engine_pb2.Container, version: tuple[int, int] = (1, 47)) -> dict[str, Any]:
    return {
        "Id": c.id,
        "Names": [f"/{c.name}"],
        "Image": c.config.image,
        "ImageID": c.image,
        "Command": " ".join([c.path, *c.args]),
        "Created": c.created.seconds,
        "Ports": port_list(c),
        "Labels": dict(c.config.labels),
        "State": c.state.status,
        "Status": status(c),
        "HostConfig": {"NetworkMode": c.host_config.network_mode},
        "NetworkSettings": {"Networks": networks(c, version)},
        "Mounts": mounts(c),
    }


def port_list(c: engine_pb2.Container) -> list[dict[str, Any]]:
    ports: list[dict[str, Any]] = []
    for b in c.network_settings.ports:
        number, _, proto = b.container_port.partition("/")
        ports.append(
            {
                "IP": b.host_ip or "0.0.0.0",
                "PrivatePort": int(number),
                "PublicPort": int(b.host_port or 0),
                "Type": proto or "tcp",
            }
        )
    bound = {_key(b.container_port) for b in c.network_settings.ports}
    for exposed in c.config.exposed_ports:
        if _key(exposed) not in bound:
            number, _, proto = _key(exposed).partition("/")
            ports.append({"PrivatePort": int(number), "Type": proto})
    return ports


def _key(port: str) -> str:
    return port if "/" in port else f"{port}/tcp"


def inspect(c: engine_pb2.Container, version: tuple[int, int] = (1, 47)) -> dict[str, Any]:
    state = c.state
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
        "Name": f"/{c.name}",
        "RestartCount": c.restart_count,
        "Driver": c.driver,
        "Platform": c.platform,
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": host_config(c.host_config),
        "GraphDriver": {"Data": dict(c.graph_driver) or None, "Name": c.driver},
        "Mounts": mounts(c),
        "Config": config(c.config),
        "NetworkSettings": network_settings(c, version),
    }


def mounts(c: engine_pb2.Container) -> list[dict[str, Any]]:
    """Inspect's (and the list's) Mounts: Name and Driver for volumes only, as docker's."""
    found = []
    for m in c.mounts:
        doc: dict[str, Any] = {"Type": m.type}
        if m.type == "volume":
            doc["Name"] = m.name
        doc |= {"Source": m.source, "Destination": m.destination}
        if m.type == "volume":
            doc["Driver"] = m.driver
        found.append(doc | {"Mode": m.mode, "RW": m.rw, "Propagation": m.propagation})
    return found


def mount_spec(m: engine_pb2.MountSpec) -> dict[str, Any]:
    """One of HostConfig.Mounts as it was asked for, and as dockerd writes it back: Source
    left out when empty, DriverConfig always in VolumeOptions (its keys when set)."""
    doc: dict[str, Any] = {"Type": m.type, **({"Source": m.source} if m.source else {})}
    doc["Target"] = m.target
    if m.read_only:
        doc["ReadOnly"] = True
    if m.has_bind_options:
        doc["BindOptions"] = {"Propagation": m.bind_propagation} if m.bind_propagation else {}
    if m.has_volume_options:
        doc["VolumeOptions"] = {
            **({"NoCopy": True} if m.volume_no_copy else {}),
            **({"Labels": dict(m.volume_labels)} if m.volume_labels else {}),
            "DriverConfig": {
                **({"Name": m.volume_driver} if m.volume_driver else {}),
                **({"Options": dict(m.volume_options)} if m.volume_options else {}),
            },
        }
    if m.has_tmpfs_options:
        doc["TmpfsOptions"] = {
            **({"SizeBytes": m.tmpfs_size} if m.tmpfs_size else {}),
            **({"Mode": m.tmpfs_mode} if m.tmpfs_mode else {}),
        }
    return doc


def _strings(values: Any) -> list[str] | None:
    return list(values) or None


def _string_list(message: Any, name: str) -> list[str] | None:
    return list(getattr(message, name).values) if message.HasField(name) else None


def config(c: engine_pb2.ContainerConfig) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Hostname": c.hostname,
        "Domainname": c.domainname,
        "User": c.user,
        "AttachStdin": c.attach_stdin,
        "AttachStdout": c.attach_stdout,
        "AttachStderr": c.attach_stderr,
        "Tty": c.tty,
        "OpenStdin": c.open_stdin,
        "StdinOnce": c.stdin_once,
        "Env": _strings(c.env),
        "Cmd": _string_list(c, "cmd"),
        "Image": c.image,
        "Volumes": {v: {} for v in c.volumes} or None,
        "WorkingDir": c.working_dir,
        "Entrypoint": _string_list(c, "entrypoint") or None,
        "OnBuild": None,
        "Labels": dict(c.labels),
    }
    if c.exposed_ports:
        doc["ExposedPorts"] = {_key(p): {} for p in c.exposed_ports}
    if c.stop_signal:
        doc["StopSignal"] = c.stop_signal
    if c.HasField("stop_timeout"):
        doc["StopTimeout"] = c.stop_timeout
    return doc


def host_config(h: engine_pb2.HostConfig) -> dict[str, Any]:
    r = h.resources
    return {
        "Binds": _strings(h.binds),
        "ContainerIDFile": "",
        "LogConfig": {"Type": h.log_config.type, "Config": dict(h.log_config.config)},
        "NetworkMode": h.network_mode,
        "PortBindings": port_map(h.port_bindings),
        "RestartPolicy": {
            "Name": h.restart_policy.name or "no",
            "MaximumRetryCount": h.restart_policy.maximum_retry_count,
        },
        "AutoRemove": h.auto_remove,
        "VolumeDriver": "",
        "VolumesFrom": _strings(h.volumes_from),
        "ConsoleSize": [0, 0],
        "CapAdd": _strings(h.cap_add),
        "CapDrop": _strings(h.cap_drop),
        "CgroupnsMode": "private",
        "Dns": list(h.dns),
        "DnsOptions": list(h.dns_options),
        "DnsSearch": list(h.dns_search),
        "ExtraHosts": _strings(h.extra_hosts),
        "GroupAdd": None,
        "IpcMode": "private",
        "Cgroup": "",
        "Links": None,
        "OomScoreAdj": 0,
        "PidMode": "",
        "Privileged": h.privileged,
        "PublishAllPorts": h.publish_all_ports,
        "ReadonlyRootfs": h.read_only,
        "SecurityOpt": _strings(h.security_opt),
        **({"Tmpfs": dict(h.tmpfs)} if h.tmpfs else {}),
        **({"Mounts": [mount_spec(m) for m in h.mounts]} if h.mounts else {}),
        "UTSMode": "",
        "UsernsMode": "",
        "ShmSize": SHM_SIZE,
        "Runtime": h.runtime,
        "Isolation": "",
        "CpuShares": r.cpu_shares,
        "Memory": r.memory,
        "NanoCpus": r.nano_cpus,
        "CgroupParent": "",
        "BlkioWeight": 0,
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuPeriod": r.cpu_period,
        "CpuQuota": r.cpu_quota,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": r.cpuset_cpus,
        "CpusetMems": "",
        "Devices": [],
        "DeviceCgroupRules": None,
        "DeviceRequests": None,
        "MemoryReservation": 0,
        "MemorySwap": r.memory_swap,
        "MemorySwappiness": None,
        "OomKillDisable": None,
        "PidsLimit": r.pids_limit or None,
        "Ulimits": [{"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in r.ulimits],
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "Init": h.init if h.HasField("init") else None,
        "MaskedPaths": [] if h.privileged else MASKED_PATHS,
        "ReadonlyPaths": [] if h.privileged else READONLY_PATHS,
    }


def port_map(bindings: Any) -> dict[str, list[dict[str, str]]]:
    ports: dict[str, list[dict[str, str]]] = {}
    for b in bindings:
        ports.setdefault(_key(b.container_port), []).append(
            {"HostIp": b.host_ip, "HostPort": b.host_port}
        )
    return ports


def networks(c: engine_pb2.Container, version: tuple[int, int]) -> dict[str, Any]:
    found = {e.network: endpoint(c, e, version) for e in c.network_settings.networks}
    mode = c.host_config.network_mode
    if not found and mode in ("host", "none"):
        found = {mode: endpoint(c, engine_pb2.EndpointSettings(network=mode), version)}
    return found


def endpoint(
    c: engine_pb2.Container, e: engine_pb2.EndpointSettings, version: tuple[int, int]
) -> dict[str, Any]:
    user_network = e.network not in PREDEFINED
    aliases = list(e.aliases)
    if user_network and version < (1, 45):
        aliases.append(c.id[:12])  # before 1.45 docker listed the short ID among the aliases
    return {
        "IPAMConfig": {"IPv4Address": e.ipv4_address} if e.ipv4_address else None,
        "Links": None,
        "Aliases": aliases or None,
        "MacAddress": e.mac_address,
        "DriverOpts": None,
        "NetworkID": e.network_id,
        "EndpointID": e.endpoint_id,
        "Gateway": e.gateway,
        "IPAddress": e.ip_address,
        "IPPrefixLen": e.ip_prefix_len,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": [c.name, c.id[:12], *e.aliases] if user_network else None,
    }


def network_settings(c: engine_pb2.Container, version: tuple[int, int]) -> dict[str, Any]:
    found = networks(c, version)
    bridge = found.get("bridge", {})
    ports: dict[str, Any] = dict(port_map(c.network_settings.ports))
    for exposed in c.config.exposed_ports:
        ports.setdefault(_key(exposed), None)
    return {
        "Bridge": "",
        "SandboxID": c.id if c.sandbox_key else "",
        "SandboxKey": c.sandbox_key,
        "HairpinMode": False,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": ports,
        "SecondaryIPAddresses": None,
        "SecondaryIPv6Addresses": None,
        "EndpointID": bridge.get("EndpointID", ""),
        "Gateway": bridge.get("Gateway", ""),
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": bridge.get("IPAddress", ""),
        "IPPrefixLen": bridge.get("IPPrefixLen", 0),
        "IPv6Gateway": "",
        "MacAddress": bridge.get("MacAddress", ""),
        "Networks": found,
    }
