"""What a build's options ask of its RUN steps' containers and of its FROMs, checked as dockerd
20.10 checks them (api/server/router/build/build_routes.go, builder/dockerfile/builder.go).

    security_opt   refused before the build starts: dockerd on Linux takes none for a build
    isolation      "" or "default", the only isolation on Linux
    squash         refused: dockerd takes it in experimental mode only, and no engine here is
    platform       containerd's platforms.Parse: the platform of every FROM that names none
                   (its image pulled when the local one is of another platform)
    the rest       (memory, swap, CPU shares, period, quota, cpusets, ulimits, --shm-size,
                   --add-host, --cgroup-parent): every RUN's container gets them, as docker's
                   hostConfigFromOptions gives them; checked as `run`'s are when the first
                   RUN's container is made, so a build with no RUN never meets them (docker's
                   neither). The build cache does not count them, as docker's does not.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from dockyard.api import errors
from dockyard.services.engine import isolation, limits
from dockyard.services.engine.clients.images import Platform
from dockyard.services.engine.model import HostConfig

if TYPE_CHECKING:  # the job imports the RUN step, which imports this
    from dockyard.services.engine.build.job import BuildOptions

SECURITY_OPT_REFUSED = (
    "The daemon on this platform does not support setting security options on build"
)
SQUASH_REFUSED = "squash is only supported with experimental mode"
KNOWN_OS = {"aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
            "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos"}  # fmt: skip
KNOWN_ARCH = {"386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "ppc64", "ppc64le",
              "mips", "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "riscv",
              "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm"}  # fmt: skip
COMPONENT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def check(options: BuildOptions, architecture: str) -> Platform | None:
    """Refuse what dockerd refuses before a build starts; the build's platform (None: none
    asked for)."""
    if options.host.security_opt:
        raise errors.InvalidArgument(SECURITY_OPT_REFUSED)
    if options.host.isolation.lower() not in ("", "default"):
        raise errors.InvalidArgument(f'Unsupported isolation: "{options.host.isolation}"')
    if options.squash:
        raise errors.InvalidArgument(SQUASH_REFUSED)
    return parse_platform(options.platform, architecture) if options.platform else None


def container_host(host: HostConfig, network: str) -> HostConfig:
    """A RUN's container's HostConfig: the build's, with the step's network; checked as
    `run` checks its resources, /dev/shm's size and ulimits."""
    limits.validate(host.resources)
    isolation.check(host, "")
    return replace(host, network_mode=network)


def parse_platform(text: str, architecture: str) -> Platform:
    """containerd's platforms.Parse (v1.4): "os", "arch", "os/arch" or "os/arch/variant",
    normalized ("x86_64" is amd64, "aarch64" arm64); its words for what it cannot parse."""
    parts = text.split("/")
    for part in parts:
        if not part or set(part) - COMPONENT:
            raise errors.InvalidArgument(
                f'"{part}" is an invalid component of "{text}": platform specifier component '
                'must match "^[A-Za-z0-9_-]+$": invalid argument'
            )
    if len(parts) == 1:
        return _one_part(text, architecture)
    if len(parts) > 3:
        raise errors.InvalidArgument(f'"{text}": cannot parse platform specifier: invalid argument')
    arch, variant = _arch(parts[1], parts[2] if len(parts) == 3 else "")
    if len(parts) == 2 and (arch, variant) == ("arm", "v7"):
        variant = ""
    if len(parts) == 3 and arch == "arm64" and not variant:
        variant = "v8"
    return Platform(_os(parts[0]), arch, variant)


def _one_part(text: str, architecture: str) -> Platform:
    if _os(text) in KNOWN_OS:
        return Platform(_os(text), architecture)
    arch, variant = _arch(text, "")
    if arch in KNOWN_ARCH:
        return Platform("linux", arch, "" if (arch, variant) == ("arm", "v7") else variant)
    raise errors.InvalidArgument(
        f'"{text}": unknown operating system or architecture: invalid argument'
    )


def _os(text: str) -> str:
    lowered = text.lower()
    return "darwin" if lowered == "macos" else lowered


def _arch(arch: str, variant: str) -> tuple[str, str]:
    """containerd's normalizeArch."""
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64"):
        return "amd64", ""
    if arch in ("aarch64", "arm64"):
        return "arm64", "" if variant in ("8", "v8") else variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        return "arm", {"": "v7", "7": "v7", "5": "v5", "6": "v6", "8": "v8"}.get(variant, variant)
    return arch, variant
