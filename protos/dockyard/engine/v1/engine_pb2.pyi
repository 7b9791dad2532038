import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from dockyard.images.v1 import images_pb2 as _images_pb2
from dockyard.network.v1 import network_pb2 as _network_pb2
from dockyard.types.v1 import types_pb2 as _types_pb2
from dockyard.volumes.v1 import volumes_pb2 as _volumes_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListVolumesRequest(_message.Message):
    __slots__ = ("filters", "usage")
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    filters: _containers.RepeatedScalarFieldContainer[str]
    usage: bool
    def __init__(self, filters: _Optional[_Iterable[str]] = ..., usage: _Optional[bool] = ...) -> None: ...

class ListVolumesResponse(_message.Message):
    __slots__ = ("volumes",)
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    volumes: _containers.RepeatedCompositeFieldContainer[_volumes_pb2.Volume]
    def __init__(self, volumes: _Optional[_Iterable[_Union[_volumes_pb2.Volume, _Mapping]]] = ...) -> None: ...

class RemoveVolumeRequest(_message.Message):
    __slots__ = ("name", "force")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    force: bool
    def __init__(self, name: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class PruneVolumesRequest(_message.Message):
    __slots__ = ("all", "filters")
    ALL_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    all: bool
    filters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, all: _Optional[bool] = ..., filters: _Optional[_Iterable[str]] = ...) -> None: ...

class PruneVolumesResponse(_message.Message):
    __slots__ = ("removed", "space_reclaimed")
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    SPACE_RECLAIMED_FIELD_NUMBER: _ClassVar[int]
    removed: _containers.RepeatedScalarFieldContainer[str]
    space_reclaimed: int
    def __init__(self, removed: _Optional[_Iterable[str]] = ..., space_reclaimed: _Optional[int] = ...) -> None: ...

class ContainerPathRequest(_message.Message):
    __slots__ = ("id", "path")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ContainerArchiveOptions(_message.Message):
    __slots__ = ("id", "path", "copy_uid_gid", "no_overwrite_dir_non_dir")
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    COPY_UID_GID_FIELD_NUMBER: _ClassVar[int]
    NO_OVERWRITE_DIR_NON_DIR_FIELD_NUMBER: _ClassVar[int]
    id: str
    path: str
    copy_uid_gid: bool
    no_overwrite_dir_non_dir: bool
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., copy_uid_gid: _Optional[bool] = ..., no_overwrite_dir_non_dir: _Optional[bool] = ...) -> None: ...

class ContainerArchiveInput(_message.Message):
    __slots__ = ("options", "data")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    options: ContainerArchiveOptions
    data: bytes
    def __init__(self, options: _Optional[_Union[ContainerArchiveOptions, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class NetworkConnectRequest(_message.Message):
    __slots__ = ("network", "container", "aliases", "ipv4_address", "links", "link_local_ips", "ipv6_address", "driver_opts")
    class DriverOptsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    IPV4_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    LINK_LOCAL_IPS_FIELD_NUMBER: _ClassVar[int]
    IPV6_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DRIVER_OPTS_FIELD_NUMBER: _ClassVar[int]
    network: str
    container: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    ipv4_address: str
    links: _containers.RepeatedScalarFieldContainer[str]
    link_local_ips: _containers.RepeatedScalarFieldContainer[str]
    ipv6_address: str
    driver_opts: _containers.ScalarMap[str, str]
    def __init__(self, network: _Optional[str] = ..., container: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., ipv4_address: _Optional[str] = ..., links: _Optional[_Iterable[str]] = ..., link_local_ips: _Optional[_Iterable[str]] = ..., ipv6_address: _Optional[str] = ..., driver_opts: _Optional[_Mapping[str, str]] = ...) -> None: ...

class NetworkDisconnectRequest(_message.Message):
    __slots__ = ("network", "container", "force")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    network: str
    container: str
    force: bool
    def __init__(self, network: _Optional[str] = ..., container: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...

class StringList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class ContainerConfig(_message.Message):
    __slots__ = ("hostname", "domainname", "user", "attach_stdin", "attach_stdout", "attach_stderr", "tty", "open_stdin", "stdin_once", "env", "cmd", "entrypoint", "image", "working_dir", "labels", "stop_signal", "stop_timeout", "exposed_ports", "volumes", "healthcheck", "mac_address")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    DOMAINNAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ATTACH_STDIN_FIELD_NUMBER: _ClassVar[int]
    ATTACH_STDOUT_FIELD_NUMBER: _ClassVar[int]
    ATTACH_STDERR_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    OPEN_STDIN_FIELD_NUMBER: _ClassVar[int]
    STDIN_ONCE_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ENTRYPOINT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    STOP_SIGNAL_FIELD_NUMBER: _ClassVar[int]
    STOP_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    EXPOSED_PORTS_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    HEALTHCHECK_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    domainname: str
    user: str
    attach_stdin: bool
    attach_stdout: bool
    attach_stderr: bool
    tty: bool
    open_stdin: bool
    stdin_once: bool
    env: _containers.RepeatedScalarFieldContainer[str]
    cmd: StringList
    entrypoint: StringList
    image: str
    working_dir: str
    labels: _containers.ScalarMap[str, str]
    stop_signal: str
    stop_timeout: int
    exposed_ports: _containers.RepeatedScalarFieldContainer[str]
    volumes: _containers.RepeatedScalarFieldContainer[str]
    healthcheck: HealthConfig
    mac_address: str
    def __init__(self, hostname: _Optional[str] = ..., domainname: _Optional[str] = ..., user: _Optional[str] = ..., attach_stdin: _Optional[bool] = ..., attach_stdout: _Optional[bool] = ..., attach_stderr: _Optional[bool] = ..., tty: _Optional[bool] = ..., open_stdin: _Optional[bool] = ..., stdin_once: _Optional[bool] = ..., env: _Optional[_Iterable[str]] = ..., cmd: _Optional[_Union[StringList, _Mapping]] = ..., entrypoint: _Optional[_Union[StringList, _Mapping]] = ..., image: _Optional[str] = ..., working_dir: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., stop_signal: _Optional[str] = ..., stop_timeout: _Optional[int] = ..., exposed_ports: _Optional[_Iterable[str]] = ..., volumes: _Optional[_Iterable[str]] = ..., healthcheck: _Optional[_Union[HealthConfig, _Mapping]] = ..., mac_address: _Optional[str] = ...) -> None: ...

class HealthConfig(_message.Message):
    __slots__ = ("test", "interval", "timeout", "start_period", "retries")
    TEST_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_PERIOD_FIELD_NUMBER: _ClassVar[int]
    RETRIES_FIELD_NUMBER: _ClassVar[int]
    test: _containers.RepeatedScalarFieldContainer[str]
    interval: int
    timeout: int
    start_period: int
    retries: int
    def __init__(self, test: _Optional[_Iterable[str]] = ..., interval: _Optional[int] = ..., timeout: _Optional[int] = ..., start_period: _Optional[int] = ..., retries: _Optional[int] = ...) -> None: ...

class LogConfig(_message.Message):
    __slots__ = ("type", "config")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    type: str
    config: _containers.ScalarMap[str, str]
    def __init__(self, type: _Optional[str] = ..., config: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RestartPolicy(_message.Message):
    __slots__ = ("name", "maximum_retry_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_RETRY_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    maximum_retry_count: int
    def __init__(self, name: _Optional[str] = ..., maximum_retry_count: _Optional[int] = ...) -> None: ...

class Ulimit(_message.Message):
    __slots__ = ("name", "soft", "hard")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOFT_FIELD_NUMBER: _ClassVar[int]
    HARD_FIELD_NUMBER: _ClassVar[int]
    name: str
    soft: int
    hard: int
    def __init__(self, name: _Optional[str] = ..., soft: _Optional[int] = ..., hard: _Optional[int] = ...) -> None: ...

class Resources(_message.Message):
    __slots__ = ("memory", "memory_swap", "nano_cpus", "cpu_shares", "cpu_period", "cpu_quota", "cpuset_cpus", "pids_limit", "ulimits", "oom_kill_disable", "oom_score_adj", "memory_reservation", "memory_swappiness", "cpuset_mems", "kernel_memory", "device_read_bps", "device_write_bps", "device_read_iops", "device_write_iops", "blkio_weight", "blkio_weight_device", "cpu_realtime_period", "cpu_realtime_runtime")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    MEMORY_SWAP_FIELD_NUMBER: _ClassVar[int]
    NANO_CPUS_FIELD_NUMBER: _ClassVar[int]
    CPU_SHARES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERIOD_FIELD_NUMBER: _ClassVar[int]
    CPU_QUOTA_FIELD_NUMBER: _ClassVar[int]
    CPUSET_CPUS_FIELD_NUMBER: _ClassVar[int]
    PIDS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    ULIMITS_FIELD_NUMBER: _ClassVar[int]
    OOM_KILL_DISABLE_FIELD_NUMBER: _ClassVar[int]
    OOM_SCORE_ADJ_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RESERVATION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_SWAPPINESS_FIELD_NUMBER: _ClassVar[int]
    CPUSET_MEMS_FIELD_NUMBER: _ClassVar[int]
    KERNEL_MEMORY_FIELD_NUMBER: _ClassVar[int]
    DEVICE_READ_BPS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_WRITE_BPS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_READ_IOPS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_WRITE_IOPS_FIELD_NUMBER: _ClassVar[int]
    BLKIO_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLKIO_WEIGHT_DEVICE_FIELD_NUMBER: _ClassVar[int]
    CPU_REALTIME_PERIOD_FIELD_NUMBER: _ClassVar[int]
    CPU_REALTIME_RUNTIME_FIELD_NUMBER: _ClassVar[int]
    memory: int
    memory_swap: int
    nano_cpus: int
    cpu_shares: int
    cpu_period: int
    cpu_quota: int
    cpuset_cpus: str
    pids_limit: int
    ulimits: _containers.RepeatedCompositeFieldContainer[Ulimit]
    oom_kill_disable: bool
    oom_score_adj: int
    memory_reservation: int
    memory_swappiness: int
    cpuset_mems: str
    kernel_memory: int
    device_read_bps: _containers.RepeatedCompositeFieldContainer[ThrottleDevice]
    device_write_bps: _containers.RepeatedCompositeFieldContainer[ThrottleDevice]
    device_read_iops: _containers.RepeatedCompositeFieldContainer[ThrottleDevice]
    device_write_iops: _containers.RepeatedCompositeFieldContainer[ThrottleDevice]
    blkio_weight: int
    blkio_weight_device: _containers.RepeatedCompositeFieldContainer[ThrottleDevice]
    cpu_realtime_period: int
    cpu_realtime_runtime: int
    def __init__(self, memory: _Optional[int] = ..., memory_swap: _Optional[int] = ..., nano_cpus: _Optional[int] = ..., cpu_shares: _Optional[int] = ..., cpu_period: _Optional[int] = ..., cpu_quota: _Optional[int] = ..., cpuset_cpus: _Optional[str] = ..., pids_limit: _Optional[int] = ..., ulimits: _Optional[_Iterable[_Union[Ulimit, _Mapping]]] = ..., oom_kill_disable: _Optional[bool] = ..., oom_score_adj: _Optional[int] = ..., memory_reservation: _Optional[int] = ..., memory_swappiness: _Optional[int] = ..., cpuset_mems: _Optional[str] = ..., kernel_memory: _Optional[int] = ..., device_read_bps: _Optional[_Iterable[_Union[ThrottleDevice, _Mapping]]] = ..., device_write_bps: _Optional[_Iterable[_Union[ThrottleDevice, _Mapping]]] = ..., device_read_iops: _Optional[_Iterable[_Union[ThrottleDevice, _Mapping]]] = ..., device_write_iops: _Optional[_Iterable[_Union[ThrottleDevice, _Mapping]]] = ..., blkio_weight: _Optional[int] = ..., blkio_weight_device: _Optional[_Iterable[_Union[ThrottleDevice, _Mapping]]] = ..., cpu_realtime_period: _Optional[int] = ..., cpu_realtime_runtime: _Optional[int] = ...) -> None: ...

class ThrottleDevice(_message.Message):
    __slots__ = ("path", "rate")
    PATH_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    path: str
    rate: int
    def __init__(self, path: _Optional[str] = ..., rate: _Optional[int] = ...) -> None: ...

class HostConfig(_message.Message):
    __slots__ = ("network_mode", "auto_remove", "log_config", "runtime", "restart_policy", "resources", "cap_add", "cap_drop", "privileged", "security_opt", "read_only", "tmpfs", "init", "port_bindings", "publish_all_ports", "dns", "dns_search", "dns_options", "extra_hosts", "binds", "mounts", "volumes_from", "masked_paths", "readonly_paths", "container_id_file", "ipc_mode", "pid_mode", "uts_mode", "cgroupns_mode", "shm_size", "sysctls", "devices", "group_add", "device_cgroup_rules", "userns_mode", "isolation", "storage_opt", "volume_driver", "cgroup_parent", "device_requests", "links")
    class TmpfsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class SysctlsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class StorageOptEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NETWORK_MODE_FIELD_NUMBER: _ClassVar[int]
    AUTO_REMOVE_FIELD_NUMBER: _ClassVar[int]
    LOG_CONFIG_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    RESTART_POLICY_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CAP_ADD_FIELD_NUMBER: _ClassVar[int]
    CAP_DROP_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGED_FIELD_NUMBER: _ClassVar[int]
    SECURITY_OPT_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    TMPFS_FIELD_NUMBER: _ClassVar[int]
    INIT_FIELD_NUMBER: _ClassVar[int]
    PORT_BINDINGS_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_ALL_PORTS_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    DNS_SEARCH_FIELD_NUMBER: _ClassVar[int]
    DNS_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_HOSTS_FIELD_NUMBER: _ClassVar[int]
    BINDS_FIELD_NUMBER: _ClassVar[int]
    MOUNTS_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FROM_FIELD_NUMBER: _ClassVar[int]
    MASKED_PATHS_FIELD_NUMBER: _ClassVar[int]
    READONLY_PATHS_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_ID_FILE_FIELD_NUMBER: _ClassVar[int]
    IPC_MODE_FIELD_NUMBER: _ClassVar[int]
    PID_MODE_FIELD_NUMBER: _ClassVar[int]
    UTS_MODE_FIELD_NUMBER: _ClassVar[int]
    CGROUPNS_MODE_FIELD_NUMBER: _ClassVar[int]
    SHM_SIZE_FIELD_NUMBER: _ClassVar[int]
    SYSCTLS_FIELD_NUMBER: _ClassVar[int]
    DEVICES_FIELD_NUMBER: _ClassVar[int]
    GROUP_ADD_FIELD_NUMBER: _ClassVar[int]
    DEVICE_CGROUP_RULES_FIELD_NUMBER: _ClassVar[int]
    USERNS_MODE_FIELD_NUMBER: _ClassVar[int]
    ISOLATION_FIELD_NUMBER: _ClassVar[int]
    STORAGE_OPT_FIELD_NUMBER: _ClassVar[int]
    VOLUME_DRIVER_FIELD_NUMBER: _ClassVar[int]
    CGROUP_PARENT_FIELD_NUMBER: _ClassVar[int]
    DEVICE_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    network_mode: str
    auto_remove: bool
    log_config: LogConfig
    runtime: str
    restart_policy: RestartPolicy
    resources: Resources
    cap_add: _containers.RepeatedScalarFieldContainer[str]
    cap_drop: _containers.RepeatedScalarFieldContainer[str]
    privileged: bool
    security_opt: _containers.RepeatedScalarFieldContainer[str]
    read_only: bool
    tmpfs: _containers.ScalarMap[str, str]
    init: bool
    port_bindings: _containers.RepeatedCompositeFieldContainer[PortBinding]
    publish_all_ports: bool
    dns: _containers.RepeatedScalarFieldContainer[str]
    dns_search: _containers.RepeatedScalarFieldContainer[str]
    dns_options: _containers.RepeatedScalarFieldContainer[str]
    extra_hosts: _containers.RepeatedScalarFieldContainer[str]
    binds: _containers.RepeatedScalarFieldContainer[str]
    mounts: _containers.RepeatedCompositeFieldContainer[MountSpec]
    volumes_from: _containers.RepeatedScalarFieldContainer[str]
    masked_paths: _containers.RepeatedScalarFieldContainer[str]
    readonly_paths: _containers.RepeatedScalarFieldContainer[str]
    container_id_file: str
    ipc_mode: str
    pid_mode: str
    uts_mode: str
    cgroupns_mode: str
    shm_size: int
    sysctls: _containers.ScalarMap[str, str]
    devices: _containers.RepeatedCompositeFieldContainer[DeviceMapping]
    group_add: _containers.RepeatedScalarFieldContainer[str]
    device_cgroup_rules: _containers.RepeatedScalarFieldContainer[str]
    userns_mode: str
    isolation: str
    storage_opt: _containers.ScalarMap[str, str]
    volume_driver: str
    cgroup_parent: str
    device_requests: _containers.RepeatedCompositeFieldContainer[DeviceRequest]
    links: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, network_mode: _Optional[str] = ..., auto_remove: _Optional[bool] = ..., log_config: _Optional[_Union[LogConfig, _Mapping]] = ..., runtime: _Optional[str] = ..., restart_policy: _Optional[_Union[RestartPolicy, _Mapping]] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., cap_add: _Optional[_Iterable[str]] = ..., cap_drop: _Optional[_Iterable[str]] = ..., privileged: _Optional[bool] = ..., security_opt: _Optional[_Iterable[str]] = ..., read_only: _Optional[bool] = ..., tmpfs: _Optional[_Mapping[str, str]] = ..., init: _Optional[bool] = ..., port_bindings: _Optional[_Iterable[_Union[PortBinding, _Mapping]]] = ..., publish_all_ports: _Optional[bool] = ..., dns: _Optional[_Iterable[str]] = ..., dns_search: _Optional[_Iterable[str]] = ..., dns_options: _Optional[_Iterable[str]] = ..., extra_hosts: _Optional[_Iterable[str]] = ..., binds: _Optional[_Iterable[str]] = ..., mounts: _Optional[_Iterable[_Union[MountSpec, _Mapping]]] = ..., volumes_from: _Optional[_Iterable[str]] = ..., masked_paths: _Optional[_Iterable[str]] = ..., readonly_paths: _Optional[_Iterable[str]] = ..., container_id_file: _Optional[str] = ..., ipc_mode: _Optional[str] = ..., pid_mode: _Optional[str] = ..., uts_mode: _Optional[str] = ..., cgroupns_mode: _Optional[str] = ..., shm_size: _Optional[int] = ..., sysctls: _Optional[_Mapping[str, str]] = ..., devices: _Optional[_Iterable[_Union[DeviceMapping, _Mapping]]] = ..., group_add: _Optional[_Iterable[str]] = ..., device_cgroup_rules: _Optional[_Iterable[str]] = ..., userns_mode: _Optional[str] = ..., isolation: _Optional[str] = ..., storage_opt: _Optional[_Mapping[str, str]] = ..., volume_driver: _Optional[str] = ..., cgroup_parent: _Optional[str] = ..., device_requests: _Optional[_Iterable[_Union[DeviceRequest, _Mapping]]] = ..., links: _Optional[_Iterable[str]] = ...) -> None: ...

class DeviceRequest(_message.Message):
    __slots__ = ("driver", "count", "device_ids", "capabilities", "options")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    DEVICE_IDS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    driver: str
    count: int
    device_ids: _containers.RepeatedScalarFieldContainer[str]
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    options: _containers.ScalarMap[str, str]
    def __init__(self, driver: _Optional[str] = ..., count: _Optional[int] = ..., device_ids: _Optional[_Iterable[str]] = ..., capabilities: _Optional[_Iterable[str]] = ..., options: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeviceMapping(_message.Message):
    __slots__ = ("path_on_host", "path_in_container", "cgroup_permissions")
    PATH_ON_HOST_FIELD_NUMBER: _ClassVar[int]
    PATH_IN_CONTAINER_FIELD_NUMBER: _ClassVar[int]
    CGROUP_PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    path_on_host: str
    path_in_container: str
    cgroup_permissions: str
    def __init__(self, path_on_host: _Optional[str] = ..., path_in_container: _Optional[str] = ..., cgroup_permissions: _Optional[str] = ...) -> None: ...

class MountSpec(_message.Message):
    __slots__ = ("type", "source", "target", "read_only", "bind_propagation", "volume_no_copy", "volume_labels", "volume_driver", "volume_options", "tmpfs_size", "tmpfs_mode", "has_bind_options", "has_volume_options", "has_tmpfs_options")
    class VolumeLabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class VolumeOptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    BIND_PROPAGATION_FIELD_NUMBER: _ClassVar[int]
    VOLUME_NO_COPY_FIELD_NUMBER: _ClassVar[int]
    VOLUME_LABELS_FIELD_NUMBER: _ClassVar[int]
    VOLUME_DRIVER_FIELD_NUMBER: _ClassVar[int]
    VOLUME_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    TMPFS_SIZE_FIELD_NUMBER: _ClassVar[int]
    TMPFS_MODE_FIELD_NUMBER: _ClassVar[int]
    HAS_BIND_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    HAS_VOLUME_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    HAS_TMPFS_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    type: str
    source: str
    target: str
    read_only: bool
    bind_propagation: str
    volume_no_copy: bool
    volume_labels: _containers.ScalarMap[str, str]
    volume_driver: str
    volume_options: _containers.ScalarMap[str, str]
    tmpfs_size: int
    tmpfs_mode: int
    has_bind_options: bool
    has_volume_options: bool
    has_tmpfs_options: bool
    def __init__(self, type: _Optional[str] = ..., source: _Optional[str] = ..., target: _Optional[str] = ..., read_only: _Optional[bool] = ..., bind_propagation: _Optional[str] = ..., volume_no_copy: _Optional[bool] = ..., volume_labels: _Optional[_Mapping[str, str]] = ..., volume_driver: _Optional[str] = ..., volume_options: _Optional[_Mapping[str, str]] = ..., tmpfs_size: _Optional[int] = ..., tmpfs_mode: _Optional[int] = ..., has_bind_options: _Optional[bool] = ..., has_volume_options: _Optional[bool] = ..., has_tmpfs_options: _Optional[bool] = ...) -> None: ...

class MountPoint(_message.Message):
    __slots__ = ("type", "name", "source", "destination", "driver", "mode", "rw", "propagation")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    RW_FIELD_NUMBER: _ClassVar[int]
    PROPAGATION_FIELD_NUMBER: _ClassVar[int]
    type: str
    name: str
    source: str
    destination: str
    driver: str
    mode: str
    rw: bool
    propagation: str
    def __init__(self, type: _Optional[str] = ..., name: _Optional[str] = ..., source: _Optional[str] = ..., destination: _Optional[str] = ..., driver: _Optional[str] = ..., mode: _Optional[str] = ..., rw: _Optional[bool] = ..., propagation: _Optional[str] = ...) -> None: ...

class PortBinding(_message.Message):
    __slots__ = ("container_port", "host_ip", "host_port")
    CONTAINER_PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_IP_FIELD_NUMBER: _ClassVar[int]
    HOST_PORT_FIELD_NUMBER: _ClassVar[int]
    container_port: str
    host_ip: str
    host_port: str
    def __init__(self, container_port: _Optional[str] = ..., host_ip: _Optional[str] = ..., host_port: _Optional[str] = ...) -> None: ...

class EndpointSettings(_message.Message):
    __slots__ = ("network", "aliases", "ipv4_address", "network_id", "endpoint_id", "gateway", "ip_address", "ip_prefix_len", "mac_address", "ipv6_address", "links", "link_local_ips", "driver_opts")
    class DriverOptsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    IPV4_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IP_PREFIX_LEN_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IPV6_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    LINK_LOCAL_IPS_FIELD_NUMBER: _ClassVar[int]
    DRIVER_OPTS_FIELD_NUMBER: _ClassVar[int]
    network: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    ipv4_address: str
    network_id: str
    endpoint_id: str
    gateway: str
    ip_address: str
    ip_prefix_len: int
    mac_address: str
    ipv6_address: str
    links: _containers.RepeatedScalarFieldContainer[str]
    link_local_ips: _containers.RepeatedScalarFieldContainer[str]
    driver_opts: _containers.ScalarMap[str, str]
    def __init__(self, network: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., ipv4_address: _Optional[str] = ..., network_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., gateway: _Optional[str] = ..., ip_address: _Optional[str] = ..., ip_prefix_len: _Optional[int] = ..., mac_address: _Optional[str] = ..., ipv6_address: _Optional[str] = ..., links: _Optional[_Iterable[str]] = ..., link_local_ips: _Optional[_Iterable[str]] = ..., driver_opts: _Optional[_Mapping[str, str]] = ...) -> None: ...

class NetworkSettings(_message.Message):
    __slots__ = ("networks", "ports")
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[EndpointSettings]
    ports: _containers.RepeatedCompositeFieldContainer[PortBinding]
    def __init__(self, networks: _Optional[_Iterable[_Union[EndpointSettings, _Mapping]]] = ..., ports: _Optional[_Iterable[_Union[PortBinding, _Mapping]]] = ...) -> None: ...

class CreateContainerRequest(_message.Message):
    __slots__ = ("name", "config", "host_config", "networks")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    HOST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    name: str
    config: ContainerConfig
    host_config: HostConfig
    networks: _containers.RepeatedCompositeFieldContainer[EndpointSettings]
    def __init__(self, name: _Optional[str] = ..., config: _Optional[_Union[ContainerConfig, _Mapping]] = ..., host_config: _Optional[_Union[HostConfig, _Mapping]] = ..., networks: _Optional[_Iterable[_Union[EndpointSettings, _Mapping]]] = ...) -> None: ...

class CreateContainerResponse(_message.Message):
    __slots__ = ("id", "warnings")
    ID_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class StartContainerRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class StopContainerRequest(_message.Message):
    __slots__ = ("id", "timeout", "shutdown", "signal")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    id: str
    timeout: int
    shutdown: bool
    signal: str
    def __init__(self, id: _Optional[str] = ..., timeout: _Optional[int] = ..., shutdown: _Optional[bool] = ..., signal: _Optional[str] = ...) -> None: ...

class KillContainerRequest(_message.Message):
    __slots__ = ("id", "signal")
    ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    id: str
    signal: str
    def __init__(self, id: _Optional[str] = ..., signal: _Optional[str] = ...) -> None: ...

class RemoveContainerRequest(_message.Message):
    __slots__ = ("id", "force", "volumes", "link")
    ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    VOLUMES_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    id: str
    force: bool
    volumes: bool
    link: bool
    def __init__(self, id: _Optional[str] = ..., force: _Optional[bool] = ..., volumes: _Optional[bool] = ..., link: _Optional[bool] = ...) -> None: ...

class ListContainersRequest(_message.Message):
    __slots__ = ("all", "filters", "limit", "size")
    ALL_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    all: bool
    filters: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    size: bool
    def __init__(self, all: _Optional[bool] = ..., filters: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., size: _Optional[bool] = ...) -> None: ...

class ListContainersResponse(_message.Message):
    __slots__ = ("containers",)
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    containers: _containers.RepeatedCompositeFieldContainer[Container]
    def __init__(self, containers: _Optional[_Iterable[_Union[Container, _Mapping]]] = ...) -> None: ...

class RenameContainerRequest(_message.Message):
    __slots__ = ("id", "name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ContainerRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class TopRequest(_message.Message):
    __slots__ = ("id", "ps_args")
    ID_FIELD_NUMBER: _ClassVar[int]
    PS_ARGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    ps_args: str
    def __init__(self, id: _Optional[str] = ..., ps_args: _Optional[str] = ...) -> None: ...

class TopResponse(_message.Message):
    __slots__ = ("titles", "processes")
    TITLES_FIELD_NUMBER: _ClassVar[int]
    PROCESSES_FIELD_NUMBER: _ClassVar[int]
    titles: _containers.RepeatedScalarFieldContainer[str]
    processes: _containers.RepeatedCompositeFieldContainer[TopProcess]
    def __init__(self, titles: _Optional[_Iterable[str]] = ..., processes: _Optional[_Iterable[_Union[TopProcess, _Mapping]]] = ...) -> None: ...

class TopProcess(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, values: _Optional[_Iterable[str]] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ("id", "stream")
    ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    id: str
    stream: bool
    def __init__(self, id: _Optional[str] = ..., stream: _Optional[bool] = ...) -> None: ...

class ContainerStats(_message.Message):
    __slots__ = ("id", "name", "cpu_usage_ns", "system_cpu_ns", "pre_cpu_usage_ns", "pre_system_cpu_ns", "online_cpus", "memory_usage", "memory_limit", "memory_cache", "pids", "net_rx", "net_tx", "block_read", "block_write", "read")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CPU_USAGE_NS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    PRE_CPU_USAGE_NS_FIELD_NUMBER: _ClassVar[int]
    PRE_SYSTEM_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    ONLINE_CPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USAGE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_CACHE_FIELD_NUMBER: _ClassVar[int]
    PIDS_FIELD_NUMBER: _ClassVar[int]
    NET_RX_FIELD_NUMBER: _ClassVar[int]
    NET_TX_FIELD_NUMBER: _ClassVar[int]
    BLOCK_READ_FIELD_NUMBER: _ClassVar[int]
    BLOCK_WRITE_FIELD_NUMBER: _ClassVar[int]
    READ_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    cpu_usage_ns: int
    system_cpu_ns: int
    pre_cpu_usage_ns: int
    pre_system_cpu_ns: int
    online_cpus: int
    memory_usage: int
    memory_limit: int
    memory_cache: int
    pids: int
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    read: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., cpu_usage_ns: _Optional[int] = ..., system_cpu_ns: _Optional[int] = ..., pre_cpu_usage_ns: _Optional[int] = ..., pre_system_cpu_ns: _Optional[int] = ..., online_cpus: _Optional[int] = ..., memory_usage: _Optional[int] = ..., memory_limit: _Optional[int] = ..., memory_cache: _Optional[int] = ..., pids: _Optional[int] = ..., net_rx: _Optional[int] = ..., net_tx: _Optional[int] = ..., block_read: _Optional[int] = ..., block_write: _Optional[int] = ..., read: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateContainerRequest(_message.Message):
    __slots__ = ("id", "resources", "restart_policy")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    RESTART_POLICY_FIELD_NUMBER: _ClassVar[int]
    id: str
    resources: Resources
    restart_policy: RestartPolicy
    def __init__(self, id: _Optional[str] = ..., resources: _Optional[_Union[Resources, _Mapping]] = ..., restart_policy: _Optional[_Union[RestartPolicy, _Mapping]] = ...) -> None: ...

class UpdateContainerResponse(_message.Message):
    __slots__ = ("warnings",)
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class ExecOptions(_message.Message):
    __slots__ = ("id", "cmd", "env", "working_dir", "user", "tty", "stdin", "detach", "privileged", "size", "exec_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    CMD_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    WORKING_DIR_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    TTY_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    PRIVILEGED_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    cmd: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.RepeatedScalarFieldContainer[str]
    working_dir: str
    user: str
    tty: bool
    stdin: bool
    detach: bool
    privileged: bool
    size: Resize
    exec_id: str
    def __init__(self, id: _Optional[str] = ..., cmd: _Optional[_Iterable[str]] = ..., env: _Optional[_Iterable[str]] = ..., working_dir: _Optional[str] = ..., user: _Optional[str] = ..., tty: _Optional[bool] = ..., stdin: _Optional[bool] = ..., detach: _Optional[bool] = ..., privileged: _Optional[bool] = ..., size: _Optional[_Union[Resize, _Mapping]] = ..., exec_id: _Optional[str] = ...) -> None: ...

class ExecInput(_message.Message):
    __slots__ = ("options", "stdin", "resize", "close_stdin")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    RESIZE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_STDIN_FIELD_NUMBER: _ClassVar[int]
    options: ExecOptions
    stdin: bytes
    resize: Resize
    close_stdin: bool
    def __init__(self, options: _Optional[_Union[ExecOptions, _Mapping]] = ..., stdin: _Optional[bytes] = ..., resize: _Optional[_Union[Resize, _Mapping]] = ..., close_stdin: _Optional[bool] = ...) -> None: ...

class ExecOutput(_message.Message):
    __slots__ = ("exec_id", "stdout", "stderr", "exited")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    EXITED_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    stdout: bytes
    stderr: bytes
    exited: Exited
    def __init__(self, exec_id: _Optional[str] = ..., stdout: _Optional[bytes] = ..., stderr: _Optional[bytes] = ..., exited: _Optional[_Union[Exited, _Mapping]] = ...) -> None: ...

class InspectContainerRequest(_message.Message):
    __slots__ = ("id", "size")
    ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    id: str
    size: bool
    def __init__(self, id: _Optional[str] = ..., size: _Optional[bool] = ...) -> None: ...

class ContainerState(_message.Message):
    __slots__ = ("status", "running", "paused", "restarting", "oom_killed", "dead", "pid", "exit_code", "error", "started_at", "finished_at", "health")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    RESTARTING_FIELD_NUMBER: _ClassVar[int]
    OOM_KILLED_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    status: str
    running: bool
    paused: bool
    restarting: bool
    oom_killed: bool
    dead: bool
    pid: int
    exit_code: int
    error: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    health: Health
    def __init__(self, status: _Optional[str] = ..., running: _Optional[bool] = ..., paused: _Optional[bool] = ..., restarting: _Optional[bool] = ..., oom_killed: _Optional[bool] = ..., dead: _Optional[bool] = ..., pid: _Optional[int] = ..., exit_code: _Optional[int] = ..., error: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., health: _Optional[_Union[Health, _Mapping]] = ...) -> None: ...

class Health(_message.Message):
    __slots__ = ("status", "failing_streak", "log")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FAILING_STREAK_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    status: str
    failing_streak: int
    log: _containers.RepeatedCompositeFieldContainer[HealthResult]
    def __init__(self, status: _Optional[str] = ..., failing_streak: _Optional[int] = ..., log: _Optional[_Iterable[_Union[HealthResult, _Mapping]]] = ...) -> None: ...

class HealthResult(_message.Message):
    __slots__ = ("start", "end", "exit_code", "output")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    exit_code: int
    output: str
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., exit_code: _Optional[int] = ..., output: _Optional[str] = ...) -> None: ...

class Container(_message.Message):
    __slots__ = ("id", "created", "path", "args", "state", "image", "name", "restart_count", "driver", "platform", "log_path", "hostname_path", "hosts_path", "resolv_conf_path", "config", "host_config", "graph_driver", "sandbox_key", "network_settings", "mounts", "size_rw", "size_root_fs", "link_names")
    class GraphDriverEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RESTART_COUNT_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    LOG_PATH_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_PATH_FIELD_NUMBER: _ClassVar[int]
    HOSTS_PATH_FIELD_NUMBER: _ClassVar[int]
    RESOLV_CONF_PATH_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    HOST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    GRAPH_DRIVER_FIELD_NUMBER: _ClassVar[int]
    SANDBOX_KEY_FIELD_NUMBER: _ClassVar[int]
    NETWORK_SETTINGS_FIELD_NUMBER: _ClassVar[int]
    MOUNTS_FIELD_NUMBER: _ClassVar[int]
    SIZE_RW_FIELD_NUMBER: _ClassVar[int]
    SIZE_ROOT_FS_FIELD_NUMBER: _ClassVar[int]
    LINK_NAMES_FIELD_NUMBER: _ClassVar[int]
    id: str
    created: _timestamp_pb2.Timestamp
    path: str
    args: _containers.RepeatedScalarFieldContainer[str]
    state: ContainerState
    image: str
    name: str
    restart_count: int
    driver: str
    platform: str
    log_path: str
    hostname_path: str
    hosts_path: str
    resolv_conf_path: str
    config: ContainerConfig
    host_config: HostConfig
    graph_driver: _containers.ScalarMap[str, str]
    sandbox_key: str
    network_settings: NetworkSettings
    mounts: _containers.RepeatedCompositeFieldContainer[MountPoint]
    size_rw: int
    size_root_fs: int
    link_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., path: _Optional[str] = ..., args: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[ContainerState, _Mapping]] = ..., image: _Optional[str] = ..., name: _Optional[str] = ..., restart_count: _Optional[int] = ..., driver: _Optional[str] = ..., platform: _Optional[str] = ..., log_path: _Optional[str] = ..., hostname_path: _Optional[str] = ..., hosts_path: _Optional[str] = ..., resolv_conf_path: _Optional[str] = ..., config: _Optional[_Union[ContainerConfig, _Mapping]] = ..., host_config: _Optional[_Union[HostConfig, _Mapping]] = ..., graph_driver: _Optional[_Mapping[str, str]] = ..., sandbox_key: _Optional[str] = ..., network_settings: _Optional[_Union[NetworkSettings, _Mapping]] = ..., mounts: _Optional[_Iterable[_Union[MountPoint, _Mapping]]] = ..., size_rw: _Optional[int] = ..., size_root_fs: _Optional[int] = ..., link_names: _Optional[_Iterable[str]] = ...) -> None: ...

class WaitContainerRequest(_message.Message):
    __slots__ = ("id", "condition")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    condition: str
    def __init__(self, id: _Optional[str] = ..., condition: _Optional[str] = ...) -> None: ...

class WaitContainerResponse(_message.Message):
    __slots__ = ("status_code", "error")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    status_code: int
    error: str
    def __init__(self, status_code: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class LogsRequest(_message.Message):
    __slots__ = ("id", "follow", "stdout", "stderr", "since", "until", "timestamps", "tail", "details")
    ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMPS_FIELD_NUMBER: _ClassVar[int]
    TAIL_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: str
    follow: bool
    stdout: bool
    stderr: bool
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    timestamps: bool
    tail: str
    details: bool
    def __init__(self, id: _Optional[str] = ..., follow: _Optional[bool] = ..., stdout: _Optional[bool] = ..., stderr: _Optional[bool] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., timestamps: _Optional[bool] = ..., tail: _Optional[str] = ..., details: _Optional[bool] = ...) -> None: ...

class LogEntry(_message.Message):
    __slots__ = ("stream", "data", "time")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    stream: str
    data: bytes
    time: _timestamp_pb2.Timestamp
    def __init__(self, stream: _Optional[str] = ..., data: _Optional[bytes] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Resize(_message.Message):
    __slots__ = ("width", "height")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class AttachOptions(_message.Message):
    __slots__ = ("id", "stdin", "stdout", "stderr", "before_start")
    ID_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    BEFORE_START_FIELD_NUMBER: _ClassVar[int]
    id: str
    stdin: bool
    stdout: bool
    stderr: bool
    before_start: bool
    def __init__(self, id: _Optional[str] = ..., stdin: _Optional[bool] = ..., stdout: _Optional[bool] = ..., stderr: _Optional[bool] = ..., before_start: _Optional[bool] = ...) -> None: ...

class AttachInput(_message.Message):
    __slots__ = ("options", "stdin", "resize", "close_stdin")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    RESIZE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_STDIN_FIELD_NUMBER: _ClassVar[int]
    options: AttachOptions
    stdin: bytes
    resize: Resize
    close_stdin: bool
    def __init__(self, options: _Optional[_Union[AttachOptions, _Mapping]] = ..., stdin: _Optional[bytes] = ..., resize: _Optional[_Union[Resize, _Mapping]] = ..., close_stdin: _Optional[bool] = ...) -> None: ...

class AttachOutput(_message.Message):
    __slots__ = ("stdout", "stderr", "attached")
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    ATTACHED_FIELD_NUMBER: _ClassVar[int]
    stdout: bytes
    stderr: bytes
    attached: bool
    def __init__(self, stdout: _Optional[bytes] = ..., stderr: _Optional[bytes] = ..., attached: _Optional[bool] = ...) -> None: ...

class RunOptions(_message.Message):
    __slots__ = ("create", "detach", "auth", "size", "platform", "pull")
    CREATE_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    PULL_FIELD_NUMBER: _ClassVar[int]
    create: CreateContainerRequest
    detach: bool
    auth: _images_pb2.RegistryAuth
    size: Resize
    platform: _types_pb2.Platform
    pull: str
    def __init__(self, create: _Optional[_Union[CreateContainerRequest, _Mapping]] = ..., detach: _Optional[bool] = ..., auth: _Optional[_Union[_images_pb2.RegistryAuth, _Mapping]] = ..., size: _Optional[_Union[Resize, _Mapping]] = ..., platform: _Optional[_Union[_types_pb2.Platform, _Mapping]] = ..., pull: _Optional[str] = ...) -> None: ...

class RunInput(_message.Message):
    __slots__ = ("options", "stdin", "resize", "close_stdin")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    RESIZE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_STDIN_FIELD_NUMBER: _ClassVar[int]
    options: RunOptions
    stdin: bytes
    resize: Resize
    close_stdin: bool
    def __init__(self, options: _Optional[_Union[RunOptions, _Mapping]] = ..., stdin: _Optional[bytes] = ..., resize: _Optional[_Union[Resize, _Mapping]] = ..., close_stdin: _Optional[bool] = ...) -> None: ...

class Exited(_message.Message):
    __slots__ = ("status_code",)
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    status_code: int
    def __init__(self, status_code: _Optional[int] = ...) -> None: ...

class RunOutput(_message.Message):
    __slots__ = ("container_id", "pull", "stdout", "stderr", "exited", "warning")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    PULL_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    EXITED_FIELD_NUMBER: _ClassVar[int]
    WARNING_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    pull: _images_pb2.PullProgress
    stdout: bytes
    stderr: bytes
    exited: Exited
    warning: str
    def __init__(self, container_id: _Optional[str] = ..., pull: _Optional[_Union[_images_pb2.PullProgress, _Mapping]] = ..., stdout: _Optional[bytes] = ..., stderr: _Optional[bytes] = ..., exited: _Optional[_Union[Exited, _Mapping]] = ..., warning: _Optional[str] = ...) -> None: ...

class VersionResponse(_message.Message):
    __slots__ = ("version", "api_version", "git_commit", "python_version", "os", "arch", "kernel_version", "build_time")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    API_VERSION_FIELD_NUMBER: _ClassVar[int]
    GIT_COMMIT_FIELD_NUMBER: _ClassVar[int]
    PYTHON_VERSION_FIELD_NUMBER: _ClassVar[int]
    OS_FIELD_NUMBER: _ClassVar[int]
    ARCH_FIELD_NUMBER: _ClassVar[int]
    KERNEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    BUILD_TIME_FIELD_NUMBER: _ClassVar[int]
    version: str
    api_version: str
    git_commit: str
    python_version: str
    os: str
    arch: str
    kernel_version: str
    build_time: _timestamp_pb2.Timestamp
    def __init__(self, version: _Optional[str] = ..., api_version: _Optional[str] = ..., git_commit: _Optional[str] = ..., python_version: _Optional[str] = ..., os: _Optional[str] = ..., arch: _Optional[str] = ..., kernel_version: _Optional[str] = ..., build_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InfoResponse(_message.Message):
    __slots__ = ("containers", "containers_running", "containers_paused", "containers_stopped", "images", "driver", "cgroup_driver", "cgroup_version", "kernel_version", "operating_system", "os_type", "architecture", "ncpu", "mem_total", "root_dir", "state_dir", "name", "server_version", "security_options", "insecure_registries", "runtimes", "default_runtime", "services")
    class ServicesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_RUNNING_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_STOPPED_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    CGROUP_DRIVER_FIELD_NUMBER: _ClassVar[int]
    CGROUP_VERSION_FIELD_NUMBER: _ClassVar[int]
    KERNEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OPERATING_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    OS_TYPE_FIELD_NUMBER: _ClassVar[int]
    ARCHITECTURE_FIELD_NUMBER: _ClassVar[int]
    NCPU_FIELD_NUMBER: _ClassVar[int]
    MEM_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ROOT_DIR_FIELD_NUMBER: _ClassVar[int]
    STATE_DIR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    SECURITY_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    INSECURE_REGISTRIES_FIELD_NUMBER: _ClassVar[int]
    RUNTIMES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_RUNTIME_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    containers: int
    containers_running: int
    containers_paused: int
    containers_stopped: int
    images: int
    driver: str
    cgroup_driver: str
    cgroup_version: str
    kernel_version: str
    operating_system: str
    os_type: str
    architecture: str
    ncpu: int
    mem_total: int
    root_dir: str
    state_dir: str
    name: str
    server_version: str
    security_options: _containers.RepeatedScalarFieldContainer[str]
    insecure_registries: _containers.RepeatedScalarFieldContainer[str]
    runtimes: _containers.RepeatedScalarFieldContainer[str]
    default_runtime: str
    services: _containers.ScalarMap[str, str]
    def __init__(self, containers: _Optional[int] = ..., containers_running: _Optional[int] = ..., containers_paused: _Optional[int] = ..., containers_stopped: _Optional[int] = ..., images: _Optional[int] = ..., driver: _Optional[str] = ..., cgroup_driver: _Optional[str] = ..., cgroup_version: _Optional[str] = ..., kernel_version: _Optional[str] = ..., operating_system: _Optional[str] = ..., os_type: _Optional[str] = ..., architecture: _Optional[str] = ..., ncpu: _Optional[int] = ..., mem_total: _Optional[int] = ..., root_dir: _Optional[str] = ..., state_dir: _Optional[str] = ..., name: _Optional[str] = ..., server_version: _Optional[str] = ..., security_options: _Optional[_Iterable[str]] = ..., insecure_registries: _Optional[_Iterable[str]] = ..., runtimes: _Optional[_Iterable[str]] = ..., default_runtime: _Optional[str] = ..., services: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EventsRequest(_message.Message):
    __slots__ = ("since", "until", "filters")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    filters: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., filters: _Optional[_Iterable[str]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("type", "action", "actor_id", "attributes", "time", "scope")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    type: str
    action: str
    actor_id: str
    attributes: _containers.ScalarMap[str, str]
    time: _timestamp_pb2.Timestamp
    scope: str
    def __init__(self, type: _Optional[str] = ..., action: _Optional[str] = ..., actor_id: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scope: _Optional[str] = ...) -> None: ...

class FileChange(_message.Message):
    __slots__ = ("kind", "path")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    kind: str
    path: str
    def __init__(self, kind: _Optional[str] = ..., path: _Optional[str] = ...) -> None: ...

class ChangesResponse(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[FileChange]
    def __init__(self, changes: _Optional[_Iterable[_Union[FileChange, _Mapping]]] = ...) -> None: ...

class BuildOptions(_message.Message):
    __slots__ = ("tags", "dockerfile", "build_args", "target", "no_cache", "pull", "labels", "network_mode", "auths", "host_config", "cache_from", "platform", "squash")
    class BuildArgsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AuthsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _images_pb2.RegistryAuth
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_images_pb2.RegistryAuth, _Mapping]] = ...) -> None: ...
    TAGS_FIELD_NUMBER: _ClassVar[int]
    DOCKERFILE_FIELD_NUMBER: _ClassVar[int]
    BUILD_ARGS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    NO_CACHE_FIELD_NUMBER: _ClassVar[int]
    PULL_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    NETWORK_MODE_FIELD_NUMBER: _ClassVar[int]
    AUTHS_FIELD_NUMBER: _ClassVar[int]
    HOST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    CACHE_FROM_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    SQUASH_FIELD_NUMBER: _ClassVar[int]
    tags: _containers.RepeatedScalarFieldContainer[str]
    dockerfile: str
    build_args: _containers.ScalarMap[str, str]
    target: str
    no_cache: bool
    pull: bool
    labels: _containers.ScalarMap[str, str]
    network_mode: str
    auths: _containers.MessageMap[str, _images_pb2.RegistryAuth]
    host_config: HostConfig
    cache_from: _containers.RepeatedScalarFieldContainer[str]
    platform: str
    squash: bool
    def __init__(self, tags: _Optional[_Iterable[str]] = ..., dockerfile: _Optional[str] = ..., build_args: _Optional[_Mapping[str, str]] = ..., target: _Optional[str] = ..., no_cache: _Optional[bool] = ..., pull: _Optional[bool] = ..., labels: _Optional[_Mapping[str, str]] = ..., network_mode: _Optional[str] = ..., auths: _Optional[_Mapping[str, _images_pb2.RegistryAuth]] = ..., host_config: _Optional[_Union[HostConfig, _Mapping]] = ..., cache_from: _Optional[_Iterable[str]] = ..., platform: _Optional[str] = ..., squash: _Optional[bool] = ...) -> None: ...

class BuildInput(_message.Message):
    __slots__ = ("options", "context")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    options: BuildOptions
    context: bytes
    def __init__(self, options: _Optional[_Union[BuildOptions, _Mapping]] = ..., context: _Optional[bytes] = ...) -> None: ...

class BuildError(_message.Message):
    __slots__ = ("message", "code", "line")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    message: str
    code: int
    line: int
    def __init__(self, message: _Optional[str] = ..., code: _Optional[int] = ..., line: _Optional[int] = ...) -> None: ...

class BuildOutput(_message.Message):
    __slots__ = ("stream", "output", "image_id", "error")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    stream: str
    output: bytes
    image_id: str
    error: BuildError
    def __init__(self, stream: _Optional[str] = ..., output: _Optional[bytes] = ..., image_id: _Optional[str] = ..., error: _Optional[_Union[BuildError, _Mapping]] = ...) -> None: ...

class CommitRequest(_message.Message):
    __slots__ = ("container", "reference", "comment", "author", "changes", "no_pause")
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    NO_PAUSE_FIELD_NUMBER: _ClassVar[int]
    container: str
    reference: str
    comment: str
    author: str
    changes: _containers.RepeatedScalarFieldContainer[str]
    no_pause: bool
    def __init__(self, container: _Optional[str] = ..., reference: _Optional[str] = ..., comment: _Optional[str] = ..., author: _Optional[str] = ..., changes: _Optional[_Iterable[str]] = ..., no_pause: _Optional[bool] = ...) -> None: ...

class CommitResponse(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("id", "created", "created_by", "tags", "size", "comment")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    created: _timestamp_pb2.Timestamp
    created_by: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    size: int
    comment: str
    def __init__(self, id: _Optional[str] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., size: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class HistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ...) -> None: ...

class PruneBuildCacheRequest(_message.Message):
    __slots__ = ("all", "filters", "keep_storage")
    ALL_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    KEEP_STORAGE_FIELD_NUMBER: _ClassVar[int]
    all: bool
    filters: _containers.RepeatedScalarFieldContainer[str]
    keep_storage: int
    def __init__(self, all: _Optional[bool] = ..., filters: _Optional[_Iterable[str]] = ..., keep_storage: _Optional[int] = ...) -> None: ...

class PruneBuildCacheResponse(_message.Message):
    __slots__ = ("space_reclaimed", "records")
    SPACE_RECLAIMED_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    space_reclaimed: int
    records: int
    def __init__(self, space_reclaimed: _Optional[int] = ..., records: _Optional[int] = ...) -> None: ...
