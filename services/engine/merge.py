"""Docker's merge of an image's config with the container's own (`docker create` flags).

Rules (as dockerd applies them): the container's Env comes first and the image's variables it
does not set follow; labels merge (the container's win); User, WorkingDir and StopSignal fall
back to the image's; exposed ports and volumes are unions. Entrypoint and Cmd: when the
container sets no entrypoint, an unset Cmd takes the image's and an unset Entrypoint the
image's; a container entrypoint (even an empty one, `--entrypoint ""`) drops the image's Cmd.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine import health
from dockyard.services.engine.model import ContainerConfig, HealthConfig

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class ImageDefaults:
    """The runtime part of an image config, as the images service reports it."""

    user: str = ""
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    working_dir: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    stop_signal: str = ""
    healthcheck: HealthConfig | None = None


def merge(image: ImageDefaults, config: ContainerConfig) -> ContainerConfig:
    """A copy of `config` completed from `image` (see the module docstring)."""
    merged = copy.deepcopy(config)
    merged.user = merged.user or image.user
    merged.env = merge_env(merged.env, image.env)
    merged.labels = dict(image.labels) | merged.labels
    merged.working_dir = merged.working_dir or image.working_dir
    merged.stop_signal = merged.stop_signal or image.stop_signal
    merged.exposed_ports = sorted(set(merged.exposed_ports) | set(image.exposed_ports))
    merged.volumes = sorted(set(merged.volumes) | set(image.volumes))
    health.validate(merged.healthcheck)
    merged.healthcheck = health.merge(merged.healthcheck, image.healthcheck)
    if not merged.entrypoint:
        if not merged.cmd:
            merged.cmd = list(image.cmd)
        if merged.entrypoint is None:
            merged.entrypoint = list(image.entrypoint)
    return merged


def merge_env(own: list[str], image: tuple[str, ...] | list[str]) -> list[str]:
    keys = {entry.split("=", 1)[0] for entry in own}
    return list(own) + [entry for entry in image if entry.split("=", 1)[0] not in keys]


def command(config: ContainerConfig) -> list[str]:
    """The process's argv: entrypoint + cmd. InvalidArgument when there is none."""
    argv = [*(config.entrypoint or []), *(config.cmd or [])]
    if not argv or not argv[0]:
        raise InvalidArgument("No command specified")
    return argv


def process_env(
    config: ContainerConfig, hostname: str, linked: list[str] | None = None
) -> list[str]:
    """The environment the process starts with: docker adds PATH, HOSTNAME and TERM, then the
    links' variables (`linked`), which the container's own replace in place."""
    env = list(config.env)
    keys = {entry.split("=", 1)[0] for entry in env}
    extra = [f"HOSTNAME={hostname}"] if "HOSTNAME" not in keys else []
    if "PATH" not in keys:
        extra.insert(0, f"PATH={DEFAULT_PATH}")
    if config.tty and "TERM" not in keys:
        extra.append("TERM=xterm")
    own = {entry.split("=", 1)[0]: entry for entry in env}
    links = [own.get(e.split("=", 1)[0], e) for e in linked or []]
    replaced = {e.split("=", 1)[0] for e in linked or []} & keys
    return extra + links + [e for e in env if e.split("=", 1)[0] not in replaced]
