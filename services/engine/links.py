"""Legacy container links (`--link NAME[:ALIAS]`), as docker 20.10's daemon keeps them.

    create   each link parsed as docker's opts.ParseLink; in a default-bridge (or host/none)
             network mode its container must exist (a `container:X` mode followed to X, a
             host-mode one refused), as dockerd's registerLinks: the record keeps it as
             inspect shows it, "/child:/parent/alias". In a user network mode the links are
             the endpoint's (`EndpointSettings.links`): the network's DNS answers the alias
             for this container only, and nothing is checked (dockerd's buildJoinOptions)
    start    on the default bridge, every child must be on it (else "Cannot link to /c, as it
             does not belong to the default network") and run (else "Cannot link to a non
             running container: /c AS /p/a"); each gives an /etc/hosts line "alias hostname
             name" (the name left out when it is the alias), after --add-host's, and
             docker's ALIAS_* environment (moby's daemon/links ToEnv), before the
             container's own variables
    rm -l    "parent/alias" forgets the parent's link (the link's name is no container's)

The child is found by its name when the parent starts (dockerd holds a pointer to it).
"""

from __future__ import annotations

from collections.abc import Callable

from dockyard.api import errors
from dockyard.services.engine.linkenv import to_env
from dockyard.services.engine.model import DEFAULT_NETWORK, Container, HostConfig, network_of

FindContainer = Callable[[str], Container]
"""The store's `get`: a container by name or ID (NotFound otherwise)."""


def parse(value: str) -> tuple[str, str]:
    """(name, alias) of "name[:alias]" or of inspect's "/name:/parent/alias" (opts.ParseLink)."""
    if not value:
        raise errors.InvalidArgument("empty string specified for links")
    parts = value.split(":")
    if len(parts) > 2:
        raise errors.InvalidArgument(f"bad format for links: {value}")
    if len(parts) == 1:
        return value, value
    if parts[0].startswith("/"):
        return parts[0][1:], parts[1].rsplit("/", 1)[-1]
    return parts[0], parts[1]


def register(host: HostConfig, parent: str, find: FindContainer) -> list[str]:
    """The links of a container named `parent`, as its record keeps them (dockerd's
    registerLinks): none kept in a user network mode, where they are its endpoint's."""
    mode = host.network_mode
    if host.links and mode.startswith("container:"):
        raise errors.InvalidArgument(
            "conflicting options: container type network can't be used with links. This would "
            "result in undefined behavior"
        )
    if host.links and mode == "host":
        raise errors.InvalidArgument(HOST_CONFLICT)
    if not _legacy(mode):
        return []
    kept: list[str] = []
    for value in host.links:
        name, alias = parse(value)
        child = _child(name, find)
        full = f"/{parent}/{alias}"
        if all(not k.endswith(f":{full}") for k in kept):  # dockerd: a reserved name is skipped
            kept.append(f"/{child.name}:{full}")
    return kept


def _legacy(mode: str) -> bool:
    """Whether links in network mode `mode` are legacy links (not a user network's)."""
    return network_of(mode) in (DEFAULT_NETWORK, "host", "none") or mode.startswith("container:")


def _child(name: str, find: FindContainer) -> Container:
    """The container `name` links to, through `container:X` network modes."""
    could = "could"
    try:
        child = find(name)
        while child.host_config.network_mode.startswith("container:"):
            could, name = "Could", child.host_config.network_mode.removeprefix("container:")
            child = find(name)
    except errors.NotFound as err:  # dockerd: an invalid parameter, not a missing image
        raise errors.InvalidArgument(f"{could} not get container for {name}: {err}") from None
    if child.host_config.network_mode == "host":
        raise errors.InvalidArgument(HOST_CONFLICT)
    return child


HOST_CONFLICT = (
    "conflicting options: host type networking can't be used with links. This would result in "
    "undefined behavior"
)


def linked(container: Container, find: FindContainer) -> list[tuple[str, Container]]:
    """Its children, checked as dockerd checks them at start and exec (none unless the
    container is on the default bridge)."""
    if bridge_address(container) is None:
        return []
    found = children(container, find)
    check(found)
    return found


def children(container: Container, find: FindContainer) -> list[tuple[str, Container]]:
    """(link name "/parent/alias", child) of each of the container's links."""
    found = []
    for link in container.host_config.links:
        name, _, full = link.partition(":")
        try:
            child = find(name.removeprefix("/"))
        except errors.NotFound:
            raise errors.FailedPrecondition(
                f"Cannot link to a non running container: {name} AS {full}"
            ) from None
        found.append((full, child))
    return found


def bridge_address(container: Container) -> str | None:
    """The container's address on the default bridge (None: it has no endpoint there)."""
    for endpoint in container.network_settings.networks:
        if network_of(endpoint.network) == DEFAULT_NETWORK:
            return endpoint.ip_address
    return None


def check(linked: list[tuple[str, Container]]) -> None:
    """What dockerd checks at start: each child on the default bridge, then each running."""
    for _, child in linked:
        if bridge_address(child) is None:
            raise errors.FailedPrecondition(
                f"Cannot link to /{child.name}, as it does not belong to the default network"
            )
    for full, child in linked:
        if not child.running:  # paused and restarting ones count (dockerd's IsRunning)
            raise errors.FailedPrecondition(
                f"Cannot link to a non running container: /{child.name} AS {full}"
            )


def hosts(linked: list[tuple[str, Container]]) -> list[str]:
    """/etc/hosts entries ("names:address", as --add-host's) for the children."""
    entries = []
    for full, child in linked:
        alias = full.rsplit("/", 1)[-1]
        names = f"{alias} {child.config.hostname}"
        if alias != child.name:
            names += f" {child.name}"
        address = bridge_address(child)
        if address:
            entries.append(f"{names}:{address}")
    return entries


def environment(linked: list[tuple[str, Container]]) -> list[str]:
    """docker's link variables for the children, link after link."""
    env: list[str] = []
    for full, child in linked:
        env += to_env(
            full, bridge_address(child) or "", child.config.env, child.config.exposed_ports
        )
    return env


def renamed(kept: list[str], old: str, new: str) -> list[str]:
    """Links as kept ("/child:/parent/alias") once the container `old` is named `new`: as a
    child, and as the parent (dockerd's rename moves the parent's link names too)."""
    out = []
    for link in kept:
        child, _, full = link.partition(":")
        child = f"/{new}" if child == f"/{old}" else child
        if full.startswith(f"/{old}/"):
            full = f"/{new}/" + full.removeprefix(f"/{old}/")
        out.append(f"{child}:{full}")
    return out


def without_link(ref: str, find: FindContainer) -> Container:
    """The parent of the link `ref` ("parent/alias") without it, as dockerd's rmLink finds it
    (a container's own name is refused; a link no one has is no container)."""
    parent_name, _, alias = ref.removeprefix("/").rpartition("/")
    if not parent_name:
        find(alias)  # "No such container" first, as dockerd looks the name up first
        raise errors.FailedPrecondition(
            "Conflict, cannot remove the default link name of the container"
        )
    try:
        parent = find(parent_name)
    except errors.NotFound:
        raise errors.NotFound(f"No such container: {ref}") from None
    suffix = f":/{parent.name}/{alias}"
    kept = [link for link in parent.host_config.links if not link.endswith(suffix)]
    if len(kept) == len(parent.host_config.links):
        raise errors.NotFound(f"No such container: {ref}")
    parent.host_config.links = kept
    return parent
