"""Start-up repair, and the release of the engine's networking at a clean stop.

`startup` makes the kernel agree with the records, whatever a crash left:

    1. the predefined networks exist (the default bridge moved to the name the config asks)
    2. sandboxes that were never completed, or whose namespace is gone, are torn down;
       endpoints whose link was never made are undone; records of containers without a
       sandbox are dropped; namespaces and files no record owns are removed
    3. each bridge network's bridge exists with its gateway; links on our bridges that no
       endpoint owns, and engine-tagged bridges and veths that no record owns, are deleted
    4. published ports are held again; the nft table is rewritten whole from the records;
       the FORWARD exceptions follow the bridges; route_localnet behind the table's guard
    5. the DNS name table is rebuilt (the DNS servers themselves are service.py's)

`shutdown`, at a clean stop with no container on any network, takes away what start-up
makes (the table, its guard included, the FORWARD exceptions, the bridges or the engine's
address on them); with containers on networks (live restore) everything stays.
"""

from __future__ import annotations

from dockyard.api.errors import NotFound
from dockyard.services.network.manager import Manager
from dockyard.services.network.sandboxes import Sandbox


def startup(m: Manager) -> None:
    m.networks.predefined()
    _sandboxes(m)
    _links(m)
    m.ports.restore()
    m.rules.replace()
    bridges = [b.interface for b in m.networks.bridges()]
    m.kernel.open_forward(m.tag.value, bridges)
    for name in bridges:
        m.kernel.links.allow_localnet(name)
    _names(m)


def shutdown(m: Manager) -> None:
    if m.store.has_endpoints():
        return
    m.kernel.open_forward(m.tag.value, [])
    m.rules.delete()
    for network in m.networks.all():
        m.networks.release(network)


def _sandboxes(m: Manager) -> None:
    for sandbox in m.sandboxes.list():
        if not m.sandboxes.whole(sandbox):
            m.remove_sandbox(sandbox.container_id)
    for endpoint in m.store.endpoints(ready=False):
        m.endpoints.detach(_sandbox(m, endpoint.container_id), endpoint)
    live = {s.container_id for s in m.sandboxes.list()}
    for container_id in m.store.owners() - live:
        m.store.forget(container_id)
    m.sandboxes.orphans()


def _links(m: Manager) -> None:
    owned = {e.host_ifname for e in m.store.endpoints() if e.host_ifname}
    bridges = set()
    links = m.kernel.links
    for network in m.networks.all():
        if network.bridged:
            bridges.add(network.interface)
            links.ensure_bridge(network.interface, network.gateway_interface)
            for link in links.ports_of(network.interface):
                if link not in owned:
                    links.delete_link(link)
    for name in links.links_named(m.tag.bridge_prefix):
        if name not in bridges:
            links.delete_link(name)
    for name in links.links_named(m.tag.veth_prefix):
        if name not in owned:
            links.delete_link(name)


def _names(m: Manager) -> None:
    m.names.clear()
    networks = {n.id: n for n in m.networks.all()}
    for endpoint in m.store.endpoints():
        network = networks.get(endpoint.network_id)
        sandbox = _sandbox(m, endpoint.container_id)
        if network is not None and sandbox is not None:
            m.endpoints.name(sandbox, endpoint, network)


def _sandbox(m: Manager, container_id: str) -> Sandbox | None:
    try:
        return m.sandboxes.get(container_id)
    except NotFound:
        return None
