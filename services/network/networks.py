"""Networks: created, removed, pruned, looked up; the predefined three; their bridges.

The predefined networks are `host`, `none` and `bridge`, whose Linux bridge is daemon.json's
`bridge` or the engine's own `dockyard<tag>` (tags.py) and whose subnet is `bip` or the first
of 10.199/16 … 10.190/16 that no host route overlaps. A user network gets a subnet from the
address pools (or its --subnet, checked against every network and host route) and, for the
bridge driver, a bridge of its own. docker's other create fields (scope, IPAM driver, auxiliary
addresses, config-only networks and those made from them) are checked in netconfig.py.

Each change is recorded first and then made real: the bridge, its elements in the engine's
nft table, route_localnet (only behind the table's loopback guard), the FORWARD exceptions.
A failure undoes the record; a crash leaves what start-up repair reconciles.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path

from dockyard.api.config import DaemonConfig
from dockyard.api.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from dockyard.services.network import ipam, nat, netconfig
from dockyard.services.network.kernel import MTU_OPTION, Kernel
from dockyard.services.network.store import Network, Store, new_network
from dockyard.services.network.tags import Tag

log = logging.getLogger(__name__)

PREDEFINED = ("bridge", "host", "none")
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
ICC_OPTION = "com.docker.network.bridge.enable_icc"
MASQUERADE_OPTION = "com.docker.network.bridge.enable_ip_masquerade"
BINDING_OPTION = "com.docker.network.bridge.host_binding_ipv4"
DRIVER_OPTIONS = {
    "bridge": {MTU_OPTION, ICC_OPTION, MASQUERADE_OPTION, BINDING_OPTION},
    "macvlan": {"parent", "macvlan_mode"},
}
# where the kernel says whether bridged IPv4 traffic passes the IP hooks (br_netfilter)
BRIDGE_NF_CALL = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")
TRUE, FALSE = {"1", "t", "T", "TRUE", "true", "True"}, {"0", "f", "F", "FALSE", "false", "False"}
MACVLAN_MODES = ("bridge", "private", "vepa", "passthru")


def _check_bridge_options(options: dict[str, str]) -> None:
    """libnetwork's bridge options, parsed as its bridge driver parses them and refused in its
    words: the MTU; enable_icc (false: its containers reach each other only through published
    ports, where the kernel shows bridged traffic to the IP hooks); enable_ip_masquerade (false:
    what leaves the host keeps its container's address); host_binding_ipv4 (the host address a
    port published without one is bound to)."""
    mtu = options.get(MTU_OPTION)
    if mtu is not None and not mtu.lstrip("+-").isdigit():
        raise InvalidArgument(
            f"failed to parse {MTU_OPTION} value: {mtu} "
            f'(strconv.Atoi: parsing "{mtu}": invalid syntax)'
        )
    if mtu is not None and not 68 <= int(mtu) <= 65535:
        raise InvalidArgument(f"invalid MTU number: {int(mtu)}")
    for key in (ICC_OPTION, MASQUERADE_OPTION):
        if key in options:
            _parse_bool(key, options[key])
    if options.get(ICC_OPTION) in FALSE and not _bridged_traffic_filtered():
        raise InvalidArgument(
            f"{ICC_OPTION}=false needs the kernel's br_netfilter with"
            f" {BRIDGE_NF_CALL.name}=1 ({BRIDGE_NF_CALL}), which this host does not have:"
            " its containers could reach each other all the same"
        )
    if BINDING_OPTION in options:
        _binding_address(options[BINDING_OPTION])


def _binding_address(value: str) -> str:
    """host_binding_ipv4 as net.ParseIP reads it ("" for 0.0.0.0: every host address)."""
    try:
        address = ip_address(value)
    except ValueError:
        raise InvalidArgument(f"failed to parse {BINDING_OPTION} value: {value} (nil ip)") from None
    if address.version != 4:
        raise InvalidArgument(
            f"{BINDING_OPTION}={value}: containers get no IPv6 from this engine, so their ports"
            " are published on IPv4 host addresses only"
        )
    return "" if address.is_unspecified else str(address)


def binding_address(network: Network) -> str:
    """The host address ports published without one are bound to, for `network` ("": all)."""
    value = network.options.get(BINDING_OPTION, "")
    return _binding_address(value) if value else ""


class Networks:
    def __init__(
        self, store: Store, kernel: Kernel, rules: nat.Rules, config: DaemonConfig, tag: Tag
    ) -> None:
        self._store = store
        self._kernel = kernel
        self._rules = rules
        self._config = config
        self._tag = tag

    def get(self, ref: str) -> Network:
        return self._store.get(ref)

    def all(self) -> list[Network]:
        return self._store.networks()

    def bridges(self) -> list[nat.Bridge]:
        return [_bridge(n) for n in self._store.networks() if n.bridged]

    # -- predefined -------------------------------------------------------------------------

    def predefined(self) -> None:
        """host, none and bridge exist; bridge on the Linux bridge the config asks for."""
        if self._store.find("host") is None:
            self._store.add_network(new_network(name="host", driver="host"))
        if self._store.find("none") is None:
            self._store.add_network(new_network(name="none", driver="null"))
        wanted = self._config.bridge or self._tag.default_bridge
        default = self._store.find("bridge")
        if default is None:
            self._store.add_network(self._default_bridge(wanted))
        elif default.interface != wanted:
            self._move_default(default, wanted)
        self._default_options()

    def _default_options(self) -> None:
        """daemon.json's `icc`, `ip-masq` and `ip` on the default bridge, as dockerd's --icc,
        --ip-masq and --ip become docker0's options (and its inspect shows them)."""
        default = self._store.get("bridge")
        ours = (ICC_OPTION, MASQUERADE_OPTION, BINDING_OPTION)
        options = {k: v for k, v in default.options.items() if k not in ours}
        if not self._config.icc:
            options[ICC_OPTION] = "false"
        if not self._config.ip_masq:
            options[MASQUERADE_OPTION] = "false"
        if self._config.ip:
            options[BINDING_OPTION] = self._config.ip
        _check_bridge_options(options)
        if options != default.options:
            self._store.set_options(default.id, options)

    def _default_bridge(self, interface: str) -> Network:
        if self._config.bip:
            gateway = ipam.parse_address(self._config.bip.split("/")[0], "bip")
            subnet = ipam.parse_subnet(self._config.bip)
        else:
            subnet = ipam.pick_subnet(ipam.BRIDGE_POOLS, self._taken())
            gateway = subnet.network_address + 1
        return new_network(
            name="bridge",
            driver="bridge",
            subnet=str(subnet),
            gateway=str(gateway),
            interface=interface,
        )

    def _move_default(self, default: Network, wanted: str) -> None:
        """The config names another bridge than the record (or the engine's own instead of
        the old shared `dockyard0`): move once no container is on the old one."""
        if self._store.has_endpoints(default.id):
            log.warning(
                "the default network stays on %s until its containers are gone (%s asked)",
                default.interface,
                wanted,
            )
            return
        self.release(default)
        self._store.set_interface(default.id, wanted)

    # -- user networks ------------------------------------------------------------------------

    def create(
        self,
        name: str,
        driver: str,
        subnet: str = "",
        gateway: str = "",
        ip_range: str = "",
        internal: bool = False,
        options: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        settings: netconfig.Settings = netconfig.DEFAULTS,
    ) -> Network:
        """A user network, checked in dockerd's order: the name, docker's fields
        (netconfig.py), the driver and its options, the addresses."""
        driver, options, labels = driver or "bridge", dict(options or {}), dict(labels or {})
        self._check_name(name)
        own = bool(labels or subnet or gateway or ip_range or settings.aux_addresses)
        netconfig.validate(settings, internal, own, options)
        if settings.config_only:
            return self._config_only(name, subnet, gateway, ip_range, options, labels, settings)
        netconfig.check_local(settings)
        if settings.config_from:
            base = self._config_network(settings.config_from)
            subnet, gateway, ip_range = base.subnet, base.gateway, base.ip_range
            options, labels = dict(base.options), dict(base.labels)
            settings = _taken_from(base, settings)
        self._check_driver(driver, options)
        netconfig.check_ipam(settings)
        net, gw = self._subnet(driver, subnet, gateway, ip_range)
        netconfig.check_aux(name, settings.aux_addresses, net)
        netconfig.check_store(settings)
        network_id = secrets.token_hex(32)
        interface = ""
        if driver == "bridge":
            interface = options.get(BRIDGE_NAME_OPTION) or self._tag.user_bridge(network_id)
            self._check_interface(interface)
        network = new_network(
            id=network_id,
            name=name,
            driver=driver,
            subnet=str(net),
            gateway=str(gw),
            ip_range=ip_range,
            internal=internal,
            options=options,
            labels=labels,
            interface=interface,
            gateway_unstated=bool(subnet) and not gateway,
            **_recorded(settings),
        )
        self._store.add_network(network)
        try:
            self.make(network)
        except BaseException:
            self._drop(network)
            raise
        return network

    def _config_only(
        self,
        name: str,
        subnet: str,
        gateway: str,
        ip_range: str,
        options: dict[str, str],
        labels: dict[str, str],
        settings: netconfig.Settings,
    ) -> Network:
        """A configuration stored as libnetwork stores one: driver null, local, nothing
        allocated (its subnet may be another's: the network made from it takes it)."""
        if subnet:
            net = ipam.parse_subnet(subnet)
            gateway = str(ipam.gateway_for(net, gateway)) if gateway else ""
            ipam.range_for(net, ip_range)
            netconfig.check_aux(name, settings.aux_addresses, net)
        elif gateway or ip_range:
            raise InvalidArgument("--gateway and --ip-range need --subnet")
        network = new_network(
            name=name,
            driver="null",
            subnet=str(ipam.parse_subnet(subnet)) if subnet else "",
            gateway=gateway,
            ip_range=ip_range,
            options=options,
            labels=labels,
            gateway_unstated=not gateway,
            **_recorded(settings),
        )
        self._store.add_network(network)
        return network

    def _config_network(self, name: str) -> Network:
        found = self._store.find(name)
        if found is None or not found.config_only or found.name != name:
            raise NotFound(f'configuration network "{name}" does not exist')
        return found

    def remove(self, ref: str) -> None:
        network = self.get(ref)
        if network.config_only and any(
            n.config_from == network.name for n in self._store.networks()
        ):
            raise FailedPrecondition(
                f'error while removing network: configuration network "{network.name}" is in use'
            )
        if network.name in PREDEFINED:
            raise FailedPrecondition(
                f"{network.name} is a pre-defined network and cannot be removed"
            )
        if self._store.has_endpoints(network.id):
            raise FailedPrecondition(
                f"error while removing network: network {network.name} id {network.id} "
                "has active endpoints"
            )
        self._drop(network)

    def prune(self) -> list[str]:
        removed = []
        for network in self._store.networks():
            if (
                network.name not in PREDEFINED
                and not network.config_only  # as dockerd's prune, which leaves them
                and not self._store.has_endpoints(network.id)
            ):
                self._drop(network)
                removed.append(network.name)
        return removed

    # -- bridges in the kernel --------------------------------------------------------------

    def make(self, network: Network) -> None:
        """The network's bridge with its gateway, its rules, then route_localnet behind them."""
        if not network.bridged:
            return
        self._kernel.links.ensure_bridge(network.interface, network.gateway_interface)
        self._rules.change(nat.add_bridge(self._rules.table, _bridge(network)))
        self._kernel.links.allow_localnet(network.interface)
        self._kernel.open_forward(self._tag.value, [b.interface for b in self.bridges()])

    def release(self, network: Network) -> None:
        """Undo `make`: a bridge the engine named goes; one the user named only loses the
        engine's address (and route_localnet, once no address is left on it)."""
        if not network.bridged:
            return
        owned = self._tag.owns_bridge(network.interface)
        self._kernel.links.release_bridge(
            network.interface, network.gateway_interface, delete=owned
        )

    def _drop(self, network: Network) -> None:
        self._store.delete_network(network.id)
        if network.bridged:
            self._rules.change(nat.remove_bridge(self._rules.table, _bridge(network)))
            self._kernel.open_forward(self._tag.value, [b.interface for b in self.bridges()])
            self.release(network)

    # -- checks -----------------------------------------------------------------------------

    def _check_name(self, name: str) -> None:
        if not name or "/" in name or name.strip() != name:
            raise InvalidArgument(f"invalid network name {name!r}")
        if name in PREDEFINED:
            raise FailedPrecondition(f"operation is not permitted on predefined {name} network")
        if self._store.find(name) is not None:
            raise AlreadyExists(f"network with name {name} already exists")

    def _check_driver(self, driver: str, options: dict[str, str]) -> None:
        if driver not in DRIVER_OPTIONS:
            raise InvalidArgument(f"network driver {driver!r} is not supported (bridge, macvlan)")
        unknown = sorted(set(options) - DRIVER_OPTIONS[driver] - {BRIDGE_NAME_OPTION})
        if unknown:
            raise InvalidArgument(f"unknown option {unknown[0]!r} for the {driver} driver")
        if driver == "macvlan" and not options.get("parent"):
            raise InvalidArgument("a macvlan network needs its parent interface: -o parent=IF")
        if options.get("macvlan_mode", "bridge") not in MACVLAN_MODES:
            raise InvalidArgument(f"invalid macvlan mode {options['macvlan_mode']!r}")
        if driver == "bridge":
            _check_bridge_options(options)

    def _subnet(
        self, driver: str, subnet: str, gateway: str, ip_range: str
    ) -> tuple[IPv4Network, IPv4Address]:
        """The subnet asked for (free of every network and host route) or the pools' next
        free one, and its gateway."""
        taken = self._taken(host_routes=driver == "bridge")
        if subnet:
            net = ipam.parse_subnet(subnet)
            ipam.check_free(net, taken)
        else:
            if gateway or ip_range:
                raise InvalidArgument("--gateway and --ip-range need --subnet")
            net = ipam.pick_subnet([(p.base, p.size) for p in self._config.address_pools], taken)
        gw = ipam.gateway_for(net, gateway)
        ipam.range_for(net, ip_range)
        return net, gw

    def _check_interface(self, interface: str) -> None:
        if not 0 < len(interface) <= 15 or "/" in interface or " " in interface:
            raise InvalidArgument(f"invalid bridge name {interface!r}")
        for other in self._store.networks():
            if other.interface == interface:
                raise InvalidArgument(f"bridge {interface} is already network {other.name}'s")

    def _taken(self, host_routes: bool = True) -> list[tuple[str, IPv4Network]]:
        mine = [
            (f"network {n.name}", n.net)
            for n in self._store.networks()
            if n.subnet and not n.config_only  # a configuration holds no addresses
        ]
        routes = self._kernel.links.host_routes() if host_routes else []
        own = {net for _, net in mine}
        return mine + [("a host route", r) for r in routes if r not in own]


def _taken_from(base: Network, settings: netconfig.Settings) -> netconfig.Settings:
    """libnetwork's applyConfigurationTo: the configuration's IPAM settings."""
    return dataclasses.replace(
        settings,
        ipam_driver=base.ipam_driver,
        ipam_options=dict(base.ipam_options),
        aux_addresses=dict(base.aux_addresses),
    )


def _recorded(settings: netconfig.Settings) -> dict[str, object]:
    """The record's fields for what `settings` asked (docker's defaults for what it did not)."""
    return {
        "attachable": settings.attachable,
        "scope": settings.scope or netconfig.LOCAL,
        "ipam_driver": settings.ipam_driver or netconfig.DEFAULT_IPAM,
        "ipam_options": dict(settings.ipam_options),
        "aux_addresses": dict(settings.aux_addresses),
        "config_only": settings.config_only,
        "config_from": settings.config_from,
    }


def _bridge(network: Network) -> nat.Bridge:
    icc = network.options.get(ICC_OPTION, "true") not in FALSE
    masquerade = network.options.get(MASQUERADE_OPTION, "true") not in FALSE
    return nat.Bridge(network.interface, network.subnet, network.internal, icc, masquerade)


def _parse_bool(key: str, value: str) -> bool:
    """strconv.ParseBool, as libnetwork reads a boolean option, and its error."""
    if value not in TRUE | FALSE:
        raise InvalidArgument(
            f"failed to parse {key} value: {value} "
            f'(strconv.ParseBool: parsing "{value}": invalid syntax)'
        )
    return value in TRUE


def _bridged_traffic_filtered() -> bool:
    """Whether traffic between two ports of a bridge meets the IP family's forward hook."""
    try:
        return BRIDGE_NF_CALL.read_text().strip() == "1"
    except OSError:
        return False
