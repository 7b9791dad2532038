"""The engine's container model: docker's Config, HostConfig and State, as plain dataclasses.

Field names equal the engine proto's (`dockyard.engine.v1`), so `convert.py` maps both ways
generically; the records are stored as JSON (`store.py`). Lists that may be unset (`cmd`,
`entrypoint`) are `None` when unset and `[]` when set to nothing, as docker tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STATUSES = ("created", "running", "paused", "restarting", "removing", "exited", "dead")
RUNNING_STATUSES = ("running", "paused", "restarting")  # a task exists (or is due again)


@dataclass
class HealthConfig:
    """docker's Config.Healthcheck: durations in nanoseconds, 0 = the default (`health.py`)."""

    test: list[str] = field(default_factory=list)  # ["CMD", ...] | ["CMD-SHELL", s] | ["NONE"]
    interval: int = 0
    timeout: int = 0
    start_period: int = 0
    retries: int = 0


@dataclass
class ContainerConfig:
    hostname: str = ""
    domainname: str = ""
    user: str = ""
    attach_stdin: bool = False
    attach_stdout: bool = False
    attach_stderr: bool = False
    tty: bool = False
    open_stdin: bool = False
    stdin_once: bool = False
    env: list[str] = field(default_factory=list)
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    image: str = ""
    working_dir: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    stop_signal: str = ""
    stop_timeout: int | None = None
    exposed_ports: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    healthcheck: HealthConfig | None = None
    mac_address: str = ""


@dataclass
class LogConfig:
    type: str = "json-file"
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class RestartPolicy:
    name: str = ""
    maximum_retry_count: int = 0


@dataclass
class ThrottleDevice:
    path: str = ""
    rate: int = 0


@dataclass
class Ulimit:
    name: str = ""
    soft: int = 0
    hard: int = 0


@dataclass
class Resources:
    memory: int = 0
    memory_swap: int = 0
    nano_cpus: int = 0
    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpuset_cpus: str = ""
    pids_limit: int = 0
    ulimits: list[Ulimit] = field(default_factory=list)
    oom_kill_disable: bool = False
    oom_score_adj: int = 0
    memory_reservation: int = 0
    memory_swappiness: int | None = None  # None (or -1): the host's
    cpuset_mems: str = ""
    kernel_memory: int = 0  # recorded, never applied (`limits.discarded`), as docker 20.10's
    device_read_bps: list[ThrottleDevice] = field(default_factory=list)
    device_write_bps: list[ThrottleDevice] = field(default_factory=list)
    device_read_iops: list[ThrottleDevice] = field(default_factory=list)
    device_write_iops: list[ThrottleDevice] = field(default_factory=list)
    blkio_weight: int = 0
    blkio_weight_device: list[ThrottleDevice] = field(default_factory=list)  # rate = weight
    cpu_realtime_period: int = 0  # microseconds (v1 cpu.rt_period_us)
    cpu_realtime_runtime: int = 0  # microseconds of real-time scheduling per period


@dataclass
class PortBinding:
    container_port: str  # "80/tcp"
    host_ip: str = ""
    host_port: str = ""


@dataclass
class EndpointSettings:
    network: str
    aliases: list[str] = field(default_factory=list)
    ipv4_address: str = ""
    network_id: str = ""
    endpoint_id: str = ""
    gateway: str = ""
    ip_address: str = ""
    ip_prefix_len: int = 0
    ipv6_address: str = ""  # --ip6: always refused (no IPv6 on these networks)
    mac_address: str = ""
    links: list[str] = field(default_factory=list)  # "name:alias", on a user network
    link_local_ips: list[str] = field(default_factory=list)  # --link-local-ip
    driver_opts: dict[str, str] = field(default_factory=dict)  # connect --driver-opt: recorded


@dataclass
class NetworkSettings:
    networks: list[EndpointSettings] = field(default_factory=list)
    ports: list[PortBinding] = field(default_factory=list)


@dataclass
class MountSpec:
    """docker's HostConfig.Mounts entry (--mount)."""

    type: str  # "volume" | "bind" | "tmpfs"
    target: str
    source: str = ""  # a volume's name ("" = anonymous), a host path
    read_only: bool = False
    bind_propagation: str = ""
    volume_no_copy: bool = False
    volume_labels: dict[str, str] = field(default_factory=dict)
    volume_driver: str = ""
    volume_options: dict[str, str] = field(default_factory=dict)
    tmpfs_size: int = 0  # bytes
    tmpfs_mode: int = 0
    has_bind_options: bool = False
    has_volume_options: bool = False
    has_tmpfs_options: bool = False


@dataclass
class MountPoint:
    """One of inspect's Mounts: what a container got, and how to mount it."""

    type: str  # "volume" | "bind" | "tmpfs"
    destination: str
    name: str = ""  # a volume's
    source: str = ""  # the host path (a volume's data directory)
    driver: str = ""
    mode: str = ""
    rw: bool = True
    propagation: str = ""
    # The engine's own bookkeeping (not in the API):
    anonymous: bool = False  # made for this container: `rm -v` and `run --rm` remove it
    tmpfs_options: list[str] = field(default_factory=list)  # size=…, mode=…


@dataclass
class DeviceMapping:
    path_on_host: str = ""
    path_in_container: str = ""
    cgroup_permissions: str = ""


@dataclass
class DeviceRequest:
    driver: str = ""
    count: int = 0  # -1 = all
    device_ids: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)  # each AND-group comma-joined
    options: dict[str, str] = field(default_factory=dict)


DEFAULT_NETWORK = "bridge"  # the network of network mode "default" (dockerd's default bridge)


def network_of(mode: str) -> str:
    """The network a network mode (or an endpoint's network) names: "default" is the bridge.

    Records keep "default" (what a container made without --network shows, as docker's);
    records of older engines say "bridge" for it, which names the same network."""
    return DEFAULT_NETWORK if mode == "default" else mode


@dataclass
class HostConfig:
    network_mode: str = ""  # "default" | bridge | host | none | container:<id> | <network>
    auto_remove: bool = False
    log_config: LogConfig = field(default_factory=LogConfig)
    runtime: str = ""
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    resources: Resources = field(default_factory=Resources)
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    security_opt: list[str] = field(default_factory=list)
    read_only: bool = False
    tmpfs: dict[str, str] = field(default_factory=dict)
    init: bool | None = None
    port_bindings: list[PortBinding] = field(default_factory=list)
    publish_all_ports: bool = False
    dns: list[str] = field(default_factory=list)
    dns_search: list[str] = field(default_factory=list)
    dns_options: list[str] = field(default_factory=list)
    extra_hosts: list[str] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)  # -v SOURCE:TARGET[:MODE]
    mounts: list[MountSpec] = field(default_factory=list)  # --mount
    volumes_from: list[str] = field(default_factory=list)  # CONTAINER[:ro|rw]
    masked_paths: list[str] = field(default_factory=list)  # as set at create (inspect shows)
    readonly_paths: list[str] = field(default_factory=list)
    container_id_file: str = ""  # --cidfile (the client writes it)
    ipc_mode: str = ""  # "" (private) | shareable | host | container:<id>
    pid_mode: str = ""  # "" | host | container:<id>
    uts_mode: str = ""  # "" | host
    cgroupns_mode: str = ""  # "" (private) | private | host
    shm_size: int = 0  # bytes; 0 = 64 MiB
    sysctls: dict[str, str] = field(default_factory=dict)
    devices: list[DeviceMapping] = field(default_factory=list)
    group_add: list[str] = field(default_factory=list)
    device_cgroup_rules: list[str] = field(default_factory=list)
    userns_mode: str = ""  # "" | host (the only valid ones: defaultsonly.py)
    isolation: str = ""  # "" | default
    storage_opt: dict[str, str] = field(default_factory=dict)  # never any (refused)
    device_requests: list[DeviceRequest] = field(default_factory=list)  # --gpus (refused)
    volume_driver: str = ""  # "" | local (no volume plugins)
    cgroup_parent: str = ""  # "" = the engine's (spec.cgroups_path)
    links: list[str] = field(default_factory=list)  # "/child:/parent/alias" (links.py)


@dataclass
class HealthResult:
    """One probe: when it ran, its exit code (-1: it could not run or timed out), its output."""

    start: datetime | None = None
    end: datetime | None = None
    exit_code: int = 0
    output: str = ""


@dataclass
class Health:
    """docker's State.Health."""

    status: str = "starting"  # starting | healthy | unhealthy
    failing_streak: int = 0
    log: list[HealthResult] = field(default_factory=list)  # the last 5, oldest first


@dataclass
class ContainerState:
    status: str = "created"
    running: bool = False
    paused: bool = False
    restarting: bool = False
    oom_killed: bool = False
    dead: bool = False
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    health: Health | None = None  # with a healthcheck only


@dataclass
class Container:
    id: str
    name: str
    created: datetime
    image: str  # image ID
    config: ContainerConfig
    host_config: HostConfig
    path: str = ""
    args: list[str] = field(default_factory=list)
    state: ContainerState = field(default_factory=ContainerState)
    restart_count: int = 0
    driver: str = "overlayfs"
    platform: str = "linux"
    log_path: str = ""
    hostname_path: str = ""
    hosts_path: str = ""
    resolv_conf_path: str = ""
    graph_driver: dict[str, str] = field(default_factory=dict)
    sandbox_key: str = ""
    network_settings: NetworkSettings = field(default_factory=NetworkSettings)
    mounts: list[MountPoint] = field(default_factory=list)  # sorted by destination
    # The engine's own bookkeeping (not in the API):
    manually_stopped: bool = False  # by `stop`/`kill`; restart policies then leave it alone
    restart_delay: float = 0.0  # seconds before the last automatic restart (backoff)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def running(self) -> bool:
        return self.state.status in RUNNING_STATUSES
