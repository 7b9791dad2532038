"""docker's network-create fields beyond the addresses, checked as dockerd 20.10 checks them on
an engine in no swarm (libnetwork's NewNetwork and validateConfiguration, in their words).

    attachable            recorded and shown (every network here takes `network connect`)
    scope                 "" or "local"; "swarm" and any other scope need a swarm
    ingress               refused: the swarm's routing mesh
    ipam driver/options   the default driver (options recorded and shown); no plugin is found
    aux addresses         names for addresses in the subnet, never handed to a container
    config-only           a configuration (subnet, options, labels) stored as a `null` network
                          that no container joins, for networks made --config-from it
    enable IPv6           refused: containers get no IPv6 addresses from this engine

Pure: the callers (networks.py) fetch what these look at and record what they allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from dockyard.api.errors import FailedPrecondition, InvalidArgument, NotFound
from dockyard.services.network import ipam

LOCAL = "local"
DEFAULT_IPAM = "default"
NOT_A_MANAGER = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to '
    "connect this node to swarm and try again."
)


@dataclass(frozen=True)
class Settings:
    """What a create request asks beyond name, driver, addresses, options and labels."""

    attachable: bool = False
    scope: str = ""
    ipam_driver: str = ""
    ipam_options: dict[str, str] = field(default_factory=dict)
    aux_addresses: dict[str, str] = field(default_factory=dict)
    config_only: bool = False
    config_from: str = ""
    ingress: bool = False
    enable_ipv6: bool = False


DEFAULTS = Settings()


def validate(
    settings: Settings, internal: bool, own_config: bool, options: Mapping[str, str]
) -> None:
    """libnetwork's validateConfiguration: what a config-only network may hold, and that a
    network made from one brings nothing of its own (`own_config`: labels or addresses)."""
    if settings.config_only and (
        settings.ingress or internal or settings.attachable or settings.scope
    ):
        raise FailedPrecondition(
            "configuration network can only contain network specific fields. Network operator "
            "fields like [ ingress | internal | attachable | scope ] are not supported."
        )
    if not settings.config_from:
        return
    if settings.config_only:
        raise FailedPrecondition(
            "a configuration network cannot depend on another configuration network"
        )
    if (
        settings.ipam_driver not in ("", DEFAULT_IPAM)
        or settings.enable_ipv6
        or settings.ipam_options
        or own_config
    ):
        raise FailedPrecondition(
            "user specified configurations are not supported if the network depends on a "
            "configuration network"
        )
    if options:
        raise FailedPrecondition(
            "network driver options are not supported if the network depends on a "
            "configuration network"
        )


def check_local(settings: Settings) -> None:
    """NewNetwork's checks of a network a local driver (bridge, macvlan) makes, in its order."""
    if settings.ingress:
        raise FailedPrecondition("Ingress network can only be global scope network")
    if settings.scope == "swarm":
        raise FailedPrecondition("cannot create a swarm scoped network when swarm is not active")


def check_ipam(settings: Settings) -> None:
    """The IPAM driver (only the default one is here) and IPv6, as the allocation meets them."""
    if settings.ipam_driver not in ("", DEFAULT_IPAM):
        raise NotFound(f'plugin "{settings.ipam_driver}" not found')
    if settings.enable_ipv6:
        raise InvalidArgument("IPv6 networks are not supported by Dockyard")


def check_store(settings: Settings) -> None:
    """A scope but local's store is a swarm's: dockerd's words for a node outside one."""
    if settings.scope not in ("", LOCAL):
        raise FailedPrecondition(NOT_A_MANAGER)


def check_aux(name: str, aux: Mapping[str, str], subnet: IPv4Network) -> None:
    """Each auxiliary address an address of the subnet (libnetwork's ipamAllocateVersion)."""
    for key, value in aux.items():
        try:
            address = ipam.parse_address(value)
        except InvalidArgument:
            raise InvalidArgument(
                f"non parsable secondary ip address ({key}:{value}) passed for network {name}"
            ) from None
        if address not in subnet:
            raise FailedPrecondition(
                f"auxiliary address: ({key}:{value}) must belong to the master pool: {subnet}"
            )
