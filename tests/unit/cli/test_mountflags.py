"""`-v`, `--mount` and `cp`'s path rules as docker's CLI applies them, before the engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dockyard.cli import copying, copyrules, mountflags
from dockyard.cli.copyrules import Info


def test_v_splits_binds_from_anonymous_volumes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/tmp")
    binds, anonymous = mountflags.volumes(
        ["data:/data", "/srv:/srv:ro", "/anon", "./rel:/rel:ro", ".:/here", "x"]
    )
    assert binds == ["data:/data", "/srv:/srv:ro", "/tmp/rel:/rel:ro", "/tmp:/here"]
    assert anonymous == ["/anon", "x"]


@pytest.mark.parametrize(
    ("value", "message"),
    [(":/x", "empty section between colons"), ("a:b:c:d", "too many colons")],
)
def test_v_errors(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        mountflags.volumes([value])
    assert exit_.value.code == 125
    assert message in capsys.readouterr().err


def test_mount_fields() -> None:
    spec = mountflags.mount(
        "type=volume,src=data,dst=/d,ro,volume-nocopy,volume-label=a=b,volume-opt=type=tmpfs,"
        "volume-driver=local"
    )
    assert (spec.type, spec.source, spec.target, spec.read_only) == ("volume", "data", "/d", True)
    assert spec.volume_no_copy and spec.has_volume_options
    assert dict(spec.volume_labels) == {"a": "b"}
    assert dict(spec.volume_options) == {"type": "tmpfs"} and spec.volume_driver == "local"
    tmpfs = mountflags.mount("type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770")
    assert (tmpfs.tmpfs_size, tmpfs.tmpfs_mode) == (64 << 20, 0o1770)
    bind = mountflags.mount('"type=bind","source=/a,b",target=/b,bind-propagation=rslave')
    assert (bind.source, bind.bind_propagation) == ("/a,b", "rslave")
    assert mountflags.mount("type=bind,source=./x,target=/x").source == os.path.abspath("x")
    assert mountflags.mount("type=bind,source=rel,target=/x").source == "rel"  # the engine says


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("target=/x", "type is required"),
        ("type=volume", "target is required"),
        (
            "type=bind,target=/x,volume-nocopy",
            "cannot mix 'volume-*' options with mount type 'bind'",
        ),
        ("type=volume,target=/x,tmpfs-size=1m", "cannot mix 'tmpfs-*' options"),
        ("type=tmpfs,target=/x,bind-propagation=shared", "cannot mix 'bind-*' options"),
        ("type=volume,target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'"),
        ("type=volume,target=/x,bogus", "invalid field 'bogus' must be a key=value pair"),
        ("type=volume,target=/x,readonly=maybe", "invalid value for readonly: maybe"),
        ("type=tmpfs,target=/x,tmpfs-size=lots", "invalid value for tmpfs-size: lots"),
        ("type=tmpfs,target=/x,tmpfs-mode=9", "invalid value for tmpfs-mode: 9"),
    ],
)
def test_mount_errors(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        mountflags.mount(value)
    assert exit_.value.code == 125
    err = capsys.readouterr().err
    assert f'invalid argument "{value}" for "--mount" flag: {message}' in err
    assert len(err.splitlines()) == 1


def test_cp_arguments() -> None:
    assert copying.split_arg("c1:/etc") == ("c1", "/etc")
    assert copying.split_arg("/abs:path") == ("", "/abs:path")
    assert copying.split_arg("./file:name") == ("", "./file:name")
    assert copying.split_arg("plain") == ("", "plain")
    assert copying.split_arg("c1:") == ("c1", "")


def test_cp_local_paths_keep_a_trailing_slash_or_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/tmp")
    assert copyrules.local_path("x/") == "/tmp/x/"
    assert copyrules.local_path("x/.") == "/tmp/x/."
    assert copyrules.local_path(".") == "/tmp/."
    assert copyrules.split_dir_entry("/a/b/.") == ("/a/b", ".")
    assert copyrules.split_dir_entry("/a/b/") == ("/a", "b")


def test_cp_rebase_names() -> None:
    assert copyrules.rebase_name("/a/link", "/a/target") == ("/a/target", "link")
    assert copyrules.rebase_name("/a/link/", "/x/dir") == ("/x/dir/", "link")
    assert copyrules.rebase_name("/a/link/.", "/x/dir") == ("/x/dir/.", "")


@pytest.mark.parametrize(
    ("source", "destination", "expected"),
    [
        (Info("/c/dir", True, True), Info("/h/out", True, True), ("/h/out", "dir", "dir")),
        (Info("/c/dir/.", True, True), Info("/h/out", True, True), ("/h/out", ".", ".")),
        (Info("/c/dir", True, True), Info("/h/new"), ("/h", "dir", "new")),
        (Info("/c/f", True, False), Info("/h/file", True, False), ("/h", "f", "file")),
        (Info("/c/f", True, False), Info("/h/new"), ("/h", "f", "new")),
        (Info("/c/t", True, False, "link"), Info("/h/out", True, True), ("/h/out", "t", "link")),
    ],
)
def test_cp_prepares_the_copy_as_moby_does(
    source: Info, destination: Info, expected: tuple[str, str, str]
) -> None:
    assert copyrules.prepare(source, destination) == expected


@pytest.mark.parametrize(
    ("source", "destination", "message"),
    [
        (Info("/c/dir", True, True), Info("/h/file", True, False), "cannot copy directory"),
        (Info("/c/f", True, False), Info("/h/new/"), "no such directory"),
    ],
)
def test_cp_refuses_what_moby_refuses(
    source: Info, destination: Info, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        copyrules.prepare(source, destination)
    assert message in capsys.readouterr().err


def test_cp_destinations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dir").mkdir()
    os.symlink("dir", tmp_path / "link")
    assert copyrules.destination_info(str(tmp_path / "link")) == Info(
        str(tmp_path / "dir"), True, True
    )
    assert copyrules.destination_info(str(tmp_path / "new")) == Info(str(tmp_path / "new"))
    with pytest.raises(SystemExit):
        copyrules.destination_info(str(tmp_path / "no" / "new"))
    assert "no such file or directory" in capsys.readouterr().err
