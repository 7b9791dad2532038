"""Volumes and mounts over the fakes: what a container asks for becomes volumes and a record in
docker's shape, empty volumes are filled from the image, the bundle names the mounts, removal
takes anonymous volumes only, and a volume in use stays; every failure undoes what it made."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator

import pytest
from dockyard.api import errors
from dockyard.services.engine.clients.fakes import FakeVolumes
from dockyard.services.engine.clients.fakes.images import make_image
from dockyard.services.engine.clients.images import ImageConfig
from dockyard.services.engine.clients.volumes import PutOptions, VolumeSpec
from dockyard.services.engine.copying import Copier
from dockyard.services.engine.model import ContainerConfig, HostConfig, MountSpec
from dockyard.services.engine.mounting import ANONYMOUS_LABEL
from dockyard.services.engine.volumes import Volumes

from .conftest import Rig


def fake(rig: Rig) -> FakeVolumes:
    assert isinstance(rig.clients.volumes, FakeVolumes)
    return rig.clients.volumes


def volumes(rig: Rig) -> Volumes:
    return Volumes(rig.clients.volumes, rig.life.mounter.users, rig.events)


def image_with_volume(rig: Rig) -> None:
    image = make_image("db", ImageConfig(cmd=["sh"], volumes=["/var/lib/db"]))
    rig.images.add(image, "db")
    rig.snapshots.add_committed(image.chain_id)
    fake(rig).image_dirs[""] = set()


async def create_db(rig: Rig, name: str, host: HostConfig | None = None) -> str:
    config = ContainerConfig(image="db", cmd=["sh"])
    return (await rig.life.creator.create(name, config, host or HostConfig())).id


async def test_every_syntax_lands_in_the_record_in_dockers_shape(rig: Rig) -> None:
    host = HostConfig(
        binds=["named:/named", "/srv/site:/site:ro", "/host/dir:/dir:rslave"],
        mounts=[
            MountSpec("tmpfs", "/scratch", tmpfs_size=1 << 20, has_tmpfs_options=True),
            MountSpec("volume", "/by-mount", "other"),
        ],
    )
    config = ContainerConfig(image="busybox", cmd=["sh"], volumes=["/anon"])
    container = await rig.life.creator.create("all", config, host)
    points = {m.destination: m for m in rig.store.get("all").mounts}
    assert sorted(points) == ["/anon", "/by-mount", "/dir", "/named", "/scratch", "/site"]
    named = points["/named"]
    assert (named.type, named.name, named.driver, named.mode, named.rw) == (
        "volume",
        "named",
        "local",
        "z",
        True,
    )
    assert named.source == "/fake/volumes/named/_data" and not named.anonymous
    assert points["/by-mount"].mode == ""  # --mount gives no mode, -v NAME gives "z"
    site = points["/site"]
    assert (site.type, site.source, site.rw, site.propagation) == (
        "bind",
        "/srv/site",
        False,
        "rprivate",
    )
    assert points["/dir"].propagation == "rslave"
    anon = points["/anon"]
    assert anon.anonymous and len(anon.name) == 64
    assert fake(rig).volumes[anon.name].labels == {ANONYMOUS_LABEL: ""}
    assert (points["/scratch"].type, points["/scratch"].tmpfs_options) == ("tmpfs", ["size=1m"])
    assert [e.action for e in rig.events.recent() if e.type == "volume"] == ["create"] * 3
    assert container.id == rig.store.get("all").id


async def test_an_empty_volume_is_filled_from_the_image_once(rig: Rig) -> None:
    image_with_volume(rig)
    fake(rig).image_dirs = _AnyLayer({"/var/lib/db"})
    await create_db(rig, "db1", HostConfig(binds=["filled:/var/lib/db"]))
    assert fake(rig).contents["filled"] == {"copied from /var/lib/db"}
    populated = fake(rig).seen[-1]  # the new container's layer alone: no mounts, not running
    assert populated.name == "db1" and populated.pid == 0 and populated.mounts == []
    assert populated.snapshot == rig.store.get("db1").id
    assert not any(m.anonymous for m in rig.store.get("db1").mounts)  # the VOLUME is covered
    fake(rig).contents["filled"].add("written by db1")
    await create_db(rig, "db2", HostConfig(binds=["filled:/var/lib/db"]))
    assert fake(rig).contents["filled"] == {"copied from /var/lib/db", "written by db1"}


async def test_nocopy_and_binds_are_never_filled(rig: Rig) -> None:
    image_with_volume(rig)
    fake(rig).image_dirs = _AnyLayer({"/var/lib/db", "/x"})
    host = HostConfig(
        binds=["kept:/var/lib/db:nocopy", "/srv:/x"],
        mounts=[MountSpec("volume", "/y", "also", volume_no_copy=True)],
    )
    await create_db(rig, "nocopy", host)
    assert fake(rig).contents["kept"] == set() and fake(rig).contents["also"] == set()


async def test_image_volumes_covered_by_a_mount_get_no_anonymous_volume(rig: Rig) -> None:
    image_with_volume(rig)
    await create_db(rig, "covered", HostConfig(binds=["mine:/var/lib/db/"]))
    assert set(fake(rig).volumes) == {"mine"}


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (HostConfig(binds=["a1:/x", "/b:/x"]), "Duplicate mount point: /x"),
        (
            HostConfig(binds=["a1:/x"], mounts=[MountSpec("volume", "/x/", "b1")]),
            "Duplicate mount point: /x",
        ),
        (HostConfig(binds=["a1:/x"], tmpfs={"/x": ""}), "Duplicate mount point: /x"),
        (HostConfig(mounts=[MountSpec("bind", "/x", "rel")]), "mount path must be absolute"),
        (HostConfig(binds=["data:rel"]), "invalid volume specification"),
        (HostConfig(volumes_from=["nosuch"]), "No such container: nosuch"),
        (
            HostConfig(mounts=[MountSpec("volume", "/x", "v1", volume_driver="flocker")]),
            'plugin "flocker" not found',
        ),
    ],
)
async def test_bad_mounts_are_refused_and_leave_nothing(
    rig: Rig, host: HostConfig, message: str
) -> None:
    host.binds = [*host.binds, "made-first:/first"]
    with pytest.raises((errors.InvalidArgument, errors.NotFound), match=message):
        await rig.create("bad", host)
    assert rig.leftovers() == []
    assert fake(rig).volumes == {}


@pytest.mark.parametrize("step", ["volumes.populate", "volumes.create"])
async def test_a_create_failing_after_volumes_were_made_removes_the_ones_it_made(
    rig: Rig, step: str
) -> None:
    await volumes(rig).create(VolumeSpec("existing"))
    image_with_volume(rig)
    fake(rig).image_dirs = _AnyLayer({"/var/lib/db"})
    host = HostConfig(binds=["existing:/e", "fresh:/f"])
    if step == "volumes.populate":
        rig.faults.fail(step, errors.Unavailable("volumes down"))
    else:  # the third: the image's anonymous volume, after "existing" and "fresh"
        await _fail_on_nth(rig, "volumes.create", 3)
    with pytest.raises(errors.Unavailable):
        await create_db(rig, "doomed", host)
    assert set(fake(rig).volumes) == {"existing"}  # what was there before stays
    assert rig.leftovers() == []


async def test_volumes_from_copies_the_mounts_with_their_mode(rig: Rig) -> None:
    await rig.create("source", HostConfig(binds=["shared:/data", "/srv:/srv"], tmpfs={}))
    await rig.create("reader", HostConfig(volumes_from=["source:ro"]))
    await rig.create("writer", HostConfig(volumes_from=["source"], binds=["/other:/srv"]))
    reader = {m.destination: m for m in rig.store.get("reader").mounts}
    assert {d: (m.type, m.rw) for d, m in reader.items()} == {
        "/data": ("volume", False),
        "/srv": ("bind", False),
    }
    writer = {m.destination: m for m in rig.store.get("writer").mounts}
    assert writer["/data"].rw and writer["/srv"].source == "/other"  # -v wins over inherited


async def test_the_bundle_names_every_mount_parents_first(rig: Rig) -> None:
    source = rig.root / "srv-a"  # a missing -v source is made at start, as docker does
    host = HostConfig(
        binds=[f"{source}:/data/sub", "vol:/data:ro"],
        mounts=[MountSpec("tmpfs", "/t", tmpfs_mode=0o700, has_tmpfs_options=True)],
        tmpfs={"/run": "size=1m"},
    )
    container = await rig.run("mounted", host)
    mounts = rig.tasks.tasks[container.id].spec.spec["mounts"]
    user = [m for m in mounts if m["destination"] in ("/data", "/data/sub", "/t", "/run")]
    assert [m["destination"] for m in user] == ["/run", "/data", "/t", "/data/sub"]
    assert source.is_dir()
    by = {m["destination"]: m for m in user}
    assert by["/data"] == {
        "destination": "/data",
        "type": "bind",
        "source": "/fake/volumes/vol/_data",
        "options": ["rbind", "ro", "rprivate"],
    }
    assert by["/data/sub"]["options"] == ["rbind", "rprivate"]
    assert by["/t"] == {
        "destination": "/t",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["noexec", "nosuid", "nodev", "mode=700"],
    }


async def test_a_mount_over_an_engine_file_replaces_it(rig: Rig) -> None:
    mine = rig.root / "hosts"
    mine.write_text("127.0.0.1 mine\n")
    container = await rig.run("hosts", HostConfig(binds=[f"{mine}:/etc/hosts:ro"]))
    mounts = rig.tasks.tasks[container.id].spec.spec["mounts"]
    hosts = [m for m in mounts if m["destination"] == "/etc/hosts"]
    assert [m["source"] for m in hosts] == [str(mine)]


async def test_rm_v_and_run_rm_take_anonymous_volumes_only(rig: Rig) -> None:
    config = ContainerConfig(image="busybox", cmd=["sh"], volumes=["/anon"])
    first = await rig.life.creator.create("one", config, HostConfig(binds=["named:/named"]))
    anon = next(m.name for m in first.mounts if m.anonymous)
    await rig.life.remove("one", force=False, volumes=True)
    assert set(fake(rig).volumes) == {"named"}
    auto = HostConfig(auto_remove=True, binds=["named:/named"])
    second = await rig.life.creator.create("two", config, auto)
    anon2 = next(m.name for m in second.mounts if m.anonymous)
    await rig.life.remove("two", force=False)
    assert set(fake(rig).volumes) == {"named"} and anon != anon2
    kept = await rig.life.creator.create("three", config, HostConfig())
    await rig.life.remove("three", force=False)  # no -v: its anonymous volume stays
    assert next(m.name for m in kept.mounts if m.anonymous) in fake(rig).volumes


async def test_an_anonymous_volume_another_container_uses_stays(rig: Rig) -> None:
    config = ContainerConfig(image="busybox", cmd=["sh"], volumes=["/anon"])
    first = await rig.life.creator.create("first", config, HostConfig())
    await rig.create("borrower", HostConfig(volumes_from=["first"]))
    await rig.life.remove("first", force=False, volumes=True)
    assert next(m.name for m in first.mounts) in fake(rig).volumes


async def test_a_volume_in_use_is_not_removed(rig: Rig) -> None:
    container = await rig.create("user", HostConfig(binds=["busy:/b"]))
    with pytest.raises(
        errors.FailedPrecondition, match=f"remove busy: volume is in use - \\[{container.id}\\]"
    ):
        await volumes(rig).remove("busy", force=True)
    await rig.life.remove("user", force=False)
    await volumes(rig).remove("busy", force=False)
    assert fake(rig).volumes == {}
    await volumes(rig).remove("busy", force=True)  # a missing one, with -f: fine
    with pytest.raises(errors.NotFound, match="get busy: no such volume"):
        await volumes(rig).remove("busy", force=False)


async def test_a_volume_being_removed_is_not_taken_by_a_create(rig: Rig) -> None:
    await volumes(rig).create(VolumeSpec("racing"))
    users = rig.life.mounter.users
    with users.removing("racing"), pytest.raises(errors.FailedPrecondition, match="being removed"):
        await rig.create("late", HostConfig(binds=["racing:/r"]))
    assert rig.leftovers() == []


async def test_ls_filters_and_usage(rig: Rig) -> None:
    api = volumes(rig)
    await api.create(VolumeSpec("loose", labels={"tier": "db"}))
    await rig.create("user", HostConfig(binds=["held:/h"]))
    names = lambda found: [v.name for v in found]  # noqa: E731
    assert names(await api.list_volumes([], False)) == ["held", "loose"]
    assert names(await api.list_volumes(["dangling=true"], False)) == ["loose"]
    assert names(await api.list_volumes(["dangling=false"], False)) == ["held"]
    assert names(await api.list_volumes(["label=tier=db"], False)) == ["loose"]
    assert names(await api.list_volumes(["name=hel"], False)) == ["held"]
    assert names(await api.list_volumes(["driver=local"], False)) == ["held", "loose"]
    with_usage = {v.name: v.usage for v in await api.list_volumes([], True)}
    assert with_usage["held"] is not None and with_usage["held"].ref_count == 1
    with pytest.raises(errors.InvalidArgument, match="Invalid filter 'colour'"):
        await api.list_volumes(["colour=red"], False)


async def test_prune_takes_unused_anonymous_volumes_or_all_with_a(rig: Rig) -> None:
    api = volumes(rig)
    await api.create(VolumeSpec("named"))
    await api.create(VolumeSpec("labelled", labels={"keep": "yes"}))
    config = ContainerConfig(image="busybox", cmd=["sh"], volumes=["/anon"])
    loose = await rig.life.creator.create("loose", config, HostConfig())
    anon = loose.mounts[0].name
    await rig.life.remove("loose", force=False)
    await rig.create("user", HostConfig(binds=["used:/u"]))
    pruned = await api.prune(False, [])
    assert pruned.removed == [anon]
    pruned = await api.prune(True, ["label!=keep"])
    assert pruned.removed == ["named"]
    assert set(fake(rig).volumes) == {"labelled", "used"}


async def test_cp_enters_a_running_container_and_holds_a_stopped_one(rig: Rig) -> None:
    container = await rig.run(
        "box", HostConfig(binds=["data:/data", f"{rig.root}:/srv:ro"], read_only=True)
    )
    copier = Copier(rig.store, rig.life.locks, rig.life.mounter, rig.clients.volumes)
    fake(rig).files[(container.id, "/etc")] = (stat.S_IFDIR | 0o755, b"")
    found = await copier.stat("box", "/etc")
    assert stat.S_ISDIR(found.mode)
    running = fake(rig).seen[-1]
    assert running.pid == rig.store.get("box").state.pid and running.read_only
    assert [(m.target, m.options) for m in running.mounts] == [
        ("/data", ["rbind", "rprivate"]),
        ("/srv", ["rbind", "rprivate", "ro"]),
    ]
    await rig.life.stop("box", 0)
    chunks = [c async for c in copier.get_archive("box", "/etc")]
    assert fake(rig).seen[-1].pid == 0 and len(chunks) == 2

    async def tar() -> AsyncIterator[bytes]:
        assert rig.life.locks(container.id).locked()  # a start would wait for the copy
        yield b"tar bytes"

    await copier.put_archive("box", "/etc", PutOptions(copy_uid_gid=True), tar())
    assert fake(rig).put == [("/etc", PutOptions(copy_uid_gid=True), b"tar bytes")]
    with pytest.raises(errors.NotFound, match="Could not find the file /nope in container box"):
        await copier.stat("box", "/nope")
    with pytest.raises(errors.NotFound, match="No such container: gone"):
        await copier.stat("gone", "/")


class _AnyLayer(dict[str, set[str]]):
    """The same image directories for whatever layer is asked about."""

    def __init__(self, dirs: set[str]) -> None:
        super().__init__()
        self._dirs = dirs

    def get(self, key: str, default: object = None) -> set[str]:  # type: ignore[override]
        return self._dirs


async def _fail_on_nth(rig: Rig, op: str, n: int) -> None:
    """Let `n - 1` calls of `op` pass, then fail the next."""
    original = rig.faults.enter
    seen = {"count": 0}

    def enter(name: str, key: str = "") -> None:
        if name == op:
            seen["count"] += 1
            if seen["count"] == n:
                original(name, key)
                raise errors.Unavailable("volumes down")
        original(name, key)

    rig.faults.enter = enter  # type: ignore[method-assign]


async def test_ps_filters_by_volume_name_or_destination(rig: Rig) -> None:
    from dockyard.services.engine.reading import Reader
    from dockyard.services.engine.sizes import Sizes

    await rig.create("with", HostConfig(binds=["data:/data", f"{rig.root}:/host"]))
    await rig.create("without")
    reader = Reader(rig.store, Sizes(rig.snapshots, rig.images))
    for value in ("data", "/data", "/host"):
        assert [c.name for c in reader.list(True, [f"volume={value}"], 0)] == ["with"]
    assert reader.list(True, ["volume=other"], 0) == []
