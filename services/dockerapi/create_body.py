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
from dockyard.services.dockerapi.params import Fields

# HostConfig keys with no engine setting yet, and the values that mean "not set" for them
UNSET_BY_DEFAULT = {
    "MemorySwappiness": (None, -1),
    "CgroupnsMode": (None, "", "private"),
}
UNSUPPORTED_MOUNT_OPTIONS = (
    ("bind", "NonRecursive"), ("bind", "CreateMountpoint"), ("bind", "ReadOnlyNonRecursive"),
    ("bind", "ReadOnlyForceRecursive"), ("volume", "Subpath"), ("tmpfs", "Options"),
)  # fmt: skip
IGNORED = {"ConsoleSize", "Annotations"}  # client-side or cosmetic
NEEDS: dict[str, str] = {}
HOST_KEYS = {
    "Binds", "Mounts", "VolumesFrom", "VolumeDriver",
    "NetworkMode", "AutoRemove", "LogConfig", "Runtime", "RestartPolicy", "Memory",
    "MemorySwap", "NanoCpus", "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "PidsLimit",
    "OomKillDisable", "OomScoreAdj", "MemoryReservation", "MemorySwappiness",
    "CpusetMems", "KernelMemory", "DeviceCgroupRules", "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "BlkioWeight",
    "BlkioWeightDevice", "CpuRealtimePeriod", "CpuRealtimeRuntime",
    "Ulimits", "CapAdd", "CapDrop", "Privileged", "SecurityOpt", "ReadonlyRootfs", "Tmpfs",
    "Init", "PortBindings", "PublishAllPorts", "Dns", "DnsSearch", "DnsOptions", "ExtraHosts",
    "IpcMode", "PidMode", "UTSMode", "CgroupnsMode", "ShmSize", "Sysctls", "Devices", "GroupAdd",
    "ContainerIDFile", "UsernsMode", "Isolation", "StorageOpt", "DeviceRequests", "CgroupParent",
    "Links",
}  # fmt: skip


def create_request(body: dict[str, Any], name: str) -> engine_pb2.CreateContainerRequest:
    config = Fields(body)
    host = config.obj("HostConfig")
    _check_host(host.doc)
    if config.flag("NetworkDisabled"):
        host = Fields(host.doc | {"NetworkMode": "none"}, "HostConfig")
    request = engine_pb2.CreateContainerRequest(
        name=name.removeprefix("/"),
        config=container_config(config),
        host_config=host_config(host),
    )
    endpoints = config.obj("NetworkingConfig").obj("EndpointsConfig")
    for network in endpoints.doc:
        request.networks.append(endpoint(network, endpoints.obj(network)))
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
    raise InvalidArgument(f"{key}: want a string or a list of strings")


def container_config(body: Fields) -> engine_pb2.ContainerConfig:
    config = engine_pb2.ContainerConfig(
        hostname=body.text("Hostname"),
        domainname=body.text("Domainname"),
        mac_address=body.text("MacAddress"),
        user=body.text("User"),
        attach_stdin=body.flag("AttachStdin"),
        attach_stdout=body.flag("AttachStdout"),
        attach_stderr=body.flag("AttachStderr"),
        tty=body.flag("Tty"),
        open_stdin=body.flag("OpenStdin"),
        stdin_once=body.flag("StdinOnce"),
        env=body.texts("Env"),
        image=body.text("Image"),
        working_dir=body.text("WorkingDir"),
        labels=body.text_map("Labels"),
        stop_signal=body.text("StopSignal"),
        exposed_ports=sorted(body.obj("ExposedPorts").doc),
        volumes=sorted(body.obj("Volumes").doc),
    )
    if not config.image:
        raise InvalidArgument("Image: an image is required")
    cmd = _str_slice(body.doc.get("Cmd"), "Cmd")
    if cmd:  # docker: an empty Cmd is an unset one
        config.cmd.values.extend(cmd)
    entrypoint = _str_slice(body.doc.get("Entrypoint"), "Entrypoint")
    if entrypoint is not None:  # set, even to [] or [""]: the image's is not used
        config.entrypoint.SetInParent()
        config.entrypoint.values.extend(e for e in entrypoint if entrypoint != [""])
    if body.doc.get("StopTimeout") is not None:
        config.stop_timeout = body.number("StopTimeout")
    if body.obj("Healthcheck").doc:
        config.healthcheck.CopyFrom(healthcheck(body.obj("Healthcheck")))
    return config


def healthcheck(h: Fields) -> engine_pb2.HealthConfig:
    """Config.Healthcheck: its durations in nanoseconds, as docker's CLI sends them."""
    check = engine_pb2.HealthConfig(test=h.texts("Test"), retries=h.number("Retries"))
    check.interval = h.number("Interval")
    check.timeout = h.number("Timeout")
    check.start_period = h.number("StartPeriod")
    return check


def host_config(h: Fields) -> engine_pb2.HostConfig:
    log, restart = h.obj("LogConfig"), h.obj("RestartPolicy")
    host = engine_pb2.HostConfig(
        network_mode=h.text("NetworkMode"),
        auto_remove=h.flag("AutoRemove"),
        log_config=engine_pb2.LogConfig(type=log.text("Type"), config=log.text_map("Config")),
        runtime=h.text("Runtime"),
        restart_policy=engine_pb2.RestartPolicy(
            name=restart.text("Name"), maximum_retry_count=restart.number("MaximumRetryCount")
        ),
        resources=resources(h),
        cap_add=h.texts("CapAdd"),
        cap_drop=h.texts("CapDrop"),
        privileged=h.flag("Privileged"),
        security_opt=h.texts("SecurityOpt"),
        read_only=h.flag("ReadonlyRootfs"),
        tmpfs=h.text_map("Tmpfs"),
        port_bindings=port_bindings(h.obj("PortBindings")),
        publish_all_ports=h.flag("PublishAllPorts"),
        dns=h.texts("Dns"),
        dns_search=h.texts("DnsSearch"),
        dns_options=h.texts("DnsOptions"),
        extra_hosts=h.texts("ExtraHosts"),
        links=h.texts("Links"),
    )
    if h.doc.get("Init") is not None:
        host.init = h.flag("Init")
    _mounts(h, host)
    _namespaces_and_devices(h, host)
    return host


def _namespaces_and_devices(h: Fields, host: engine_pb2.HostConfig) -> None:
    """--ipc, --pid, --uts, --shm-size, --sysctl, --device, --group-add, --cidfile's record."""
    host.ipc_mode = "" if h.text("IpcMode") == "private" else h.text("IpcMode")
    host.pid_mode = h.text("PidMode")
    host.uts_mode = h.text("UTSMode")
    host.cgroup_parent = h.text("CgroupParent")
    host.cgroupns_mode = h.text("CgroupnsMode")
    host.shm_size = h.number("ShmSize")
    host.sysctls.update(h.text_map("Sysctls"))
    host.group_add.extend(h.texts("GroupAdd"))
    host.device_cgroup_rules.extend(h.texts("DeviceCgroupRules"))
    host.container_id_file = h.text("ContainerIDFile")
    host.userns_mode, host.isolation = h.text("UsernsMode"), h.text("Isolation")
    host.storage_opt.update(h.text_map("StorageOpt"))
    for wanted in h.objects("DeviceRequests"):
        host.device_requests.append(
            engine_pb2.DeviceRequest(
                driver=wanted.text("Driver"),
                count=wanted.number("Count"),
                device_ids=wanted.texts("DeviceIDs"),
                capabilities=[",".join(map(str, g)) for g in wanted.doc.get("Capabilities") or []],
                options=wanted.text_map("Options"),
            )
        )
    for device in h.objects("Devices"):
        host.devices.append(
            engine_pb2.DeviceMapping(
                path_on_host=device.text("PathOnHost"),
                path_in_container=device.text("PathInContainer"),
                cgroup_permissions=device.text("CgroupPermissions"),
            )
        )


def _mounts(h: Fields, host: engine_pb2.HostConfig) -> None:
    """Binds and VolumesFrom as docker's CLI sends them (the engine parses them, as dockerd
    does), Mounts as MountSpec messages; a volume driver other than local is the engine's to refuse."""
    host.volume_driver = h.text("VolumeDriver")  # another than local: the engine refuses it
    host.binds.extend(h.texts("Binds"))
    host.volumes_from.extend(h.texts("VolumesFrom"))
    host.mounts.extend(mount_spec(m) for m in h.objects("Mounts"))


def mount_spec(m: Fields) -> engine_pb2.MountSpec:
    """One of docker's HostConfig.Mounts. Its option objects count when present (dockerd
    checks `!= nil`: an empty BindOptions on a volume is refused); an option that would change
    what is mounted and that the engine lacks is refused, not dropped."""
    bind, volume, tmpfs = m.obj("BindOptions"), m.obj("VolumeOptions"), m.obj("TmpfsOptions")
    driver = volume.obj("DriverConfig")
    for where, key in UNSUPPORTED_MOUNT_OPTIONS:
        options = {"bind": bind, "volume": volume, "tmpfs": tmpfs}[where]
        if options.doc.get(key):
            raise InvalidArgument(f"{options.name(key)} is not supported by Dockyard")
    return engine_pb2.MountSpec(
        type=m.text("Type"),
        source=m.text("Source"),
        target=m.text("Target"),
        read_only=m.flag("ReadOnly"),
        bind_propagation=bind.text("Propagation"),
        volume_no_copy=volume.flag("NoCopy"),
        volume_labels=volume.text_map("Labels"),
        volume_driver=driver.text("Name"),
        volume_options=driver.text_map("Options"),
        tmpfs_size=tmpfs.number("SizeBytes"),
        tmpfs_mode=tmpfs.number("Mode") & 0o7777,
        has_bind_options=m.doc.get("BindOptions") is not None,
        has_volume_options=m.doc.get("VolumeOptions") is not None,
        has_tmpfs_options=m.doc.get("TmpfsOptions") is not None,
    )


def resources(h: Fields) -> engine_pb2.Resources:
    swappiness = h.doc.get("MemorySwappiness")  # null or -1: the host's
    return engine_pb2.Resources(
        memory=h.number("Memory"),
        memory_swap=h.number("MemorySwap"),
        nano_cpus=h.number("NanoCpus"),
        cpu_shares=h.number("CpuShares"),
        cpu_period=h.number("CpuPeriod"),
        cpu_quota=h.number("CpuQuota"),
        cpuset_cpus=h.text("CpusetCpus"),
        cpuset_mems=h.text("CpusetMems"),
        kernel_memory=h.number("KernelMemory"),
        cpu_realtime_period=h.number("CpuRealtimePeriod"),
        cpu_realtime_runtime=h.number("CpuRealtimeRuntime"),
        device_read_bps=throttles(h, "BlkioDeviceReadBps"),
        device_write_bps=throttles(h, "BlkioDeviceWriteBps"),
        device_read_iops=throttles(h, "BlkioDeviceReadIOps"),
        device_write_iops=throttles(h, "BlkioDeviceWriteIOps"),
        blkio_weight=h.number("BlkioWeight"),
        blkio_weight_device=[
            engine_pb2.ThrottleDevice(path=d.text("Path"), rate=d.number("Weight"))
            for d in h.objects("BlkioWeightDevice")
        ],
        pids_limit=h.number("PidsLimit"),
        oom_kill_disable=h.flag("OomKillDisable"),
        oom_score_adj=h.number("OomScoreAdj"),
        memory_reservation=h.number("MemoryReservation"),
        memory_swappiness=h.number("MemorySwappiness") if swappiness not in (None, -1) else None,
        ulimits=[
            engine_pb2.Ulimit(name=u.text("Name"), soft=u.number("Soft"), hard=u.number("Hard"))
            for u in h.objects("Ulimits")
        ],
    )


def throttles(h: Fields, key: str) -> list[engine_pb2.ThrottleDevice]:
    return [
        engine_pb2.ThrottleDevice(path=d.text("Path"), rate=d.number("Rate"))
        for d in h.objects(key)
    ]


def port_bindings(ports: Fields) -> list[engine_pb2.PortBinding]:
    """{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} → one binding per host port."""
    found = []
    for port in sorted(ports.doc):
        for b in ports.objects(port) or [Fields({})]:
            found.append(
                engine_pb2.PortBinding(
                    container_port=port, host_ip=b.text("HostIp"), host_port=b.text("HostPort")
                )
            )
    return found


def endpoint(network: str, settings: Fields) -> engine_pb2.EndpointSettings:
    return engine_pb2.EndpointSettings(
        network="bridge" if network == "default" else network,
        aliases=settings.texts("Aliases"),
        ipv4_address=settings.obj("IPAMConfig").text("IPv4Address"),
        ipv6_address=settings.obj("IPAMConfig").text("IPv6Address"),
        links=settings.texts("Links"),
        link_local_ips=settings.obj("IPAMConfig").texts("LinkLocalIPs"),
    )
