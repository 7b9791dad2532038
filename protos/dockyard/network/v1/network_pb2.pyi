import datetime

from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpdateHostsRequest(_message.Message):
    __slots__ = ("container_id", "name", "address")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    name: str
    address: str
    def __init__(self, container_id: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class CreateSandboxRequest(_message.Message):
    __slots__ = ("container_id", "mode", "hostname", "name", "endpoints", "ports", "dns", "dns_search", "dns_options", "extra_hosts", "domainname", "no_networks")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    DNS_SEARCH_FIELD_NUMBER: _ClassVar[int]
    DNS_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_HOSTS_FIELD_NUMBER: _ClassVar[int]
    DOMAINNAME_FIELD_NUMBER: _ClassVar[int]
    NO_NETWORKS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    mode: str
    hostname: str
    name: str
    endpoints: _containers.RepeatedCompositeFieldContainer[EndpointRequest]
    ports: _containers.RepeatedCompositeFieldContainer[PortBinding]
    dns: _containers.RepeatedScalarFieldContainer[str]
    dns_search: _containers.RepeatedScalarFieldContainer[str]
    dns_options: _containers.RepeatedScalarFieldContainer[str]
    extra_hosts: _containers.RepeatedScalarFieldContainer[str]
    domainname: str
    no_networks: bool
    def __init__(self, container_id: _Optional[str] = ..., mode: _Optional[str] = ..., hostname: _Optional[str] = ..., name: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[EndpointRequest, _Mapping]]] = ..., ports: _Optional[_Iterable[_Union[PortBinding, _Mapping]]] = ..., dns: _Optional[_Iterable[str]] = ..., dns_search: _Optional[_Iterable[str]] = ..., dns_options: _Optional[_Iterable[str]] = ..., extra_hosts: _Optional[_Iterable[str]] = ..., domainname: _Optional[str] = ..., no_networks: _Optional[bool] = ...) -> None: ...

class EndpointRequest(_message.Message):
    __slots__ = ("network", "aliases", "ipv4_address", "mac_address", "links", "link_local_ips")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    IPV4_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    LINK_LOCAL_IPS_FIELD_NUMBER: _ClassVar[int]
    network: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    ipv4_address: str
    mac_address: str
    links: _containers.RepeatedScalarFieldContainer[str]
    link_local_ips: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, network: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., ipv4_address: _Optional[str] = ..., mac_address: _Optional[str] = ..., links: _Optional[_Iterable[str]] = ..., link_local_ips: _Optional[_Iterable[str]] = ...) -> None: ...

class PortBinding(_message.Message):
    __slots__ = ("protocol", "container_port", "host_ip", "host_port")
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_PORT_FIELD_NUMBER: _ClassVar[int]
    HOST_IP_FIELD_NUMBER: _ClassVar[int]
    HOST_PORT_FIELD_NUMBER: _ClassVar[int]
    protocol: str
    container_port: int
    host_ip: str
    host_port: int
    def __init__(self, protocol: _Optional[str] = ..., container_port: _Optional[int] = ..., host_ip: _Optional[str] = ..., host_port: _Optional[int] = ...) -> None: ...

class Endpoint(_message.Message):
    __slots__ = ("network_id", "network_name", "endpoint_id", "ip_address", "prefix_len", "gateway", "mac_address", "aliases", "interface", "host_interface")
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LEN_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    HOST_INTERFACE_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    network_name: str
    endpoint_id: str
    ip_address: str
    prefix_len: int
    gateway: str
    mac_address: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    interface: str
    host_interface: str
    def __init__(self, network_id: _Optional[str] = ..., network_name: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., prefix_len: _Optional[int] = ..., gateway: _Optional[str] = ..., mac_address: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., interface: _Optional[str] = ..., host_interface: _Optional[str] = ...) -> None: ...

class Sandbox(_message.Message):
    __slots__ = ("container_id", "mode", "netns_path", "hosts_path", "resolv_conf_path", "hostname_path", "endpoints", "ports")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    NETNS_PATH_FIELD_NUMBER: _ClassVar[int]
    HOSTS_PATH_FIELD_NUMBER: _ClassVar[int]
    RESOLV_CONF_PATH_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_PATH_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    mode: str
    netns_path: str
    hosts_path: str
    resolv_conf_path: str
    hostname_path: str
    endpoints: _containers.RepeatedCompositeFieldContainer[Endpoint]
    ports: _containers.RepeatedCompositeFieldContainer[PortBinding]
    def __init__(self, container_id: _Optional[str] = ..., mode: _Optional[str] = ..., netns_path: _Optional[str] = ..., hosts_path: _Optional[str] = ..., resolv_conf_path: _Optional[str] = ..., hostname_path: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[Endpoint, _Mapping]]] = ..., ports: _Optional[_Iterable[_Union[PortBinding, _Mapping]]] = ...) -> None: ...

class RemoveSandboxRequest(_message.Message):
    __slots__ = ("container_id",)
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    def __init__(self, container_id: _Optional[str] = ...) -> None: ...

class ListSandboxesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSandboxesResponse(_message.Message):
    __slots__ = ("sandboxes",)
    SANDBOXES_FIELD_NUMBER: _ClassVar[int]
    sandboxes: _containers.RepeatedCompositeFieldContainer[Sandbox]
    def __init__(self, sandboxes: _Optional[_Iterable[_Union[Sandbox, _Mapping]]] = ...) -> None: ...

class CreateNetworkRequest(_message.Message):
    __slots__ = ("name", "driver", "subnet", "gateway", "ip_range", "internal", "options", "labels", "attachable", "scope", "ipam_driver", "ipam_options", "aux_addresses", "config_only", "config_from", "ingress", "enable_ipv6")
    class OptionsEntry(_message.Message):
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
    class IpamOptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AuxAddressesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    IP_RANGE_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    ATTACHABLE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    IPAM_DRIVER_FIELD_NUMBER: _ClassVar[int]
    IPAM_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    AUX_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    CONFIG_ONLY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FROM_FIELD_NUMBER: _ClassVar[int]
    INGRESS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_IPV6_FIELD_NUMBER: _ClassVar[int]
    name: str
    driver: str
    subnet: str
    gateway: str
    ip_range: str
    internal: bool
    options: _containers.ScalarMap[str, str]
    labels: _containers.ScalarMap[str, str]
    attachable: bool
    scope: str
    ipam_driver: str
    ipam_options: _containers.ScalarMap[str, str]
    aux_addresses: _containers.ScalarMap[str, str]
    config_only: bool
    config_from: str
    ingress: bool
    enable_ipv6: bool
    def __init__(self, name: _Optional[str] = ..., driver: _Optional[str] = ..., subnet: _Optional[str] = ..., gateway: _Optional[str] = ..., ip_range: _Optional[str] = ..., internal: _Optional[bool] = ..., options: _Optional[_Mapping[str, str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., attachable: _Optional[bool] = ..., scope: _Optional[str] = ..., ipam_driver: _Optional[str] = ..., ipam_options: _Optional[_Mapping[str, str]] = ..., aux_addresses: _Optional[_Mapping[str, str]] = ..., config_only: _Optional[bool] = ..., config_from: _Optional[str] = ..., ingress: _Optional[bool] = ..., enable_ipv6: _Optional[bool] = ...) -> None: ...

class NetworkRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class NetworkContainer(_message.Message):
    __slots__ = ("container_id", "name", "endpoint_id", "mac_address", "ipv4_address")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IPV4_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    name: str
    endpoint_id: str
    mac_address: str
    ipv4_address: str
    def __init__(self, container_id: _Optional[str] = ..., name: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., mac_address: _Optional[str] = ..., ipv4_address: _Optional[str] = ...) -> None: ...

class Network(_message.Message):
    __slots__ = ("id", "name", "driver", "scope", "subnet", "gateway", "ip_range", "internal", "options", "labels", "created", "interface", "containers", "gateway_unstated", "attachable", "ipam_driver", "ipam_options", "aux_addresses", "config_only", "config_from")
    class OptionsEntry(_message.Message):
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
    class IpamOptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class AuxAddressesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    IP_RANGE_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    CONTAINERS_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_UNSTATED_FIELD_NUMBER: _ClassVar[int]
    ATTACHABLE_FIELD_NUMBER: _ClassVar[int]
    IPAM_DRIVER_FIELD_NUMBER: _ClassVar[int]
    IPAM_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    AUX_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    CONFIG_ONLY_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FROM_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    driver: str
    scope: str
    subnet: str
    gateway: str
    ip_range: str
    internal: bool
    options: _containers.ScalarMap[str, str]
    labels: _containers.ScalarMap[str, str]
    created: _timestamp_pb2.Timestamp
    interface: str
    containers: _containers.RepeatedCompositeFieldContainer[NetworkContainer]
    gateway_unstated: bool
    attachable: bool
    ipam_driver: str
    ipam_options: _containers.ScalarMap[str, str]
    aux_addresses: _containers.ScalarMap[str, str]
    config_only: bool
    config_from: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., driver: _Optional[str] = ..., scope: _Optional[str] = ..., subnet: _Optional[str] = ..., gateway: _Optional[str] = ..., ip_range: _Optional[str] = ..., internal: _Optional[bool] = ..., options: _Optional[_Mapping[str, str]] = ..., labels: _Optional[_Mapping[str, str]] = ..., created: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interface: _Optional[str] = ..., containers: _Optional[_Iterable[_Union[NetworkContainer, _Mapping]]] = ..., gateway_unstated: _Optional[bool] = ..., attachable: _Optional[bool] = ..., ipam_driver: _Optional[str] = ..., ipam_options: _Optional[_Mapping[str, str]] = ..., aux_addresses: _Optional[_Mapping[str, str]] = ..., config_only: _Optional[bool] = ..., config_from: _Optional[str] = ...) -> None: ...

class ListNetworksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListNetworksResponse(_message.Message):
    __slots__ = ("networks",)
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    def __init__(self, networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ...) -> None: ...

class PruneNetworksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PruneNetworksResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, removed: _Optional[_Iterable[str]] = ...) -> None: ...

class ConnectRequest(_message.Message):
    __slots__ = ("container_id", "endpoint")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    endpoint: EndpointRequest
    def __init__(self, container_id: _Optional[str] = ..., endpoint: _Optional[_Union[EndpointRequest, _Mapping]] = ...) -> None: ...

class DisconnectRequest(_message.Message):
    __slots__ = ("container_id", "network", "force")
    CONTAINER_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    container_id: str
    network: str
    force: bool
    def __init__(self, container_id: _Optional[str] = ..., network: _Optional[str] = ..., force: _Optional[bool] = ...) -> None: ...
