"""Layer application as root: whiteouts, opaque dirs, ownership, and hostile tarballs that try
to write outside the snapshot. Nothing outside the snapshot may change, whatever the layer."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from dockyard.api.errors import DigestMismatch, InvalidArgument
from dockyard.services.snapshots.snapshotter import OverlaySnapshotter

pytestmark = pytest.mark.integration

Build = Callable[[tarfile.TarFile], None]


def tar_bytes(build: Build) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar)
    return buf.getvalue()


def entry(
    tar: tarfile.TarFile,
    name: str,
    kind: bytes = tarfile.REGTYPE,
    data: bytes = b"",
    link: str = "",
    mode: int = 0o644,
    uid: int = 0,
    gid: int = 0,
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.uid, info.gid = kind, link, mode, uid, gid
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.fixture
def world(tmp_path: Path) -> tuple[OverlaySnapshotter, Path, Path]:
    """A snapshotter, and an `outside` directory a hostile layer would love to write to."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("original")
    snapshotter = OverlaySnapshotter(tmp_path / "snapshots")
    yield snapshotter, outside, tmp_path
    snapshotter.close()


def apply(
    world: tuple[OverlaySnapshotter, Path, Path], build: Build, parent: str = "", key: str = "k"
) -> Path:
    snapshotter, _, tmp = world
    blob = tmp / f"{key}.tar"
    blob.write_bytes(tar_bytes(build))
    mounts = snapshotter.prepare(key, parent, {})
    snapshotter.apply(key, blob, "", "")
    upper = [o for o in mounts[0].options if o.startswith("upperdir=")]
    return Path(upper[0].split("=", 1)[1]) if upper else Path(mounts[0].source)


def untouched(outside: Path) -> None:
    assert sorted(p.name for p in outside.iterdir()) == ["victim"]
    assert (outside / "victim").read_text() == "original"


def test_files_modes_owners_links_and_devices(world: tuple[OverlaySnapshotter, Path, Path]) -> None:
    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "dir", tarfile.DIRTYPE, mode=0o750)
        entry(tar, "dir/file", data=b"hello", mode=0o4755, uid=1000, gid=100)
        entry(tar, "dir/link", tarfile.SYMTYPE, link="/etc/passwd")
        entry(tar, "dir/hard", tarfile.LNKTYPE, link="dir/file")
        entry(tar, "dev-null", tarfile.CHRTYPE, mode=0o666)
        entry(tar, "fifo", tarfile.FIFOTYPE)

    fs = apply(world, build)
    info = os.stat(fs / "dir/file")
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1000, 100, 0o4755)
    assert os.readlink(fs / "dir/link") == "/etc/passwd"
    assert os.stat(fs / "dir/hard").st_ino == info.st_ino
    assert stat.S_ISCHR(os.lstat(fs / "dev-null").st_mode)
    assert stat.S_ISFIFO(os.lstat(fs / "fifo").st_mode)
    assert stat.S_IMODE(os.stat(fs / "dir").st_mode) == 0o750


def test_whiteouts_and_opaque_markers(world: tuple[OverlaySnapshotter, Path, Path]) -> None:
    snapshotter = world[0]

    def base(tar: tarfile.TarFile) -> None:
        entry(tar, "a", data=b"a")
        entry(tar, "d", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "d/x", data=b"x")

    apply(world, base, key="base")
    snapshotter.commit("base-c", "base", {})

    def top(tar: tarfile.TarFile) -> None:
        entry(tar, ".wh.a")
        entry(tar, "d", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "d/.wh..wh..opq")
        entry(tar, "d/y", data=b"y")

    fs = apply(world, top, parent="base-c", key="top")
    whiteout = os.lstat(fs / "a")
    assert stat.S_ISCHR(whiteout.st_mode) and whiteout.st_rdev == os.makedev(0, 0)
    assert os.getxattr(fs / "d", "trusted.overlay.opaque") == b"y"
    assert not (fs / ".wh.a").exists() and not (fs / "d/.wh..wh..opq").exists()


def test_the_diff_id_is_checked(world: tuple[OverlaySnapshotter, Path, Path]) -> None:
    snapshotter, _, tmp = world
    blob = tmp / "l.tar"
    blob.write_bytes(tar_bytes(lambda tar: entry(tar, "f", data=b"f")))
    snapshotter.prepare("k", "", {})
    with pytest.raises(DigestMismatch, match="diff ID mismatch"):
        snapshotter.apply("k", blob, "", "sha256:" + "0" * 64)


HOSTILE: dict[str, Build] = {
    "dotdot name": lambda tar: entry(tar, "../outside/victim", data=b"pwned"),
    "deep dotdot name": lambda tar: entry(tar, "a/../../../outside/new", data=b"pwned"),
    "hardlink out": lambda tar: entry(tar, "h", tarfile.LNKTYPE, link="../outside/victim"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_escaping_names_reject_the_layer(
    world: tuple[OverlaySnapshotter, Path, Path], case: str
) -> None:
    with pytest.raises(InvalidArgument):
        apply(world, HOSTILE[case])
    untouched(world[1])


def test_absolute_names_stay_inside(world: tuple[OverlaySnapshotter, Path, Path]) -> None:
    outside = world[1]
    fs = apply(world, lambda tar: entry(tar, f"{outside}/victim", data=b"pwned"))
    untouched(outside)
    assert (fs / str(outside).lstrip("/") / "victim").read_bytes() == b"pwned"


def test_writing_through_an_absolute_symlink_stays_inside(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    outside = world[1]

    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "escape", tarfile.SYMTYPE, link=str(outside))
        entry(tar, "escape/victim", data=b"pwned")
        entry(tar, "escape/new", data=b"pwned")

    fs = apply(world, build)
    untouched(outside)
    assert (fs / str(outside).lstrip("/") / "victim").read_bytes() == b"pwned"  # resolved in scope


def test_writing_through_a_climbing_symlink_stays_inside(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    outside = world[1]

    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "up", tarfile.SYMTYPE, link="../../../../../../../..")
        entry(tar, f"up{outside}/victim", data=b"pwned")

    apply(world, build)
    untouched(outside)


def test_a_symlink_replacing_a_directory_is_not_followed(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    outside = world[1]

    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "d", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "d", tarfile.SYMTYPE, link=str(outside))
        entry(tar, "d/victim", data=b"pwned")

    apply(world, build)
    untouched(outside)


def test_a_hardlink_to_a_symlink_pointing_out_does_not_reach_out(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    outside = world[1]

    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "link", tarfile.SYMTYPE, link=str(outside / "victim"))
        entry(tar, "hard", tarfile.LNKTYPE, link="link")

    fs = apply(world, build)
    untouched(outside)
    assert os.path.islink(fs / "hard")  # a second name for the symlink itself, not its target


def test_a_whiteout_through_a_symlink_stays_inside(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    outside = world[1]

    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "esc", tarfile.SYMTYPE, link=str(outside))
        entry(tar, "esc/.wh.victim")

    apply(world, build)
    untouched(outside)


def test_garbage_is_a_clear_error(world: tuple[OverlaySnapshotter, Path, Path]) -> None:
    snapshotter, _, tmp = world
    blob = tmp / "garbage"
    blob.write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(512))
    snapshotter.prepare("g", "", {})
    with pytest.raises(InvalidArgument, match="not a valid tar archive"):
        snapshotter.apply("g", blob, "", "")


def pax_entry(tar: tarfile.TarFile, name: str, headers: dict[str, str], data: bytes = b"") -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.pax_headers = len(data), 0o755, headers
    tar.addfile(info, io.BytesIO(data))


def raw_entry(tar: tarfile.TarFile, name: str, **fields: int) -> None:
    info = tarfile.TarInfo(name)
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(b""))


BAD_LAYERS: dict[str, tuple[Build, str]] = {
    ".wh.": (lambda tar: entry(tar, "d/.wh."), 'invalid whiteout "d/.wh."'),
    ".wh..": (lambda tar: entry(tar, "d/.wh.."), 'invalid whiteout "d/.wh.."'),
    ".wh... at the root": (lambda tar: entry(tar, ".wh..."), 'invalid whiteout ".wh..."'),
    ".wh... in a dir": (lambda tar: entry(tar, "d/.wh..."), 'invalid whiteout "d/.wh..."'),
    "junk security.capability": (
        lambda tar: pax_entry(tar, "bin/ping", {"SCHILY.xattr.security.capability": "junk"}),
        "failed to register layer: lsetxattr security.capability /bin/ping: invalid argument",
    ),
    "uid out of range": (
        lambda tar: raw_entry(tar, "f", uid=1 << 40),
        'failed to register layer: "f": ',
    ),
    "device number out of range": (
        lambda tar: raw_entry(
            tar, "dev", type=tarfile.CHRTYPE, devmajor=(1 << 21) - 1, devminor=(1 << 21) - 1
        ),
        'failed to register layer: "dev": ',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LAYERS))
def test_bad_layers_are_one_clear_error(
    world: tuple[OverlaySnapshotter, Path, Path], case: str
) -> None:
    snapshotter, _, tmp = world
    build, message = BAD_LAYERS[case]
    blob = tmp / "bad.tar"
    blob.write_bytes(tar_bytes(lambda tar: (entry(tar, "d/keep", data=b"k"), build(tar))))
    mounts = snapshotter.prepare("bad", "", {})
    with pytest.raises(InvalidArgument) as err:
        snapshotter.apply("bad", blob, "", "")
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    fs = Path(mounts[0].source)
    assert (fs / "d/keep").read_bytes() == b"k"  # no whiteout removed a directory
    snapshotter.remove("bad")
    untouched(world[1])


def test_overlay_xattrs_and_aufs_metadata_are_not_taken_from_a_layer(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    def build(tar: tarfile.TarFile) -> None:
        pax_entry(tar, "f", {"SCHILY.xattr.trusted.overlay.redirect": "/etc"}, b"f")
        entry(tar, ".wh..wh.plnk", tarfile.DIRTYPE)
        entry(tar, ".wh..wh.plnk/123.456", data=b"aufs")
        pax_entry(tar, "g", {"SCHILY.xattr.user.kept": "yes"}, b"g")

    fs = apply(world, build)
    assert "trusted.overlay.redirect" not in os.listxattr(fs / "f")
    assert os.getxattr(fs / "g", "user.kept") == b"yes"
    assert sorted(p.name for p in fs.iterdir()) == ["f", "g"]


# The extractor keeps the directories it writes into open from one entry to the next: an entry
# that replaces one of them, or a symlink on the way to one, must send what follows where the
# path leads now, never into the directory that went (nor outside).


def test_a_directory_replaced_by_a_symlink_leads_where_the_link_does(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "etc", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "a", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "a/first", data=b"1")
        entry(tar, "a", tarfile.SYMTYPE, link="/etc")  # absolute: inside the snapshot
        entry(tar, "a/second", data=b"2")

    fs = apply(world, build)
    assert (fs / "etc" / "second").read_bytes() == b"2"
    assert (fs / "a").is_symlink()
    untouched(world[1])


def test_a_symlink_replaced_by_a_directory_is_written_into(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "target", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "a", tarfile.SYMTYPE, link="target")
        entry(tar, "a/first", data=b"1")
        entry(tar, "a", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "a/second", data=b"2")

    fs = apply(world, build)
    assert (fs / "target" / "first").read_bytes() == b"1"
    assert not (fs / "a").is_symlink()
    assert (fs / "a" / "second").read_bytes() == b"2"
    assert not (fs / "target" / "second").exists()


def test_a_whited_out_directory_made_again_takes_what_follows(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "x/y", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "x/y/first", data=b"1")
        entry(tar, "x/.wh.y")
        entry(tar, "x/z", data=b"z")
        entry(tar, "x/y/second", data=b"2")

    fs = apply(world, build)
    assert sorted(p.name for p in (fs / "x" / "y").iterdir()) == ["second"]
    assert (fs / "x" / "z").read_bytes() == b"z"


def test_an_entry_given_twice_is_the_last_one(
    world: tuple[OverlaySnapshotter, Path, Path],
) -> None:
    def build(tar: tarfile.TarFile) -> None:
        entry(tar, "d/f", data=b"old")
        entry(tar, "d/f", data=b"new", mode=0o4755)
        entry(tar, "d/g", tarfile.DIRTYPE, mode=0o755)
        entry(tar, "d/g", data=b"a file now")
        entry(tar, "d/.wh.h")

    fs = apply(world, build)
    assert (fs / "d" / "f").read_bytes() == b"new"
    assert stat.S_IMODE((fs / "d" / "f").stat().st_mode) == 0o4755
    assert (fs / "d" / "g").read_bytes() == b"a file now"
    assert stat.S_ISCHR((fs / "d" / "h").lstat().st_mode)
