"""A file system of the bench's own, under both engines' data.

    with own_filesystem(base) as where:    # an ext4 image mounted at base/fs (or base itself)
        ...

Why: the root file system of this kind of machine is ext4 without a journal, and in that mode
ext4 does not reuse an inode freed in the last minutes: each new inode's search steps past every
recently freed one of its block group (docs/performance.md). So what it costs to make a file
depends on what was deleted near it lately, not on the program: 3,000 small files took 0.08 s
in one directory and 0.7-2.4 s in others (/tmp, /var/tmp, /srv) in the same minute here, and
the bench's own `rmi` frees the 3,000 files its next pull makes again. The pull row measured
that churn (0.9-2.3 for the same code in one afternoon). Both engines' data (root and state,
docker's data-root) and the registry's storage now live on one journalled ext4 made for the
run, as a Debian install's /var/lib is: a sparse image file, `mkfs.ext4` with its inode tables
and journal written at once, mounted through a loop device; 3,000 files take ~0.08 s on it,
time after time. `--host-fs` measures on the host's file system instead. The image is
unmounted and deleted at the end, even when the run fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SIZE = "16G"  # sparse: the host's disk holds only what the run writes


@contextmanager
def own_filesystem(base: Path, wanted: bool = True) -> Iterator[Path]:
    """`base/fs`, an ext4 file system of the run's own; `base` when not `wanted` or when this
    machine cannot make one (no mkfs.ext4, no loop devices: said on stderr)."""
    missing = [tool for tool in ("mkfs.ext4", "mount", "umount") if shutil.which(tool) is None]
    if not wanted or missing:
        if missing:
            print(
                f"bench: no {', '.join(missing)}: measuring on the host's file system",
                file=sys.stderr,
            )
        yield base
        return
    image, mountpoint = base / "disk.img", base / "fs"
    with open(image, "wb") as file:
        file.truncate(_bytes(SIZE))
    made = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", str(image)],
        capture_output=True,
        text=True,
    )
    mountpoint.mkdir()
    mounted = (
        made.returncode == 0
        and subprocess.run(
            ["mount", "-o", "loop", str(image), str(mountpoint)], capture_output=True, text=True
        ).returncode
        == 0
    )
    if not mounted:
        print(
            "bench: cannot mount a file system of its own: measuring on the host's", file=sys.stderr
        )
        image.unlink()
        yield base
        return
    try:
        yield mountpoint
    finally:
        if subprocess.run(["umount", "-R", str(mountpoint)], capture_output=True).returncode:
            subprocess.run(["umount", "-R", "-l", str(mountpoint)], capture_output=True)
        image.unlink(missing_ok=True)


def _bytes(size: str) -> int:
    return int(size[:-1]) << {"G": 30, "M": 20}[size[-1]]
