"""Containers in docker's JSON, built from the engine's `Container` message: the inspect
document (`docker inspect`, `GET /containers/{id}/json`) and the list entry (`GET
/containers/json`). One module, so that the `dockyard` CLI and the Docker API front print
the same document.

The shape is docker 20.10's (API 1.41): every key its inspect shows, in its order, with its
defaults where the engine has no such setting (`KernelMemoryTCP: 0`, `BlkioWeightDevice: []`,
`LogConfig.Config: {}`…); keys docker leaves out when empty (`Init`, `Tmpfs`, `Sysctls`,
`ExposedPorts`, `Healthcheck`, `State.Health`) are left out alike. A newer `version` (the
Docker API front passes its client's) gets what later daemons changed: `DNSNames` (1.44),
aliases without the short ID (1.45), no kernel-memory keys (1.42), lists where 20.10 wrote
null. tests/unit/api/test_containerjson.py holds the key sets of a recorded docker 20.10.
"""

from __future__ import annotations

from typing import Any

from dockyard.api.gotime import human_duration, rfc3339, seconds_ago

DOCKER_20_10 = (1, 41)
PREDEFINED = ("bridge", "host", "none")
SHM_SIZE = 64 * 1024 * 1024  # /dev/shm, as docker's default
HEALTH_KEYS = (
    ("Interval", "interval"),
    ("Timeout", "timeout"),
    ("StartPeriod", "start_period"),
    ("Retries", "retries"),
)


def status(c: Any) -> str:
    """`ps`'s STATUS and the list's `Status`: "Up 3 minutes", "Exited (0) 2 seconds ago"…"""
    state = c.state
    if state.status in ("running", "paused"):
        text = f"Up {human_duration(seconds_ago(state.started_at))}"
        if state.paused:
            return text + " (Paused)"
        if state.HasField("health"):
            status = state.health.status
            return text + (" (health: starting)" if status == "starting" else f" ({status})")
        return text
    if state.status in ("restarting", "exited"):
        ago = human_duration(seconds_ago(state.finished_at))
        return f"{state.status.capitalize()} ({state.exit_code}) {ago} ago"
    return {"dead": "Dead", "removing": "Removal In Progress"}.get(state.status, "Created")


def summary(c: Any, version: tuple[int, int] = DOCKER_20_10) -> dict[str, Any]:
    """The list entry of `GET /containers/json`."""
    return {
        "Id": c.id,
        "Names": sorted([f"/{c.name}", *c.link_names]),  # dockerd's: by name
        "Image": c.config.image,
        "ImageID": c.image,
        "Command": command_line(c),
        "Created": c.created.seconds,
        "Ports": port_list(c),
        **sizes(c, omit_zero=True),
        "Labels": go_map(c.config.labels),
        "State": c.state.status,
        "Status": status(c),
        "HostConfig": {"NetworkMode": c.host_config.network_mode},
        "NetworkSettings": {"Networks": networks(c, version)},
        "Mounts": [mount_point(m) for m in c.mounts],
    }


def command_line(c: Any) -> str:
    """The list's Command as dockerd joins it: an argument with a space in single quotes."""
    return " ".join([c.path, *(f"'{a}'" if " " in a else a for a in c.args)])


def sizes(c: Any, omit_zero: bool = False) -> dict[str, int]:
    """SizeRw and SizeRootFs, when the engine measured them (asked for with `size`). The list
    leaves a zero out (docker's omitempty on an int64), inspect shows it (on a pointer)."""
    found = {}
    for key, name in (("SizeRw", "size_rw"), ("SizeRootFs", "size_root_fs")):
        if c.HasField(name) and not (omit_zero and getattr(c, name) == 0):
            found[key] = getattr(c, name)
    return found


def port_list(c: Any) -> list[dict[str, Any]]:
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
    if c.state.status not in ("running", "paused"):  # exposed ports show while it runs
        return ports
    bound = {port_key(b.container_port) for b in c.network_settings.ports}
    for exposed in c.config.exposed_ports:
        if port_key(exposed) not in bound:
            number, _, proto = port_key(exposed).partition("/")
            ports.append({"PrivatePort": int(number), "Type": proto})
    return ports


def port_key(port: str) -> str:
    return port if "/" in port else f"{port}/tcp"


def inspect(c: Any, version: tuple[int, int] = DOCKER_20_10) -> dict[str, Any]:
    """`docker container inspect` of one container."""
    return {
        "Id": c.id,
        "Created": rfc3339(c.created),
        "Path": c.path,
        "Args": list(c.args),
        "State": state(c.state),
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
        "HostConfig": host_config(c.host_config, version),
        "GraphDriver": {"Data": go_map(c.graph_driver) or None, "Name": c.driver},
        **sizes(c),
        "Mounts": [mount_point(m) for m in c.mounts],
        "Config": config(c.config),
        "NetworkSettings": network_settings(c, version),
    }


def state(s: Any) -> dict[str, Any]:
    return {
        "Status": s.status,
        "Running": s.running,
        "Paused": s.paused,
        "Restarting": s.restarting,
        "OOMKilled": s.oom_killed,
        "Dead": s.dead,
        "Pid": s.pid,
        "ExitCode": s.exit_code,
        "Error": s.error,
        "StartedAt": rfc3339(s.started_at, s.HasField("started_at")),
        "FinishedAt": rfc3339(s.finished_at, s.HasField("finished_at")),
    } | ({"Health": health(s.health)} if s.HasField("health") else {})


def health(h: Any) -> dict[str, Any]:
    """State.Health: the status, the failing streak and the last results (docker's `[]`)."""
    return {
        "Status": h.status,
        "FailingStreak": h.failing_streak,
        "Log": [
            {
                "Start": rfc3339(r.start, r.HasField("start")),
                "End": rfc3339(r.end, r.HasField("end")),
                "ExitCode": r.exit_code,
                "Output": r.output,
            }
            for r in h.log
        ],
    }


def go_map(values: Any) -> dict[str, Any]:
    """A Go map as encoding/json writes it: its keys sorted."""
    return {key: values[key] for key in sorted(values)}


def healthcheck(h: Any) -> dict[str, Any]:
    """Config.Healthcheck, each key left out when empty (docker's omitempty)."""
    doc: dict[str, Any] = {"Test": list(h.test)} if h.test else {}
    for key, name in HEALTH_KEYS:
        if getattr(h, name):
            doc[key] = getattr(h, name)
    return doc


def with_healthcheck(config: dict[str, Any], check: Any) -> dict[str, Any]:
    """An image's Config with its Healthcheck where docker puts it (after Cmd), if it has one."""
    if not check.test:
        return config
    keys = list(config)
    at = keys.index("Cmd") + 1 if "Cmd" in keys else len(keys)
    items = list(config.items())
    return dict([*items[:at], ("Healthcheck", healthcheck(check)), *items[at:]])


def _strings(values: Any) -> list[str] | None:
    return list(values) or None


def _string_list(message: Any, name: str) -> list[str] | None:
    return list(getattr(message, name).values) if message.HasField(name) else None


def config(c: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Hostname": c.hostname,
        "Domainname": c.domainname,
        "User": c.user,
        "AttachStdin": c.attach_stdin,
        "AttachStdout": c.attach_stdout,
        "AttachStderr": c.attach_stderr,
    }
    if c.exposed_ports:
        doc["ExposedPorts"] = go_map({port_key(p): {} for p in c.exposed_ports})
    doc |= {
        "Tty": c.tty,
        "OpenStdin": c.open_stdin,
        "StdinOnce": c.stdin_once,
        "Env": _strings(c.env),
        "Cmd": _string_list(c, "cmd"),
    }
    if c.HasField("healthcheck"):
        doc["Healthcheck"] = healthcheck(c.healthcheck)
    doc |= {
        "Image": c.image,
        "Volumes": go_map({v: {} for v in c.volumes}) or None,
        "WorkingDir": c.working_dir,
        "Entrypoint": _string_list(c, "entrypoint") or None,  # none, or --entrypoint "": null
    }
    if c.mac_address:
        doc["MacAddress"] = c.mac_address
    doc |= {
        "OnBuild": None,
        "Labels": go_map(c.labels),
    }
    if c.stop_signal:
        doc["StopSignal"] = c.stop_signal
    if c.HasField("stop_timeout"):
        doc["StopTimeout"] = c.stop_timeout
    return doc


def host_config(h: Any, version: tuple[int, int] = DOCKER_20_10) -> dict[str, Any]:
    r = h.resources
    newer = version >= (1, 44)
    doc: dict[str, Any] = {
        "Binds": _strings(h.binds),
        "ContainerIDFile": h.container_id_file,
        "LogConfig": {"Type": h.log_config.type, "Config": go_map(h.log_config.config)},
        "NetworkMode": h.network_mode,
        "PortBindings": go_map(port_map(h.port_bindings)),
        "RestartPolicy": {
            "Name": h.restart_policy.name or "no",
            "MaximumRetryCount": h.restart_policy.maximum_retry_count,
        },
        "AutoRemove": h.auto_remove,
        "VolumeDriver": h.volume_driver,
        "VolumesFrom": _strings(h.volumes_from),
        "CapAdd": _strings(h.cap_add),
        "CapDrop": _strings(h.cap_drop),
        "CgroupnsMode": h.cgroupns_mode or "private",
        "Dns": list(h.dns),
        "DnsOptions": list(h.dns_options),
        "DnsSearch": list(h.dns_search),
        "ExtraHosts": _strings(h.extra_hosts),
        "GroupAdd": _strings(h.group_add),
        "IpcMode": h.ipc_mode or "private",
        "Cgroup": "",
        "Links": _strings(h.links),
        "OomScoreAdj": r.oom_score_adj,
        "PidMode": h.pid_mode,
        "Privileged": h.privileged,
        "PublishAllPorts": h.publish_all_ports,
        "ReadonlyRootfs": h.read_only,
        "SecurityOpt": _strings(_security_opts(h.security_opt)),
    }
    if h.tmpfs:
        doc["Tmpfs"] = go_map(h.tmpfs)
    doc |= {
        "UTSMode": h.uts_mode,
        "UsernsMode": h.userns_mode,
        "ShmSize": h.shm_size or SHM_SIZE,
    }
    if h.sysctls:
        doc["Sysctls"] = go_map(h.sysctls)
    doc |= {
        "Runtime": h.runtime,
        "ConsoleSize": [0, 0],
        "Isolation": h.isolation,
        "CpuShares": r.cpu_shares,
        "Memory": r.memory,
        "NanoCpus": r.nano_cpus,
        "CgroupParent": h.cgroup_parent,
        "BlkioWeight": r.blkio_weight,
        "BlkioWeightDevice": [{"Path": d.path, "Weight": d.rate} for d in r.blkio_weight_device],
        "BlkioDeviceReadBps": throttles(r.device_read_bps) or ([] if newer else None),
        "BlkioDeviceWriteBps": throttles(r.device_write_bps) or ([] if newer else None),
        "BlkioDeviceReadIOps": throttles(r.device_read_iops) or ([] if newer else None),
        "BlkioDeviceWriteIOps": throttles(r.device_write_iops) or ([] if newer else None),
        "CpuPeriod": r.cpu_period,
        "CpuQuota": r.cpu_quota,
        "CpuRealtimePeriod": r.cpu_realtime_period,
        "CpuRealtimeRuntime": r.cpu_realtime_runtime,
        "CpusetCpus": r.cpuset_cpus,
        "CpusetMems": r.cpuset_mems,
        "Devices": [device(d) for d in h.devices],
        "DeviceCgroupRules": list(h.device_cgroup_rules) or None,
        "DeviceRequests": [device_request(d) for d in h.device_requests] or None,
    }
    if version < (1, 42):
        doc |= {"KernelMemory": r.kernel_memory, "KernelMemoryTCP": 0}
    doc |= {
        "MemoryReservation": r.memory_reservation,
        "MemorySwap": r.memory_swap,
        "MemorySwappiness": r.memory_swappiness if r.HasField("memory_swappiness") else None,
        "OomKillDisable": r.oom_kill_disable or (None if newer else False),
        "PidsLimit": r.pids_limit or None,
        "Ulimits": [ulimit(u) for u in r.ulimits] or ([] if newer else None),
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
    }
    if h.mounts:
        doc["Mounts"] = [mount_spec(m) for m in h.mounts]
    doc |= {
        "MaskedPaths": _strings(h.masked_paths),  # none: privileged
        "ReadonlyPaths": _strings(h.readonly_paths),
    }
    if h.HasField("init"):
        doc["Init"] = h.init
    return doc


def _security_opts(options: Any) -> list[str]:
    """A seccomp profile given inline is shown by its name, not its JSON (docker shows the
    file's contents; a profile of kilobytes in every inspect helps no one)."""
    return [o if len(o) < 200 else o.split("=")[0] + "=<profile>" for o in options]


def device(d: Any) -> dict[str, str]:
    return {
        "PathOnHost": d.path_on_host,
        "PathInContainer": d.path_in_container or d.path_on_host,
        "CgroupPermissions": d.cgroup_permissions or "rwm",
    }


def throttles(devices: Any) -> list[dict[str, Any]]:
    return [{"Path": d.path, "Rate": d.rate} for d in devices]


def ulimit(u: Any) -> dict[str, Any]:
    return {"Name": u.name, "Hard": u.hard, "Soft": u.soft}


def port_map(bindings: Any) -> dict[str, list[dict[str, str]]]:
    ports: dict[str, list[dict[str, str]]] = {}
    for b in bindings:
        ports.setdefault(port_key(b.container_port), []).append(
            {"HostIp": b.host_ip, "HostPort": b.host_port}
        )
    return ports


def mount_point(m: Any) -> dict[str, Any]:
    """One of inspect's Mounts (Name and Driver for volumes only)."""
    doc: dict[str, Any] = {"Type": m.type}
    if m.type == "volume":
        doc["Name"] = m.name
    doc |= {"Source": m.source, "Destination": m.destination}
    if m.type == "volume":
        doc["Driver"] = m.driver
    return doc | {"Mode": m.mode, "RW": m.rw, "Propagation": m.propagation}


def mount_spec(m: Any) -> dict[str, Any]:
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
            **({"Labels": go_map(m.volume_labels)} if m.volume_labels else {}),
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


def networks(c: Any, version: tuple[int, int] = DOCKER_20_10) -> dict[str, Any]:
    found = {e.network: endpoint(c, e, version) for e in c.network_settings.networks}
    mode = c.host_config.network_mode
    if not found and mode in ("host", "none"):
        from dockyard.engine.v1 import engine_pb2

        found = {mode: endpoint(c, engine_pb2.EndpointSettings(network=mode), version)}
    return found


def endpoint(c: Any, e: Any, version: tuple[int, int]) -> dict[str, Any]:
    """NetworkSettings.Networks[name]: what was asked and, while it runs, what it got."""
    user_network = e.network not in PREDEFINED
    aliases = list(e.aliases)
    if user_network and version < (1, 45):
        # the daemon added the short ID, and a host name other than the container's name
        for alias in (c.id[:12], c.config.hostname if c.config.hostname != c.name else ""):
            if alias and alias not in aliases:
                aliases.append(alias)
    doc: dict[str, Any] = {
        "IPAMConfig": _ipam_config(e),
        "Links": _strings(e.links),
        "Aliases": aliases or None,
        "NetworkID": e.network_id,
        "EndpointID": e.endpoint_id,
        "Gateway": e.gateway,
        "IPAddress": e.ip_address,
        "IPPrefixLen": e.ip_prefix_len,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "MacAddress": e.mac_address,
        "DriverOpts": dict(e.driver_opts) or None,
    }
    if version >= (1, 44):
        doc["DNSNames"] = [c.name, c.id[:12], *e.aliases] if user_network else None
    return doc


def _ipam_config(e: Any) -> dict[str, Any] | None:
    """docker's EndpointIPAMConfig: each field only when set (omitempty), null when none is."""
    doc: dict[str, Any] = {}
    if e.ipv4_address:
        doc["IPv4Address"] = e.ipv4_address
    if e.link_local_ips:
        doc["LinkLocalIPs"] = list(e.link_local_ips)
    return doc or None


def network_settings(c: Any, version: tuple[int, int] = DOCKER_20_10) -> dict[str, Any]:
    """NetworkSettings; its top-level address keys are the default bridge's, and its ports
    those of a running container, as docker's."""
    found = networks(c, version)
    bridge = found.get("bridge", {})
    ports: dict[str, Any] = dict(port_map(c.network_settings.ports))
    if c.state.status in ("running", "paused"):  # exposed ports, published or not
        for exposed in c.config.exposed_ports:
            ports.setdefault(port_key(exposed), None)
    return {
        "Bridge": "",
        "SandboxID": c.id if c.sandbox_key else "",
        "HairpinMode": False,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": go_map(ports),
        "SandboxKey": c.sandbox_key,
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
        "Networks": go_map(found),
    }


def device_request(d: Any) -> dict[str, Any]:
    """One of HostConfig.DeviceRequests (--gpus), as docker shows it."""
    return {
        "Driver": d.driver,
        "Count": d.count,
        "DeviceIDs": list(d.device_ids) or None,
        "Capabilities": [c.split(",") for c in d.capabilities] or None,
        "Options": go_map(d.options),
    }
