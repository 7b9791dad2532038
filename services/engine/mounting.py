"""A container's mounts: resolved at create, named in its bundle at start, released at removal.

    plan      what was asked, checked, one per destination (docker's registerMountPoints order):
              --volumes-from, then -v (Binds), then --mount; the same destination twice in -v
              and --mount, or in either and --tmpfs, is "Duplicate mount point"; the image's
              VOLUMEs and `-v /path` then get an anonymous volume where nothing else is mounted
    resolve   volumes made (named ones found or made, anonymous ones made and labelled), the
              container's `mounts` recorded in docker's inspect shape; every volume made here
              is removed again if the create fails
    populate  an empty volume filled from the image at its destination (docker's copy-up)
    entries   the bundle's mounts at start: each volume mounted for the container by the volumes
              service (a device on its data directory at its first user, docker's local driver)
    release   `rm -v` and `run --rm`: the container's anonymous volumes, unless others use them

Which containers use a volume is read from the records; `VolumeUsers` adds the creates in
flight, so a volume a container is being created with is never removed meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from dockyard.api import errors
from dockyard.services.engine import mountspecs
from dockyard.services.engine.clients.snapshots import Mount
from dockyard.services.engine.clients.volumes import ContainerFilesystem, VolumeClient, VolumeSpec
from dockyard.services.engine.events import EventBus
from dockyard.services.engine.model import Container, MountPoint, MountSpec
from dockyard.services.engine.mountspecs import Requested
from dockyard.services.engine.store import ContainerStore

ANONYMOUS_LABEL = "com.docker.volume.anonymous"
TMPFS_DEFAULTS = ("noexec", "nosuid", "nodev")


@dataclass
class Plan:
    """What a container asked for, checked, before anything is made."""

    inherited: list[MountPoint] = field(default_factory=list)  # --volumes-from
    requested: list[Requested] = field(default_factory=list)  # -v and --mount
    anonymous: list[str] = field(default_factory=list)  # VOLUMEs no mount covers


class VolumeUsers:
    """Which containers use a volume: the records, and the creates in flight (whose record
    is not stored yet). A removal marks its volume first, so a create that meets it fails
    rather than recording a volume about to go."""

    def __init__(self, store: ContainerStore) -> None:
        self._store = store
        self._claims: list[set[str]] = []
        self._removing: set[str] = set()

    def of(self, name: str) -> list[str]:
        """IDs of the containers using `name` (a create in flight counts, unnamed)."""
        users = self._store.volume_users(name)
        return users + ["(a container being created)" for c in self._claims if name in c]

    @contextlib.contextmanager
    def claim(self) -> Iterator[set[str]]:
        """Held by a create while it makes its volumes and until its record is stored; the
        create adds each volume's name to the set as it gets it."""
        claimed: set[str] = set()
        self._claims.append(claimed)
        try:
            yield claimed
        finally:
            self._claims.remove(claimed)

    def check(self, name: str) -> None:
        if name in self._removing:
            raise errors.FailedPrecondition(f"volume {name} is being removed")

    @contextlib.contextmanager
    def removing(self, name: str) -> Iterator[None]:
        self._removing.add(name)
        try:
            yield
        finally:
            self._removing.discard(name)


def plan(container: Container, store: ContainerStore) -> Plan:
    host, result = container.host_config, Plan()
    for entry in host.volumes_from:
        result.inherited += _inherited(entry, store)
    binds = [mountspecs.parse_bind(raw) for raw in host.binds]
    mounts = []
    for spec in host.mounts:
        mountspecs.validate(spec, bind_source_must_exist=True)
        mounts.append(Requested(spec, copy_data=not spec.volume_no_copy))
    result.requested = _unique(binds, mounts, set(_cleaned(p) for p in host.tmpfs))
    taken = {r.spec.target for r in result.requested} | {m.destination for m in result.inherited}
    taken |= {_cleaned(p) for p in host.tmpfs}
    for path in container.config.volumes:
        clean = mountspecs.absolute_path(path)
        if clean not in taken:
            result.anonymous.append(clean)
            taken.add(clean)
    return result


def _cleaned(path: str) -> str:
    return posixpath.normpath(path) if path.startswith("/") else path


def _unique(binds: list[Requested], mounts: list[Requested], tmpfs: set[str]) -> list[Requested]:
    seen: dict[str, Requested] = {}
    for kind in (binds, mounts):
        mine: set[str] = set()
        for request in kind:
            request.spec.target = posixpath.normpath(request.spec.target)
            target = request.spec.target
            if target in mine or target in tmpfs or (kind is mounts and target in seen):
                raise errors.InvalidArgument(f"Duplicate mount point: {target}")
            mine.add(target)
            seen[target] = request
    return list(seen.values())


def _inherited(entry: str, store: ContainerStore) -> list[MountPoint]:
    ref, mode = mountspecs.parse_volumes_from(entry)
    other = store.get(ref)
    points = []
    for point in other.mounts:
        copied = MountPoint(**{**point.__dict__, "tmpfs_options": list(point.tmpfs_options)})
        copied.rw = point.rw and mountspecs.read_write(mode)
        points.append(copied)
    return points


class Mounter:
    def __init__(self, volumes: VolumeClient, users: VolumeUsers, events: EventBus) -> None:
        self._volumes = volumes
        self.users = users
        self._events = events

    async def resolve(
        self, container: Container, plan: Plan, claimed: set[str], undo: AsyncExitStack
    ) -> list[str]:
        """Record the container's mounts, making its volumes (each claimed); the volumes to
        fill (by destination) are returned. Volumes made here are removed by `undo`."""
        points = {m.destination: m for m in plan.inherited}
        fill = []
        for request in [
            *plan.requested,
            *(Requested(MountSpec("volume", p)) for p in plan.anonymous),
        ]:
            point = await self._point(request, undo)
            points[point.destination] = point
            if point.type == "volume":
                claimed.add(point.name)
                self.users.check(point.name)
                if request.copy_data:
                    fill.append(point.destination)
        for point in plan.inherited:
            if point.type == "volume":
                claimed.add(point.name)
                self.users.check(point.name)
        container.mounts = [points[d] for d in sorted(points)]
        return fill

    async def _point(self, request: Requested, undo: AsyncExitStack) -> MountPoint:
        spec, mode = request.spec, request.mode
        if spec.type == "bind":
            return MountPoint(
                "bind",
                spec.target,
                source=spec.source,
                mode=mode,
                rw=not spec.read_only,
                propagation=spec.bind_propagation or mountspecs.DEFAULT_PROPAGATION,
            )
        if spec.type == "tmpfs":
            options = mountspecs.tmpfs_options(spec.tmpfs_size, spec.tmpfs_mode, False)
            return MountPoint("tmpfs", spec.target, rw=not spec.read_only, tmpfs_options=options)
        return await self._volume_point(spec, mode, request.binds, undo)

    async def _volume_point(
        self, spec: MountSpec, mode: str, binds: bool, undo: AsyncExitStack
    ) -> MountPoint:
        labels = dict(spec.volume_labels) | ({} if spec.source else {ANONYMOUS_LABEL: ""})
        existed = bool(spec.source) and await self._exists(spec.source)
        volume = await self._volumes.create(
            VolumeSpec(spec.source, spec.volume_driver, dict(spec.volume_options), labels)
        )
        if not existed:
            undo.push_async_callback(self._forget, volume.name)
            self._events.publish("volume", "create", volume.name, driver=volume.driver)
        return MountPoint(
            "volume",
            spec.target,
            name=volume.name,
            source=volume.mountpoint,
            driver=volume.driver,
            mode=mode or ("z" if binds else ""),  # docker's default for -v NAME:/path
            rw=not spec.read_only,
            anonymous=not spec.source,
        )

    async def _exists(self, name: str) -> bool:
        try:
            await self._volumes.get(name)
        except errors.NotFound:
            return False
        return True

    async def _forget(self, name: str) -> None:
        with contextlib.suppress(errors.NotFound):
            await self._volumes.remove(name)
            self._events.publish("volume", "destroy", name, driver="local")

    async def populate(self, container: Container, destinations: list[str]) -> None:
        """Fill each empty volume mounted at `destinations` from the container's image."""
        layer = ContainerFilesystem(container.id, container.id, name=container.name)
        for point in container.mounts:
            if point.destination in destinations:
                await self._volumes.populate(point.name, layer, point.destination)

    async def entries(self, container: Container) -> list[dict[str, Any]]:
        """The bundle's mounts for the container's volumes, binds and tmpfs mounts, parents
        before children (docker sorts them by depth). Each volume is mounted for the container
        (`VolumeClient.mount`), to be let go by `VolumeClient.unmount` when it stops."""
        out = []
        for point in sorted(container.mounts, key=lambda m: _depth(m.destination)):
            if point.type == "volume":
                mount = _volume_mount(point, await self._volumes.mount(point.name, container.id))
            else:
                mount = await self.mount(point)
            out.append(
                {
                    "destination": point.destination,
                    "type": mount.type,
                    "source": mount.source,
                    "options": list(mount.options),
                }
            )
        return out

    async def mount(self, point: MountPoint) -> Mount:
        """How `point` is mounted (its target is the destination) where no container runs."""
        read_only = [] if point.rw else ["ro"]
        if point.type == "volume":
            return _volume_mount(point, (await self._volumes.get(point.name)).mount)
        if point.type == "bind":
            _make_source(point.source)
            options = ["rbind", point.propagation or mountspecs.DEFAULT_PROPAGATION, *read_only]
            return Mount("bind", point.source, point.destination, options)
        options = [*TMPFS_DEFAULTS, *point.tmpfs_options, *read_only]
        return Mount("tmpfs", "tmpfs", point.destination, options)

    async def filesystem(self, container: Container, ref: str) -> ContainerFilesystem:
        """The container's files as `cp` sees them: entered while it runs, else its layer with
        its volumes and binds (tmpfs mounts live only while it runs, as docker's)."""
        running = container.running and not container.state.restarting and container.state.pid
        mounts = []
        for point in container.mounts:
            if point.type != "tmpfs":
                mounts.append(await self.mount(point))
        return ContainerFilesystem(
            container.id,
            container.id,
            pid=container.state.pid if running else 0,
            mounts=mounts,
            read_only=container.host_config.read_only,
            name=ref,
        )

    async def release(self, container: Container) -> None:
        """Remove the container's anonymous volumes that no other container uses."""
        for point in container.mounts:
            if point.type != "volume" or not point.anonymous:
                continue
            if [u for u in self.users.of(point.name) if u != container.id]:
                continue
            with self.users.removing(point.name):
                await self._forget(point.name)


def _volume_mount(point: MountPoint, described: Mount) -> Mount:
    options = [*described.options, *([] if point.rw else ["ro"])]
    if described.type == "bind":
        options.append("rprivate")
    return Mount(described.type, described.source, point.destination, options)


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


def _make_source(path: str) -> None:
    """A `-v` bind's missing source is made (root's, 0755), as docker does."""
    try:
        os.makedirs(path, mode=0o755, exist_ok=True)
    except FileExistsError:
        pass  # a file: it is bound as one
    except OSError as err:
        raise errors.InvalidArgument(
            f"error while creating mount source path '{path}': {err.strerror}"
        ) from None
