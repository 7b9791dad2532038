"""The bench's images, built offline and pushed to a registry on 127.0.0.1 that both engines
pull from: busybox (one layer) and a ~60 MB image of five layers.

The big image is deterministic (seeded bytes, fixed mtimes): busybox, a layer of 3,000 small
text files (what makes unpack cost per file), and three layers of ~19 MB of incompressible
bytes each (what makes download and gzip cost per byte).
"""

from __future__ import annotations

import gzip
import random
import tarfile
from dataclasses import dataclass
from functools import cached_property

from tests.support.images import Image, Layer, busybox_image, busybox_layer, push, tar_of
from tests.support.registry import Registry
from tests.support.rootfs import add_dir, add_file

SMALL_FILES = 3000
BIG_LAYER_BYTES = 19 * 1024 * 1024


@dataclass(frozen=True)
class Pushed:
    busybox: str  # "127.0.0.1:PORT/bench/busybox:latest"
    big: str
    big_bytes: int  # compressed size of the big image's layers


@dataclass(frozen=True)
class BenchLayer(Layer):
    """A layer compressed once (the test helper's compresses on every use: 57 MB take seconds)."""

    @cached_property
    def blob(self) -> bytes:
        return gzip.compress(self.tar, compresslevel=6, mtime=0)


def many_files_layer() -> Layer:
    def build(tar: tarfile.TarFile) -> None:
        add_dir(tar, "files")
        for index in range(SMALL_FILES):
            add_file(tar, f"files/{index:05d}.txt", f"file {index}\n".encode() * 20)

    return BenchLayer(tar_of(build))


def random_layer(seed: int) -> Layer:
    data = random.Random(seed).randbytes(BIG_LAYER_BYTES)

    def build(tar: tarfile.TarFile) -> None:
        add_dir(tar, "data")
        add_file(tar, f"data/blob-{seed}", data)

    return BenchLayer(tar_of(build))


def big_image() -> Image:
    layers = [
        BenchLayer(busybox_layer().tar),
        many_files_layer(),
        *(random_layer(seed) for seed in (1, 2, 3)),
    ]
    return Image(layers, {"Cmd": ["sh"]})


def push_all(registry: Registry) -> Pushed:
    big = big_image()
    push(registry, "bench/busybox", "latest", busybox_image(Cmd=["sh"]))
    push(registry, "bench/big", "latest", big)
    return Pushed(
        busybox=f"{registry.host}/bench/busybox:latest",
        big=f"{registry.host}/bench/big:latest",
        big_bytes=sum(len(layer.blob) for layer in big.layers),
    )
