"""A corpus of hostile images, built offline and served by a real registry (through a `Front`
where the registry itself would refuse to hold them): issue 8's cases and the classics of
image attacks. Each `Row` pushes its image and says what must happen: refused with a line
containing `refused`, or accepted (it runs, and `check` holds inside the container).

Layers aim at `outside`, a directory outside the engine's root the test then finds empty.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support import images
from tests.support.registry import Answer, Body, Client, Front, Registry, endless

Build = Callable[[tarfile.TarFile, Path], None]  # (tar, outside)


@dataclass(frozen=True)
class Served:
    registry: Registry
    front: Front

    def ref(self, repository: str) -> str:
        return f"{self.front.host}/{repository}:latest"

    def manifest_path(self, repository: str) -> str:
        return f"/v2/{repository}/manifests/latest"


Serve = Callable[[Served, str, Path], None]  # (served, repository, outside)


@dataclass(frozen=True)
class Row:
    serve: Serve
    refused: str = ""  # part of the one-line error; "" = the image is accepted and runs
    check: tuple[str, str] = ("echo ok", "ok\n")  # (sh -c script, its output) when accepted


# -- tar entries -------------------------------------------------------------------------------------


def entry(
    tar: tarfile.TarFile,
    name: str,
    kind: bytes = tarfile.REGTYPE,
    data: bytes = b"",
    link: str = "",
    mode: int = 0o644,
    **fields: object,
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = kind, link, mode, 1_700_000_000
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    for key, value in fields.items():
        setattr(info, key, value)
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def layer(build: Build, outside: Path) -> images.Layer:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        build(tar, outside)
    return images.Layer(buf.getvalue())


def climb(outside: Path) -> str:
    """A relative way up from anywhere to `outside`."""
    return "../" * 24 + str(outside).lstrip("/")


# -- ways to serve ---------------------------------------------------------------------------------


def push_config(**runtime: object) -> Serve:
    def serve(served: Served, repository: str, outside: Path) -> None:
        images.push(served.registry, repository, "latest", images.busybox_image(**runtime))

    return serve


def push_layers(*builds: Build) -> Serve:
    """busybox, then a layer per `build` (each applied over the ones before)."""

    def serve(served: Served, repository: str, outside: Path) -> None:
        layers = [images.busybox_layer(), *(layer(b, outside) for b in builds)]
        images.push(served.registry, repository, "latest", images.Image(layers, {}))

    return serve


def answer_manifest(change: Callable[[dict[str, object]], object]) -> Serve:
    """busybox pushed, its manifest served changed by `change` (through the front)."""

    def serve(served: Served, repository: str, outside: Path) -> None:
        image = images.busybox_image()
        images.push(served.registry, repository, "latest", image)
        doc = json.loads(image.manifest_bytes())
        replaced = change(doc)
        body = replaced if isinstance(replaced, bytes) else json.dumps(doc).encode()
        headers = {"Content-Type": images.DOCKER_MANIFEST}
        served.front.answer(served.manifest_path(repository), Answer(body, headers=headers))

    return serve


def unique_image() -> images.Image:
    """busybox and a layer no other case has (so it is always fetched, never found)."""
    return images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["sh"]})


def answer_blob(body: Callable[[bytes], Body]) -> Serve:
    """An image pushed; its own layer served as `body(the real blob)` through the front."""

    def serve(served: Served, repository: str, outside: Path) -> None:
        image = unique_image()
        images.push(served.registry, repository, "latest", image)
        blob = image.layers[-1].blob
        served.front.answer(f"/v2/{repository}/blobs/{images.sha256(blob)}", Answer(body(blob)))

    return serve


def push_sized(change: Callable[[int], int]) -> Serve:
    """An image whose manifest gives its own layer the size `change(real size)`: the registry
    itself takes such a manifest, and serves the real blob."""

    def serve(served: Served, repository: str, outside: Path) -> None:
        image = unique_image()
        images.push(served.registry, repository, "latest", image)
        doc = json.loads(image.manifest_bytes())
        doc["layers"][-1]["size"] = change(doc["layers"][-1]["size"])
        data = json.dumps(doc).encode()
        Client(served.registry).push_manifest(repository, "latest", data, images.DOCKER_MANIFEST)

    return serve


def push_other_platforms(*architectures: str) -> Serve:
    def serve(served: Served, repository: str, outside: Path) -> None:
        found = {
            a: images.Image([images.busybox_layer()], {}, architecture=a) for a in architectures
        }
        images.push_index(served.registry, repository, "latest", found)

    return serve


# -- the corpus ----------------------------------------------------------------------------------------


def _symlink_out(tar: tarfile.TarFile, outside: Path) -> None:
    entry(tar, "data", tarfile.SYMTYPE, link=str(outside))


def _chained_out(tar: tarfile.TarFile, outside: Path) -> None:
    entry(tar, "a", tarfile.SYMTYPE, link="b")
    entry(tar, "b", tarfile.SYMTYPE, link="c/")
    entry(tar, "c", tarfile.SYMTYPE, link=climb(outside))


def _write(name: str) -> Build:
    return lambda tar, outside: entry(tar, name, data=b"pwned")


def _loop(tar: tarfile.TarFile, outside: Path) -> None:
    entry(tar, "x", tarfile.SYMTYPE, link="y")
    entry(tar, "y", tarfile.SYMTYPE, link="x")
    entry(tar, "x/f", data=b"pwned")


CORPUS: dict[str, Row] = {
    # image configs of the wrong shape (issue 8 item 4)
    "config-cmd-object": Row(push_config(Cmd={"x": 1}), "config.Cmd: expected an array of strings"),
    "config-env-numbers": Row(push_config(Env=[1, None]), "config.Env[0]: expected a string"),
    "config-user-number": Row(push_config(User=5), "config.User: expected a string, got a number"),
    # manifests
    "manifest-without-config": Row(
        answer_manifest(lambda d: d.pop("config")), "config: required, missing"
    ),
    "manifest-size-string": Row(
        answer_manifest(lambda d: d["layers"][0].update(size="12")),  # type: ignore[index]
        "layers[0].size: expected an integer",
    ),
    "manifest-10mb": Row(
        answer_manifest(lambda d: b"{" + b" " * (10 << 20) + b"}"), "manifest too big"
    ),
    "manifest-html-layer": Row(
        answer_manifest(lambda d: d["layers"][0].update(mediaType="text/html")),  # type: ignore[index]
        "unsupported layer media type 'text/html'",
    ),
    "index-other-platforms-only": Row(
        push_other_platforms("arm64", "s390x"), "no matching manifest for linux/amd64"
    ),
    # blobs (issue 8 item 6)
    "blob-endless": Row(answer_blob(lambda blob: endless()), "its descriptor says"),
    "blob-oversized": Row(push_sized(lambda size: 112), "longer than the 112 bytes"),
    "blob-short": Row(push_sized(lambda size: size + 100), "failed to verify blob"),
    "blob-digest-mismatch": Row(
        answer_blob(lambda blob: bytes(len(blob))), "failed to verify blob"
    ),
    # layers (issue 8 item 8)
    "layer-wh-empty": Row(
        push_layers(lambda t, o: entry(t, "etc/.wh.")), 'invalid whiteout "etc/.wh."'
    ),
    "layer-wh-dot": Row(
        push_layers(lambda t, o: entry(t, "etc/.wh..")), 'invalid whiteout "etc/.wh.."'
    ),
    "layer-wh-dotdot": Row(
        push_layers(lambda t, o: entry(t, ".wh...")), 'invalid whiteout ".wh..."'
    ),
    "layer-junk-capability": Row(
        push_layers(
            lambda t, o: entry(
                t, "bin/ping", data=b"x", pax_headers={"SCHILY.xattr.security.capability": "junk"}
            )
        ),
        "lsetxattr security.capability /bin/ping: invalid argument",
    ),
    "layer-dotdot-entry": Row(
        push_layers(lambda t, o: entry(t, f"{climb(o)}/pwned", data=b"pwned")), "escapes the root"
    ),
    "layer-hardlink-out": Row(
        push_layers(lambda t, o: entry(t, "h", tarfile.LNKTYPE, link=f"{climb(o)}/victim")),
        "escapes the root",
    ),
    "layer-hardlink-host-path": Row(
        push_layers(lambda t, o: entry(t, "h", tarfile.LNKTYPE, link="/etc/shadow")),
        "which does not exist",
    ),
    "layer-symlink-loop": Row(push_layers(_loop), "too many levels of symbolic links"),
    "layer-absolute-symlink-then-write": Row(
        push_layers(lambda t, o: (_symlink_out(t, o), _write("data/pwned")(t, o))),
        check=("cat /data/pwned", "pwned"),
    ),
    "layer-chained-symlinks-then-write": Row(
        push_layers(lambda t, o: (_chained_out(t, o), _write("a/pwned")(t, o))),
        check=("ls /a/", "pwned\n"),
    ),
    "layer-symlink-then-write-next-layer": Row(
        push_layers(_symlink_out, _write("data/pwned")), check=("cat /data/pwned", "pwned")
    ),
    "layer-absolute-name": Row(
        push_layers(lambda t, o: entry(t, f"{o}/pwned", data=b"pwned")),
        check=("echo ok", "ok\n"),
    ),
    "layer-opaque-through-symlink": Row(
        push_layers(_symlink_out, lambda t, o: entry(t, "data/.wh..wh..opq")),
        check=("test -d /data && echo dir", "dir\n"),
    ),
    "layer-whiteout-through-symlink": Row(
        push_layers(_symlink_out, lambda t, o: entry(t, "data/.wh.victim")),
    ),
    "layer-setuid-and-devices": Row(
        push_layers(
            lambda t, o: (
                entry(t, "suid", data=b"#!/bin/sh\n", mode=0o4755),
                entry(t, "disk", tarfile.BLKTYPE, mode=0o666, devmajor=8, devminor=0),
            )
        ),
        # setuid is kept (as docker keeps it); the block device is there but unusable
        check=("stat -c %a /suid; head -c1 /disk 2>/dev/null || echo denied", "4755\ndenied\n"),
    ),
}
