"""The daemon configuration file (docker's daemon.json, in Dockyard's subset).

    {
      "insecure-registries": ["registry.lan:5000"],   # plain HTTP (loopback always is)
      "log-opts": {"max-size": "10m", "max-file": "3"},  # json-file default bounds
      "cgroup-parent": "dockyard",
      "default-runtime": "dockyard",
      "runtimes": {"runc": {"path": "/usr/sbin/runc"}},
      "bridge": "br0",                # the default `bridge` network's Linux bridge (default:
                                      # the engine's own, dockyard<tag>: engines share nothing)
      "bip": "10.199.0.1/16",         # its gateway/prefix ("" = the first free of 10.199-10.190)
      "icc": false,                   # its containers apart, but for published ports (true)
      "ip-masq": false,               # its outgoing traffic keeps container addresses (true)
      "ip": "127.0.0.1",              # ports published there without an address (0.0.0.0)
      "cpu-rt-runtime": 950000,       # µs of real-time budget given to the cgroups above a
      "cpu-rt-period": 1000000,       # container that asks for some (0: left as they are)
      "default-address-pools": [{"base": "10.200.0.0/13", "size": 24}],  # for user networks
      "dns": ["10.0.0.2"],            # containers' nameservers (default: the host's)
      "hosts": ["tcp://0.0.0.0:2376"],  # more Docker API listeners than <state>/docker.sock;
      "tlsverify": true,              # TCP needs TLS with client certificates signed by
      "tlscacert": "ca.pem", "tlscert": "cert.pem", "tlskey": "key.pem"   # this CA
    }

Every service reads the same file (`--config`, env DOCKYARD_CONFIG, default
/etc/dockyard/daemon.json; a missing default file means all defaults). An unknown key or a
value of the wrong type is an error at start, like docker's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.api.errors import InvalidArgument

DEFAULT_LOG_OPTS = {"max-size": "10m", "max-file": "3"}


@dataclass(frozen=True)
class Runtime:
    path: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddressPool:
    base: str  # a CIDR the networks are cut from
    size: int  # prefix length of each network


@dataclass(frozen=True)
class DaemonConfig:
    insecure_registries: tuple[str, ...] = ()
    log_opts: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LOG_OPTS))
    cgroup_parent: str = "dockyard"
    default_runtime: str = "dockyard"
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    bridge: str = ""  # "" = the engine's own bridge (the network service names it)
    bip: str = ""
    icc: bool = True  # containers on the default bridge reach each other (dockerd's --icc)
    ip_masq: bool = True  # the default bridge's outgoing traffic masqueraded (--ip-masq)
    ip: str = ""  # the host address ports are published on by default there (--ip)
    cpu_rt_period: int = 0  # µs: the real-time period of a real-time container's parents
    cpu_rt_runtime: int = 0  # µs: their real-time budget (0: the host's, as it is)
    dns: tuple[str, ...] = ()  # containers' nameservers instead of the host's
    address_pools: tuple[AddressPool, ...] = (AddressPool("10.200.0.0/13", 24),)
    hosts: tuple[str, ...] = ()  # "unix:///path", "tcp://addr:port" (Docker API listeners)
    tls_verify: bool = False
    tls_ca_cert: str = ""
    tls_cert: str = ""
    tls_key: str = ""

    @classmethod
    def load(cls, path: Path, *, required: bool) -> DaemonConfig:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            if required:
                raise InvalidArgument(f"config file {path} does not exist") from None
            return cls()
        except (OSError, ValueError) as err:
            raise InvalidArgument(f"cannot read config file {path}: {err}") from None
        if not isinstance(raw, dict):
            raise InvalidArgument(f"config file {path}: expected a JSON object")
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "config") -> DaemonConfig:
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise InvalidArgument(f"{source}: unknown key {unknown[0]!r}")
        log_opts = dict(DEFAULT_LOG_OPTS) | _str_map(raw, "log-opts", source)
        runtimes = {
            name: Runtime(path=_str(spec, "path", source), args=tuple(spec.get("runtimeArgs", ())))
            for name, spec in _dict(raw, "runtimes", source).items()
        }
        return cls(
            insecure_registries=tuple(_str_list(raw, "insecure-registries", source)),
            log_opts=log_opts,
            cgroup_parent=raw.get("cgroup-parent", "dockyard"),
            default_runtime=raw.get("default-runtime", "dockyard"),
            runtimes=runtimes,
            bridge=_str(raw, "bridge", source) if "bridge" in raw else "",
            bip=_str(raw, "bip", source) if "bip" in raw else "",
            icc=_bool(raw, "icc", source, default=True),
            ip_masq=_bool(raw, "ip-masq", source, default=True),
            ip=_optional_str(raw, "ip", source),
            cpu_rt_period=_int(raw, "cpu-rt-period", source),
            cpu_rt_runtime=_int(raw, "cpu-rt-runtime", source),
            dns=tuple(_str_list(raw, "dns", source)),
            address_pools=_pools(raw, source),
            hosts=tuple(_str_list(raw, "hosts", source)),
            tls_verify=_bool(raw, "tlsverify", source),
            tls_ca_cert=_optional_str(raw, "tlscacert", source),
            tls_cert=_optional_str(raw, "tlscert", source),
            tls_key=_optional_str(raw, "tlskey", source),
        )


_KEYS = {
    "insecure-registries",
    "log-opts",
    "cgroup-parent",
    "default-runtime",
    "runtimes",
    "bridge",
    "bip",
    "icc",
    "ip-masq",
    "ip",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "default-address-pools",
    "dns",
    "hosts",
    "tlsverify",
    "tlscacert",
    "tlscert",
    "tlskey",
}


def _pools(raw: dict[str, Any], source: str) -> tuple[AddressPool, ...]:
    if "default-address-pools" not in raw:
        return DaemonConfig.address_pools
    pools = raw["default-address-pools"]
    if not isinstance(pools, list) or not all(
        isinstance(p, dict) and isinstance(p.get("base"), str) and isinstance(p.get("size"), int)
        for p in pools
    ):
        raise InvalidArgument(
            f'{source}: \'default-address-pools\' must be a list of {{"base": CIDR, "size": N}}'
        )
    return tuple(AddressPool(p["base"], p["size"]) for p in pools)


def _dict(raw: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise InvalidArgument(f"{source}: {key!r} must be an object")
    return value


def _str_map(raw: dict[str, Any], key: str, source: str) -> dict[str, str]:
    value = _dict(raw, key, source)
    if not all(isinstance(v, str) for v in value.values()):
        raise InvalidArgument(f"{source}: values of {key!r} must be strings")
    return value


def _str_list(raw: dict[str, Any], key: str, source: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidArgument(f"{source}: {key!r} must be a list of strings")
    return value


def _bool(raw: dict[str, Any], key: str, source: str, default: bool = False) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise InvalidArgument(f"{source}: {key!r} must be true or false")
    return value


def _int(raw: dict[str, Any], key: str, source: str) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{source}: {key!r} must be an integer")
    return value


def _optional_str(raw: dict[str, Any], key: str, source: str) -> str:
    return _str(raw, key, source) if key in raw else ""


def _str(raw: Any, key: str, source: str) -> str:
    if not isinstance(raw, dict) or not isinstance(raw.get(key), str):
        raise InvalidArgument(f"{source}: {key!r} must be a string")
    return str(raw[key])
