"""Networks in docker's JSON (`docker network inspect`, `GET /networks/{id}`, the entries of
`GET /networks`), built from the engine's `Network` message. One module, so that the `dockyard`
CLI and the Docker API front print the same document.

The shape is docker 20.10's: `IPAM.Options` is `{}` for a network a user made (the docker CLI
sends an empty map) and null for the predefined ones; the default bridge carries the
`com.docker.network.bridge.*` options dockerd gives docker0, naming this engine's own bridge.
"""

from __future__ import annotations

from typing import Any

from dockyard.api.gotime import rfc3339

PREDEFINED = ("bridge", "host", "none")

DEFAULT_BRIDGE_OPTIONS = {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.driver.mtu": "1500",
}


def network_json(n: Any, containers: bool = True) -> dict[str, Any]:
    """`n` is a network.v1 `Network`; `containers` False for a list entry (docker's are {})."""
    predefined = n.name in PREDEFINED
    return {
        "Name": n.name,
        "Id": n.id,
        "Created": rfc3339(n.created),
        "Scope": n.scope or "local",
        "Driver": n.driver,
        "EnableIPv6": False,
        "IPAM": {
            "Driver": n.ipam_driver or "default",
            "Options": None if predefined else dict(n.ipam_options),
            "Config": _ipam(n),
        },
        "Internal": n.internal,
        "Attachable": n.attachable,
        "Ingress": False,
        "ConfigFrom": {"Network": n.config_from},
        "ConfigOnly": n.config_only,
        "Containers": _members(n) if containers else {},
        "Options": _options(n),
        "Labels": dict(n.labels),
    }


def _ipam(n: Any) -> list[dict[str, Any]]:
    if not n.subnet:
        return []
    entry: dict[str, Any] = {"Subnet": n.subnet}  # in the order of docker's IPAMConfig fields
    if n.ip_range and n.ip_range != n.subnet:
        entry["IPRange"] = n.ip_range
    if not n.gateway_unstated:  # docker's names a gateway it chose only for a subnet it chose
        entry["Gateway"] = n.gateway
    if n.aux_addresses:
        entry["AuxiliaryAddresses"] = dict(n.aux_addresses)
    return [entry]


def _members(n: Any) -> dict[str, dict[str, str]]:
    return {
        c.container_id: {
            "Name": c.name,
            "EndpointID": c.endpoint_id,
            "MacAddress": c.mac_address,
            "IPv4Address": c.ipv4_address,
            "IPv6Address": "",
        }
        for c in n.containers
    }


def _options(n: Any) -> dict[str, str]:
    options = dict(n.options)
    if n.name == "bridge" and n.driver == "bridge":  # the default bridge, as dockerd's docker0
        named = {"com.docker.network.bridge.name": n.interface} if n.interface else {}
        options = {**DEFAULT_BRIDGE_OPTIONS, **named, **options}
    return dict(sorted(options.items()))
