"""An offline busybox root filesystem, made from the host's busybox-static (Debian package).

`rootfs_tar()` returns it as an uncompressed tar (root-owned, fixed mtimes, so the same bytes
every time: the same digest in every test).
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from functools import cache
from pathlib import Path

BUSYBOX = Path("/bin/busybox")
MTIME = 1_700_000_000

ETC = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/:/bin/false\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\ndaemon:x:1:\nwheel:x:10:root,nobody\nnogroup:x:65534:\n",
    "etc/hostname": "busybox\n",
}
DIRS = ("bin", "dev", "etc", "proc", "sys", "tmp", "root", "var", "usr", "usr/bin")


@cache
def applets() -> tuple[str, ...]:
    out = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True)
    return tuple(name for name in out.stdout.split() if name and name != "busybox")


@cache
def rootfs_tar() -> bytes:
    """The busybox rootfs as an uncompressed tar."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in DIRS:
            add_dir(tar, name, 0o1777 if name == "tmp" else 0o755)
        add_file(tar, "bin/busybox", BUSYBOX.read_bytes(), 0o755)
        for applet in applets():
            add_symlink(tar, f"bin/{applet}", "busybox")
        for name, text in ETC.items():
            add_file(tar, name, text.encode(), 0o644)
    return buf.getvalue()


def add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, MTIME
    tar.addfile(info)


def add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, MTIME
    tar.addfile(info, io.BytesIO(data))


def add_symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, target, 0o777, MTIME
    tar.addfile(info)
