"""The snapshot diff over a hand-made overlay upper directory: changes (A/C/D), the layer tar
(whiteouts, opaque markers, hard links), mount stubs left out and removed."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from dockyard.services.snapshots.diff import Change, Differ

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="whiteouts and trusted xattrs need root")


@pytest.fixture
def layers(tmp_path: Path) -> tuple[Path, Path]:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    for d in ("etc", "usr/bin", "var/log", "home/user"):
        (lower / d).mkdir(parents=True)
    (lower / "etc/passwd").write_text("root\n")
    (lower / "usr/bin/tool").write_text("old")
    (lower / "var/log/old.log").write_text("x")
    upper.mkdir()
    return lower, upper


def tar_names(differ: Differ) -> tuple[list[str], tarfile.TarFile]:
    out = io.BytesIO()
    differ.write_tar(out)
    out.seek(0)
    tar = tarfile.open(fileobj=out)  # noqa: SIM115 - read by the caller, in memory
    return tar.getnames(), tar


def test_added_and_changed(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "usr/bin").mkdir(parents=True)
    (upper / "usr/bin/tool").write_text("new")
    (upper / "usr/bin/extra").write_text("extra")
    os.link(upper / "usr/bin/extra", upper / "usr/bin/extra2")
    (upper / "opt").mkdir()
    (upper / "opt/link").symlink_to("/etc/passwd")
    differ = Differ.of(upper, [lower], [])
    assert differ.changes() == [
        Change("A", "/opt"),
        Change("A", "/opt/link"),
        Change("C", "/usr"),
        Change("C", "/usr/bin"),
        Change("A", "/usr/bin/extra"),
        Change("A", "/usr/bin/extra2"),
        Change("C", "/usr/bin/tool"),
    ]
    # docker's layer size: "new", "extra" once (extra2 is its hardlink), the link's target
    written = differ.write_tar(io.BytesIO())
    assert written.size == len("new") + len("extra") + len("/etc/passwd")
    names, tar = tar_names(differ)
    assert names == [
        "opt",
        "opt/link",
        "usr",
        "usr/bin",
        "usr/bin/extra",
        "usr/bin/extra2",
        "usr/bin/tool",
    ]
    assert tar.getmember("usr/bin/extra2").islnk()
    assert tar.getmember("usr/bin/extra2").linkname == "usr/bin/extra"
    assert tar.getmember("opt/link").linkname == "/etc/passwd"
    assert tar.extractfile("usr/bin/tool").read() == b"new"  # type: ignore[union-attr]


@root_only
def test_deletions_and_opaque_directories(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "var").mkdir()
    (upper / "var/log").mkdir()
    os.setxattr(upper / "var/log", "trusted.overlay.opaque", b"y")
    (upper / "var/log/new.log").write_text("n")
    (upper / "etc").mkdir()
    os.mknod(upper / "etc/passwd", 0o020000, os.makedev(0, 0))
    differ = Differ.of(upper, [lower], [])
    assert differ.changes() == [
        Change("C", "/etc"),
        Change("D", "/etc/passwd"),
        Change("C", "/var"),
        Change("C", "/var/log"),
        Change("A", "/var/log/new.log"),
    ]
    names, _ = tar_names(differ)
    assert names == [
        "etc",
        "etc/.wh.passwd",
        "var",
        "var/log",
        "var/log/.wh..wh..opq",
        "var/log/new.log",
    ]


def test_mount_stubs_are_not_changes_and_can_be_removed(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "etc").mkdir()
    (upper / "etc/hosts").write_text("")  # a stub: absent below, empty
    (upper / "proc").mkdir()  # a stub directory
    (upper / "root/.cache").mkdir(parents=True)  # a RUN --mount target, and what holds it
    (upper / "home/user").mkdir(parents=True)
    (upper / "home/user/kept").write_text("k")
    os.chmod(upper / "etc", os.stat(lower / "etc").st_mode)
    differ = Differ.of(upper, [lower], ["/etc/hosts", "/proc", "/root/.cache", "/etc/resolv.conf"])
    assert differ.changes() == [
        Change("C", "/home"),
        Change("C", "/home/user"),
        Change("A", "/home/user/kept"),
    ]
    differ.remove_stubs()
    assert sorted(os.listdir(upper)) == ["home"]


def test_a_stub_with_content_or_known_below_is_a_change(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    (upper / "etc").mkdir()
    (upper / "etc/passwd").write_text("")  # exists below: a real change, even empty
    (upper / "etc/hosts").write_text("127.0.0.1 x\n")  # has content
    differ = Differ.of(upper, [lower], ["/etc/passwd", "/etc/hosts"])
    assert [c.path for c in differ.changes()] == ["/etc", "/etc/hosts", "/etc/passwd"]


def test_nothing_changed(layers: tuple[Path, Path]) -> None:
    lower, upper = layers
    out = io.BytesIO()
    assert Differ.of(upper, [lower], []).write_tar(out).entries == 0


def test_a_symlink_planted_in_the_upper_dir_is_never_followed(
    layers: tuple[Path, Path], tmp_path: Path
) -> None:
    lower, upper = layers
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("host")
    (upper / "escape").symlink_to(outside)
    names, tar = tar_names(Differ.of(upper, [lower], []))
    assert names == ["escape"]
    assert tar.getmember("escape").issym()
