"""What a container finds in /etc/hosts, /etc/resolv.conf and /etc/hostname. Pure but for
reading the host's own files.

As docker writes them: hosts names the container's first address and `--add-host` entries
(`host-gateway`: the gateway, as containers see the host); resolv.conf points at the embedded
DNS on a user network (the host's search lines kept), else at `--dns`, the daemon's `dns`, or
the host's nameservers without loopback ones (unreachable from a namespace); --network host
gets the host's files.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.services.network.store import Endpoint, Network

HOSTS_HEADER = (
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
)
FALLBACK_NAMESERVERS = ("8.8.8.8", "8.8.4.4")  # docker's, when the host only has loopback ones
DNS_ADDRESS = "127.0.0.11"


@dataclass(frozen=True)
class Files:
    hosts: str
    resolv_conf: str
    hostname: str


@dataclass(frozen=True)
class Container:
    """What the files are made from."""

    mode: str
    hostname: str
    spec: dict[str, Any]  # domainname, extra_hosts, dns, dns_search, dns_options
    endpoints: list[tuple[Endpoint, Network]] = field(default_factory=list)  # by ifname


def files(container: Container, daemon_dns: list[str]) -> Files:
    if container.mode == "host":
        return Files(
            read("/etc/hosts") or HOSTS_HEADER, read("/etc/resolv.conf"), socket.gethostname()
        )
    return Files(hosts(container), resolv_conf(container, daemon_dns), container.hostname)


def hosts(container: Container) -> str:
    """The header, the extra hosts (--add-host's, then the legacy links': "alias hostname
    name:address"), then the container's own address last, as libnetwork writes them."""
    spec, endpoints = container.spec, container.endpoints
    text = HOSTS_HEADER
    for entry in spec.get("extra_hosts", []):
        host, _, address = entry.partition(":")
        if address == "host-gateway":  # docker's name for the host, as containers see it
            address = endpoints[0][1].gateway if endpoints else "127.0.0.1"
        text += f"{address}\t{host}\n"
    if endpoints:
        names = container.hostname
        if spec.get("domainname"):  # the FQDN, then the short name, as libnetwork writes them
            names = f"{names}.{spec['domainname']} {names}"
        text += f"{endpoints[0][0].address}\t{names}\n"
    return text


def update_host(entries: list[str], name: str, address: str) -> list[str]:
    """Extra hosts entries ("names:address") first named `name` with `address` ("" = left
    out), the others as they were."""
    changed = []
    for entry in entries:
        names = entry.partition(":")[0]
        if names.split()[:1] != [name]:
            changed.append(entry)
        elif address:
            changed.append(f"{names}:{address}")
    return changed


def resolv_conf(container: Container, daemon_dns: list[str]) -> str:
    spec = container.spec
    host = read("/etc/resolv.conf")
    if any(n.has_dns for _, n in container.endpoints):
        text = f"nameserver {DNS_ADDRESS}\n"
        if not spec.get("dns_search"):
            text += "".join(f"{line}\n" for line in host.splitlines() if line.startswith("search"))
        text += "options ndots:0\n"
    elif spec.get("dns") or daemon_dns:
        text = "".join(f"nameserver {s}\n" for s in spec.get("dns") or daemon_dns)
    else:
        text = container_resolv_conf(host)
    if spec.get("dns_search"):
        text += f"search {' '.join(spec['dns_search'])}\n"
    if spec.get("dns_options"):
        text += f"options {' '.join(spec['dns_options'])}\n"
    return text


def container_resolv_conf(host: str) -> str:
    """The host's resolv.conf without loopback nameservers (unreachable from a netns)."""
    lines, servers = [], 0
    for line in host.splitlines():
        fields = line.split()
        if fields[:1] == ["nameserver"] and len(fields) > 1:
            if fields[1].startswith("127.") or fields[1] == "::1":
                continue
            servers += 1
        lines.append(line)
    if not servers:
        lines += [f"nameserver {s}" for s in FALLBACK_NAMESERVERS]
    return "\n".join(lines) + "\n"


def nameservers(resolv: str) -> list[str]:
    return [
        fields[1]
        for line in resolv.splitlines()
        if (fields := line.split())[:1] == ["nameserver"] and len(fields) > 1
    ]


def read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
