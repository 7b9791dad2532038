"""docker diff and docker commit: a container's changes listed (A/C/D) and made an image."""

from __future__ import annotations

import json

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def test_a_pristine_container_has_no_changes(engine: Engine, busybox: str) -> None:
    """docker's init files are there (an empty /.dockerenv, /etc/mtab → /proc/mounts), and
    are no change of the container's: not in its diff, nor in the layer a commit makes."""
    script = "stat -c '%a %s' /.dockerenv; readlink /etc/mtab"
    assert engine.ok("run", "--name", "pristine", busybox, "sh", "-c", script) == (
        "755 0\n/proc/mounts\n"
    )
    assert engine.ok("diff", "pristine") == ""
    engine.ok("commit", "pristine", "pristine:v1")
    assert engine.ok("history", "--format", "{{.Size}}", "pristine:v1").split()[0] == "0B"
    engine.ok("rm", "pristine")
    engine.ok("rmi", "pristine:v1")


def test_diff_lists_added_changed_and_deleted(engine: Engine, busybox: str) -> None:
    script = "echo new > /tmp/new; rm /etc/group; mkdir -p /root/dir; echo x >> /etc/passwd"
    engine.ok("run", "--name", "changed", busybox, "sh", "-c", script)
    assert engine.ok("diff", "changed") == (
        "C /etc\nD /etc/group\nC /etc/passwd\nC /root\nA /root/dir\nC /tmp\nA /tmp/new\n"
    )


def test_commit_makes_an_image_of_the_changes(engine: Engine, busybox: str) -> None:
    engine.ok(
        "run", "-d", "--name", "to-commit", busybox, "sh", "-c", "echo made > /made; sleep 60"
    )
    engine.ok("exec", "to-commit", "sh", "-c", "test -e /made || sleep 1")
    image = engine.ok(
        "commit",
        "-m",
        "a message",
        "-a",
        "someone",
        "-c",
        'CMD ["cat", "/made"]',
        "-c",
        "ENV ADDED=yes",
        "to-commit",
        "committed:v1",
    ).strip()
    assert image.startswith("sha256:")
    assert engine.ok("inspect", "-f", "{{.State.Status}}", "to-commit") == "running\n"
    assert engine.ok("run", "--rm", "committed:v1") == "made\n"
    inspected = json.loads(engine.ok("image", "inspect", "committed:v1"))[0]
    assert "ADDED=yes" in inspected["Config"]["Env"]
    assert inspected["Author"] == "someone"
    assert inspected["Comment"] == "a message"
    base = engine.ok("image", "inspect", "-f", "{{.Id}}", busybox).strip()
    assert inspected["Parent"] == base  # docker commit records the container's image
    assert engine.ok("history", "-q", "--no-trunc", "committed:v1").split()[:2] == [image, base]


def test_diff_and_commit_of_a_missing_container(engine: Engine) -> None:
    for verb in ("diff", "commit"):
        result = engine.cli(verb, "no-such-container")
        assert result.returncode == 1
        assert "No such container: no-such-container" in result.stderr


def test_rmi_of_a_commit_on_a_commit_deletes_both_and_their_layers(
    engine: Engine, busybox: str
) -> None:
    """Docker 20.10's rmi: each image, then the layer that went with it, down the untagged
    parent chain (a commit's layer is held by its image alone)."""
    engine.ok("run", "--name", "commit-one", busybox, "touch", "/one")
    first = engine.ok("commit", "commit-one").strip()
    engine.ok("run", "--name", "commit-two", first, "touch", "/two")
    second = engine.ok("commit", "commit-two", "committed:twice").strip()
    engine.ok("rm", "commit-one", "commit-two")
    assert engine.ok("image", "inspect", "-f", "{{.Parent}}", second).strip() == first
    lines = engine.ok("rmi", "committed:twice").splitlines()
    assert lines[0] == "Untagged: committed:twice"
    assert [line.split()[0] for line in lines[1:]] == ["Deleted:"] * 4
    deleted = [line.split()[1] for line in lines[1:]]
    assert deleted[0] == second and deleted[2] == first
    assert deleted[1] not in (first, second) and deleted[3] not in (first, second)
    assert engine.cli("image", "inspect", first).returncode == 1
