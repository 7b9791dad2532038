"""Mount options: the vocabulary the set-up steps speak.

`parse_options` turns mount(8)-style options ("ro", "nosuid", "rbind", "mode=755") into the
flags and data string mount(2) takes, plus the propagation to apply afterwards (mount(2) does
not take propagation flags together with others). Paths inside a rootfs are `inroot`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.api import syscalls as sc

_SET = {
    "ro": sc.MS_RDONLY,
    "nosuid": sc.MS_NOSUID,
    "nodev": sc.MS_NODEV,
    "noexec": sc.MS_NOEXEC,
    "sync": sc.MS_SYNCHRONOUS,
    "remount": sc.MS_REMOUNT,
    "mand": sc.MS_MANDLOCK,
    "dirsync": sc.MS_DIRSYNC,
    "noatime": sc.MS_NOATIME,
    "nodiratime": sc.MS_NODIRATIME,
    "bind": sc.MS_BIND,
    "rbind": sc.MS_BIND | sc.MS_REC,
    "relatime": sc.MS_RELATIME,
    "strictatime": sc.MS_STRICTATIME,
}
_CLEAR = {
    "rw": sc.MS_RDONLY,
    "suid": sc.MS_NOSUID,
    "dev": sc.MS_NODEV,
    "exec": sc.MS_NOEXEC,
    "async": sc.MS_SYNCHRONOUS,
    "atime": sc.MS_NOATIME,
    "diratime": sc.MS_NODIRATIME,
    "norelatime": sc.MS_RELATIME,
    "nomand": sc.MS_MANDLOCK,
}
_PROPAGATION = {
    "private": sc.MS_PRIVATE,
    "rprivate": sc.MS_PRIVATE | sc.MS_REC,
    "shared": sc.MS_SHARED,
    "rshared": sc.MS_SHARED | sc.MS_REC,
    "slave": sc.MS_SLAVE,
    "rslave": sc.MS_SLAVE | sc.MS_REC,
    "unbindable": sc.MS_UNBINDABLE,
    "runbindable": sc.MS_UNBINDABLE | sc.MS_REC,
}


@dataclass(frozen=True)
class Options:
    flags: int
    data: str
    propagation: int

    @property
    def bind(self) -> bool:
        return bool(self.flags & sc.MS_BIND)


def parse_options(options: list[str] | tuple[str, ...]) -> Options:
    flags, propagation, data = 0, 0, []
    for option in options:
        if option in _SET:
            flags |= _SET[option]
        elif option in _CLEAR:
            flags &= ~_CLEAR[option]
        elif option in _PROPAGATION:
            propagation |= _PROPAGATION[option]
        else:
            data.append(option)
    return Options(flags, ",".join(data), propagation)
