"""`POST /containers/create`'s body (docker's Config, HostConfig and NetworkingConfig) as the
engine's `CreateContainerRequest`.

A setting the engine does not have is refused with a clear error when it is set to anything
but docker's "unset" value (clients send most keys with zero values): running a container
without a limit, mount or device it asked for would be worse than not running it.
"""

from __future__ import annotations

from typing import Any

from dockyard.api.errors import InvalidArgument, Unimplemented
from dockyard.engine.v1 import engine_pb2

# HostConfig keys with no engine setting yet, and the values that mean "not set" for them
UNSET_BY_DEFAULT = {
    "MemorySwappiness": (None, -1),
    "IpcMode": (None, "", "private", "shareable"),
    "CgroupnsMode": (None, "", "private"),
    "Isolation": (None, "", "default"),
    "ShmSize": (None, 0, 64 * 1024 * 1024),
}
IGNORED = {"ConsoleSize", "ContainerIDFile", "Annotations"}  # client-side or cosmetic
NEEDS = {
    "Binds": "volumes and bind mounts",
    "Mounts": "volumes and bind mounts",
    "VolumesFrom": "volumes",
    "VolumeDriver": "volumes",
}
HOST_KEYS = {
    "NetworkMode", "AutoRemove", "LogConfig", "Runtime", "RestartPolicy", "Memory",
    "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "PidsLimit",
    "Ulimits", "CapAdd", "CapDrop", "Privileged", "SecurityOpt", "ReadonlyRootfs", "Tmpfs",
    "Init", "PortBindings", "PublishAllPorts", "Dns", "DnsSearch", "DnsOptions", "ExtraHosts",
}  # fmt: skip


def create_request(body: dict[str, Any], name: str) -> engine_pb2.CreateContainerRequest:
    host = body.get("HostConfig") or {}
    _check_host(host)
    if body.get("NetworkDisabled"):
        host = host | {"NetworkMode": "none"}
    request = engine_pb2.CreateContainerRequest(
        name=name.removeprefix("/"),
        config=container_config(body),
        host_config=host_config(host),
    )
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    for network, settings in endpoints.items():
        request.networks.append(endpoint(network, settings or {}))
    return request


def _check_host(host: dict[str, Any]) -> None:
    for key, value in host.items():
        if key in HOST_KEYS or key in IGNORED or not value:
            continue
        if key in UNSET_BY_DEFAULT and value in UNSET_BY_DEFAULT[key]:
            continue
        if key in NEEDS:
            raise Unimplemented(f"HostConfig.{key}: {NEEDS[key]} are not implemented yet")
        raise InvalidArgument(f"HostConfig.{key} is not supported by Dockyard")


def _str_slice(value: Any, key: str) -> list[str] | None:
    """docker's StrSlice: null, a string, or a list of strings."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise InvalidArgument(f"{key}: expected a string or a list of strings")


def container_config(body: dict[str, Any]) -> engine_pb2.ContainerConfig:
    health = body.get("Healthcheck") or {}
    if health.get("Test") and health["Test"] != ["NONE"]:
        raise Unimplemented("Healthcheck: healthchecks are not implemented yet")
    config = engine_pb2.ContainerConfig(
        hostname=body.get("Hostname") or "",
        domainname=body.get("Domainname") or "",
        user=body.get("User") or "",
        attach_stdin=bool(body.get("AttachStdin")),
        attach_stdout=bool(body.get("AttachStdout")),
        attach_stderr=bool(body.get("AttachStderr")),
        tty=bool(body.get("Tty")),
        open_stdin=bool(body.get("OpenStdin")),
        stdin_once=bool(body.get("StdinOnce")),
        env=body.get("Env") or [],
        image=body.get("Image") or "",
        working_dir=body.get("WorkingDir") or "",
        labels=body.get("Labels") or {},
        stop_signal=body.get("StopSignal") or "",
        exposed_ports=sorted(body.get("ExposedPorts") or {}),
        volumes=sorted(body.get("Volumes") or {}),
    )
    if not config.image:
        raise InvalidArgument("config.Image: an image is required")
    cmd = _str_slice(body.get("Cmd"), "Cmd")
    if cmd:  # docker: an empty Cmd is an unset one
        config.cmd.values.extend(cmd)
    entrypoint = _str_slice(body.get("Entrypoint"), "Entrypoint")
    if entrypoint is not None:  # set, even to [] or [""]: the image's is not used
        config.entrypoint.SetInParent()
        config.entrypoint.values.extend(e for e in entrypoint if entrypoint != [""])
    if body.get("StopTimeout") is not None:
        config.stop_timeout = int(body["StopTimeout"])
    return config


def host_config(h: dict[str, Any]) -> engine_pb2.HostConfig:
    log = h.get("LogConfig") or {}
    restart = h.get("RestartPolicy") or {}
    host = engine_pb2.HostConfig(
        network_mode=h.get("NetworkMode") or "",
        auto_remove=bool(h.get("AutoRemove")),
        log_config=engine_pb2.LogConfig(type=log.get("Type") or "", config=log.get("Config") or {}),
        runtime=h.get("Runtime") or "",
        restart_policy=engine_pb2.RestartPolicy(
            name=restart.get("Name") or "",
            maximum_retry_count=int(restart.get("MaximumRetryCount") or 0),
        ),
        resources=resources(h),
        cap_add=h.get("CapAdd") or [],
        cap_drop=h.get("CapDrop") or [],
        privileged=bool(h.get("Privileged")),
        security_opt=h.get("SecurityOpt") or [],
        read_only=bool(h.get("ReadonlyRootfs")),
        tmpfs=h.get("Tmpfs") or {},
        port_bindings=port_bindings(h.get("PortBindings") or {}),
        publish_all_ports=bool(h.get("PublishAllPorts")),
        dns=h.get("Dns") or [],
        dns_search=h.get("DnsSearch") or [],
        dns_options=h.get("DnsOptions") or [],
        extra_hosts=h.get("ExtraHosts") or [],
    )
    if h.get("Init") is not None:
        host.init = bool(h["Init"])
    return host


def resources(h: dict[str, Any]) -> engine_pb2.Resources:
    return engine_pb2.Resources(
        memory=int(h.get("Memory") or 0),
        memory_swap=int(h.get("MemorySwap") or 0),
        nano_cpus=int(h.get("NanoCpus") or 0),
        cpu_shares=int(h.get("CpuShares") or 0),
        cpu_period=int(h.get("CpuPeriod") or 0),
        cpu_quota=int(h.get("CpuQuota") or 0),
        cpuset_cpus=h.get("CpusetCpus") or "",
        pids_limit=int(h.get("PidsLimit") or 0),
        ulimits=[
            engine_pb2.Ulimit(name=u["Name"], soft=int(u["Soft"]), hard=int(u["Hard"]))
            for u in h.get("Ulimits") or []
        ],
    )


def port_bindings(ports: dict[str, Any]) -> list[engine_pb2.PortBinding]:
    """{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} → one binding per host port."""
    found = []
    for port, bindings in sorted(ports.items()):
        for b in bindings or [{}]:
            found.append(
                engine_pb2.PortBinding(
                    container_port=port,
                    host_ip=(b or {}).get("HostIp") or "",
                    host_port=(b or {}).get("HostPort") or "",
                )
            )
    return found


def endpoint(network: str, settings: dict[str, Any]) -> engine_pb2.EndpointSettings:
    ipam = settings.get("IPAMConfig") or {}
    return engine_pb2.EndpointSettings(
        network="bridge" if network == "default" else network,
        aliases=settings.get("Aliases") or [],
        ipv4_address=ipam.get("IPv4Address") or "",
    )
