"""Creating a container: its record, checked and merged with its image's defaults, and its
writable layer.

    images.get(config.image) → check name, host config → at once: check networks,
    snapshots.prepare(id, over the image's chain ID; images.unpack first if its layers are
    missing), the container's directory → check mounts → volumes made and empty ones filled
    from the image (mounting.py) → the record → event "create"

Each step registers its undo before the next runs, so a failure leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
import shutil
import socket
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from dockyard.api import errors, macaddr, timings
from dockyard.api.config import DaemonConfig
from dockyard.services.engine import (
    defaultsonly,
    isolation,
    limits,
    links,
    logdetails,
    mounting,
    names,
    restarts,
    security,
    spec,
)
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.images import Image
from dockyard.services.engine.clients.snapshots import Mount, SnapshotClient
from dockyard.services.engine.endpoints import ipv6_refusal, parse_port
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.merge import ImageDefaults, command, merge
from dockyard.services.engine.model import (
    Container,
    ContainerConfig,
    EndpointSettings,
    HostConfig,
    NetworkSettings,
    network_of,
)
from dockyard.services.engine.store import ContainerStore
from dockyard.services.engine.units import parse_size

SHARED_NAMESPACE_DRIVERS = ("host", "null")


def container_dir(root: Path, container_id: str) -> Path:
    """Where a container's own files live (its json-file log)."""
    return root / "containers" / container_id


class Creator:
    def __init__(
        self,
        store: ContainerStore,
        clients: Clients,
        root: Path,
        config: DaemonConfig,
        events: EventBus,
        mounter: mounting.Mounter,
        recorded: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._store = store
        self._recorded = recorded  # told each new container's ID as its record is made
        self._c = clients
        self._root = root
        self._config = config
        self._events = events
        self._mounter = mounter
        self._creating: dict[str, str] = {}  # name: ID, of creates under way, not yet recorded

    async def create(
        self,
        name: str,
        config: ContainerConfig,
        host: HostConfig,
        endpoints: list[EndpointSettings] | None = None,
        image: Image | None = None,
    ) -> Container:
        """The container's record and writable layer; `image` is config.image's, when the
        caller has just looked it up (run) and need not ask again."""
        with timings.phase("engine.create"):
            image = image or await self._c.images.get(config.image)
            return await self._create(name, config, host, endpoints, image)

    async def _create(
        self,
        name: str,
        config: ContainerConfig,
        host: HostConfig,
        endpoints: list[EndpointSettings] | None,
        image: Image,
    ) -> Container:
        name = names.validate(name) if name else names.generate(self._name_taken)
        if name in self._creating:
            raise self._store.conflict(name, self._creating[name])
        if self._name_taken(name):
            raise self._store.conflict(name)
        container_id = secrets.token_hex(32)
        self._creating[name] = container_id  # until recorded: no create meanwhile may take it
        try:
            return await self._record(container_id, name, config, host, endpoints, image)
        finally:
            del self._creating[name]

    async def _record(
        self,
        container_id: str,
        name: str,
        config: ContainerConfig,
        host: HostConfig,
        endpoints: list[EndpointSettings] | None,
        image: Image,
    ) -> Container:
        config = merge(image_defaults(image), config)
        container = self._new_record(container_id, name, config, host, image)
        async with AsyncExitStack() as undo:
            networks, mounts = await self._make(container, image, endpoints or [], undo)
            container.network_settings = NetworkSettings(networks=networks)
            container.graph_driver = graph_driver(mounts)
            wanted = mounting.plan(container, self._store)
            with self._mounter.users.claim() as claimed:
                fill = await self._mounter.resolve(container, wanted, claimed, undo)
                await self._mounter.populate(container, fill)
                self._store.add(container)
                self._recorded(container.id)
            undo.pop_all()
        self._events.container(container, "create")
        return container

    async def _make(
        self,
        container: Container,
        image: Image,
        endpoints: list[EndpointSettings],
        undo: AsyncExitStack,
    ) -> tuple[list[EndpointSettings], list[Mount]]:
        """Its networks checked, its writable layer and its directory made, all at once (none
        needs another first); what was made is undone on a failure of any (the first raised
        once all are done)."""
        directory = container_dir(self._root, container.id)
        networks, mounts, made = await asyncio.gather(
            self._networks(container.host_config, endpoints),
            self._prepare(container.id, image),
            asyncio.to_thread(directory.mkdir, parents=True, mode=0o710),
            return_exceptions=True,
        )
        if not isinstance(mounts, BaseException):
            undo.push_async_callback(remove_layer, self._c.snapshots, container.id)
        if not isinstance(made, BaseException):
            undo.callback(shutil.rmtree, directory, True)
        for outcome in (networks, mounts, made):
            if isinstance(outcome, BaseException):
                raise outcome
        assert not isinstance(networks, BaseException) and not isinstance(mounts, BaseException)
        return networks, mounts

    async def _prepare(self, container_id: str, image: Image) -> list[Mount]:
        """The container's writable layer over the image's; layers that are not (or no
        longer) in the snapshotter are unpacked again first, as containerd does."""
        with timings.phase("engine.snapshot"):
            try:
                return await self._c.snapshots.prepare(container_id, image.chain_id)
            except errors.NotFound:
                await self._c.images.unpack(image.id)
                return await self._c.snapshots.prepare(container_id, image.chain_id)

    def _new_record(
        self, container_id: str, name: str, config: ContainerConfig, host: HostConfig, image: Image
    ) -> Container:
        host = _normalise_host(host, self._config)
        restarts.validate(host.restart_policy, host.auto_remove)  # first, as dockerd checks
        limits.validate(host.resources)
        spec.validate_user(config.user)
        security.resolve(host.cap_add, host.cap_drop, host.privileged, host.security_opt)
        isolation.check(host, config.hostname)
        defaultsonly.check(host)
        if config.mac_address and macaddr.canonical(config.mac_address) is None:
            raise errors.InvalidArgument(f"address {config.mac_address}: invalid MAC address")
        self._resolve_modes(host)
        self._check_cgroup_parent(host.cgroup_parent)
        host.links = links.register(host, name, self._store.get)
        if config.working_dir and not config.working_dir.startswith("/"):
            raise errors.InvalidArgument(
                f"the working directory '{config.working_dir}' is invalid, it needs to be an "
                "absolute path"
            )
        argv = command(config)
        hosts_own = host.network_mode == "host" or host.uts_mode == "host"
        config.hostname = config.hostname or (
            socket.gethostname() if hosts_own else container_id[:12]
        )
        log_path = container_dir(self._root, container_id) / f"{container_id}-json.log"
        return Container(
            id=container_id,
            name=name,
            created=datetime.now(UTC),
            image=image.id,
            config=config,
            host_config=host,
            path=argv[0],
            args=argv[1:],
            log_path=str(log_path),
        )

    def _resolve_modes(self, host: HostConfig) -> None:
        """--ipc/--pid container:NAME name that container by its ID (it must exist)."""
        for field in ("ipc_mode", "pid_mode"):
            mode = getattr(host, field)
            if mode.startswith("container:"):
                other = self._store.get(mode.removeprefix("container:"))
                setattr(host, field, f"container:{other.id}")

    def _check_cgroup_parent(self, parent: str) -> None:
        """No --cgroup-parent inside another container's cgroup (spec.named_containers)."""
        for part in spec.named_containers(parent):
            try:
                self._store.get(part)
            except errors.NotFound:
                continue
            raise errors.InvalidArgument(
                f"cgroup-parent {parent!r} is inside container {part[:12]}'s cgroup: a"
                " container's cgroup holds only its own processes"
            )

    async def _networks(
        self, host: HostConfig, endpoints: list[EndpointSettings]
    ) -> list[EndpointSettings]:
        """Check the network mode (resolving container:NAME) and the endpoints it implies."""
        mode = host.network_mode
        for binding in host.port_bindings:
            parse_port(binding)
        if mode.startswith("container:"):
            other = self._store.get(mode.removeprefix("container:"))
            host.network_mode = f"container:{other.id}"
            return []
        if mode in ("host", "none"):
            if endpoints and any(e.network != mode for e in endpoints):
                raise errors.InvalidArgument(
                    f"container cannot be connected to {mode} and another network"
                )
            return [EndpointSettings(network=mode)]  # an endpoint without an address, as docker's
        for endpoint in endpoints:
            endpoint.network = network_of(endpoint.network)
        # the endpoints asked for are the networks (dockerd's updateContainerNetworkSettings:
        # the mode's network is joined only when none is asked for)
        wanted = endpoints or [EndpointSettings(network=network_of(mode))]
        for endpoint in wanted:
            driver = await self._check_endpoint(endpoint, alone=len(wanted) == 1)
            if driver in SHARED_NAMESPACE_DRIVERS:
                host.network_mode = "host" if driver == "host" else "none"
                return []
        return wanted

    async def _check_endpoint(self, endpoint: EndpointSettings, alone: bool) -> str:
        """The driver of the endpoint's network, once the endpoint is found possible there."""
        _check_ipv6(endpoint.ipv6_address)  # dockerd's verifyNetworkingConfig, first
        network = await self._c.network.get_network(endpoint.network)
        if network.config_only:  # libnetwork's CreateEndpoint (dockerd refuses it at start)
            raise errors.FailedPrecondition("cannot create endpoint on configuration-only network")
        if endpoint.ipv6_address:  # dockerd's validateNetworkingConfig: no IPv6 subnet anywhere
            raise ipv6_refusal(network.name)
        if network.driver in SHARED_NAMESPACE_DRIVERS and not alone:
            raise errors.InvalidArgument(
                f"container cannot be connected to {network.name} and another network"
            )
        if network.driver in SHARED_NAMESPACE_DRIVERS:
            return network.driver
        if endpoint.ipv4_address and network.name == "bridge":
            raise errors.InvalidArgument(
                "user specified IP address is supported on user defined networks only"
            )
        if endpoint.aliases and network.name == "bridge":
            raise errors.InvalidArgument(
                "network-scoped alias is supported only for containers in user defined networks"
            )
        return network.driver

    def _name_taken(self, name: str) -> bool:
        if name in self._creating:
            return True
        try:
            return self._store.get(name).name == name
        except errors.NotFound:
            return False


def _check_ipv6(text: str) -> None:
    """--ip6 / IPAMConfig.IPv6Address: an IPv6 address (not an IPv4 one, nor IPv4-mapped)."""
    if not text:
        return
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        address = None
    if not isinstance(address, ipaddress.IPv6Address) or address.ipv4_mapped is not None:
        raise errors.InvalidArgument(f"invalid IPv6 address: {text}")


async def remove_layer(snapshots: SnapshotClient, container_id: str) -> None:
    """Remove the container's writable layer (idempotent)."""
    with contextlib.suppress(errors.NotFound):
        await snapshots.remove(container_id)


def image_defaults(image: Image) -> ImageDefaults:
    c = image.config
    return ImageDefaults(
        user=c.user,
        env=tuple(c.env),
        entrypoint=tuple(c.entrypoint),
        cmd=tuple(c.cmd),
        working_dir=c.working_dir,
        labels=dict(c.labels),
        exposed_ports=tuple(c.exposed_ports),
        volumes=tuple(c.volumes),
        stop_signal=c.stop_signal,
        healthcheck=c.healthcheck,
    )


def _normalise_host(host: HostConfig, config: DaemonConfig) -> HostConfig:
    host.network_mode = host.network_mode or "default"  # what dockerd records for none given
    host.log_config.type = host.log_config.type or "json-file"
    if host.log_config.type not in ("json-file", "none"):
        raise errors.InvalidArgument(f'logging driver "{host.log_config.type}" is not supported')
    if host.log_config.type == "json-file":
        host.log_config.config = dict(config.log_opts) | host.log_config.config
        _check_log_opts(host.log_config.config)
    host.runtime = host.runtime or config.default_runtime
    if host.runtime not in available_runtimes(config):
        raise errors.InvalidArgument(f"unknown or invalid runtime name: {host.runtime}")
    if not host.privileged:  # what inspect shows, as dockerd records it
        host.masked_paths = host.masked_paths or list(spec.MASKED_PATHS)
        host.readonly_paths = host.readonly_paths or list(spec.READONLY_PATHS)
    return host


def available_runtimes(config: DaemonConfig) -> list[str]:
    """The built-in runtime, the configured ones, and runc/crun where installed."""
    found = [name for name in ("runc", "crun") if shutil.which(name)]
    return ["dockyard", *config.runtimes, *(n for n in found if n not in config.runtimes)]


def _check_log_opts(opts: dict[str, str]) -> None:
    unknown = sorted(set(opts) - {"max-size", "max-file", *logdetails.OPTS})
    if unknown:
        raise errors.InvalidArgument(f"unknown log opt '{unknown[0]}' for json-file log driver")
    if "max-size" in opts:
        parse_size(opts["max-size"])
    if not opts.get("max-file", "1").isdigit() or int(opts.get("max-file", "1")) < 1:
        raise errors.InvalidArgument(f"invalid value for max-file: {opts.get('max-file')}")
    logdetails.check(opts)


GRAPH_KEYS = {"lowerdir": "LowerDir", "upperdir": "UpperDir", "workdir": "WorkDir"}


def graph_driver(mounts: list[Mount]) -> dict[str, str]:
    """Inspect's GraphDriver.Data: the overlay's directories (or the bind's source)."""
    data: dict[str, str] = {}
    for mount in mounts:
        for option in mount.options:
            key, _, value = option.partition("=")
            if key in GRAPH_KEYS:
                data[GRAPH_KEYS[key]] = value
        if mount.type == "bind":
            data["UpperDir"] = mount.source
    return data
