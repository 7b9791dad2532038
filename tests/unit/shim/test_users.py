from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.shim.users import UnknownUser, User, resolve

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n"
GROUP = "root:x:0:\nwheel:x:10:root,app\nstaff:x:50:app\nnogroup:x:65534:\napp:x:1000:\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text(PASSWD)
    (tmp_path / "etc/group").write_text(GROUP)
    return tmp_path


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("", User(0, 0, (0, 10), "/root")),
        ("app", User(1000, 1000, (10, 50, 1000), "/home/app")),
        ("1000", User(1000, 1000, (10, 50, 1000), "/home/app")),
        ("app:staff", User(1000, 50, (10, 50), "/home/app")),
        ("nobody:wheel", User(65534, 10, (10,), "/nonexistent")),
        ("4242", User(4242, 0, (0,), "/")),
        ("4242:4343", User(4242, 4343, (4343,), "/")),
    ],
)
def test_resolution_as_docker_does_it(root: Path, spec: str, expected: User) -> None:
    assert resolve(spec, root=root) == expected


def test_unknown_names_are_errors(root: Path) -> None:
    with pytest.raises(UnknownUser, match="unable to find user ghost"):
        resolve("ghost", root=root)
    with pytest.raises(UnknownUser, match="unable to find group ghosts"):
        resolve("app:ghosts", root=root)


def test_the_images_etc_is_read_inside_its_rootfs(tmp_path: Path) -> None:
    """/etc/passwd → the host's file: the link is followed inside the rootfs, where it is not."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "passwd").write_text("ghost:x:7:7::/host:/bin/sh\n")
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc/passwd").symlink_to(host / "passwd")
    with pytest.raises(UnknownUser):
        resolve("ghost", root=rootfs)


def test_ids_past_what_setuid_takes_are_refused_in_dockers_words(root: Path) -> None:
    with pytest.raises(UnknownUser, match="uids and gids must be in range 0-2147483647"):
        resolve("99999999999", root=root)
    with pytest.raises(UnknownUser, match="uids and gids must be in range"):
        resolve("app:99999999999", root=root)
