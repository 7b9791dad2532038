"""Settings whose only valid values on this engine are docker's defaults, refused otherwise in
dockerd 20.10's words (moby v20.10.27):

    --userns      "" or host (no userns-remap here)            "--userns: invalid USER mode"
                  (docker/cli opts.go's check; dockerd takes any mode silently without remap)
    --isolation   "" or default on Linux                        daemon/container.go
    --storage-opt none: the writable layer is overlay over ext4  overlay2/overlay.go: size=
                  needs xfs with pquota; any other key is an "Unknown option"
    --volume-driver  local only (no plugins): the volume store's words for another driver
    --gpus        no device driver (no nvidia hook): refused when the container starts, as
                  daemon/devices_linux.go's handleDevice ("could not select device driver")
"""

from __future__ import annotations

from dockyard.api import errors
from dockyard.services.engine.model import DeviceRequest, HostConfig

NO_QUOTA = "--storage-opt is supported only for overlay over xfs with 'pquota' mount option"


def check(host: HostConfig) -> None:
    if host.userns_mode.split(":")[0] not in ("", "host"):
        raise errors.InvalidArgument("--userns: invalid USER mode")
    if host.isolation.lower() not in ("", "default"):
        raise errors.InvalidArgument(f"invalid isolation '{host.isolation}' on linux")
    if host.volume_driver not in ("", "local"):
        driver = host.volume_driver
        raise errors.InvalidArgument(
            f'error looking up volume plugin {driver}: plugin "{driver}" not found'
        )
    keys = [key.lower() for key in host.storage_opt]
    if "size" in keys:
        raise errors.InvalidArgument(NO_QUOTA)
    if keys:
        raise errors.InvalidArgument(f"Unknown option {keys[0]}")


def check_devices(requests: list[DeviceRequest]) -> None:
    """At start: no driver can take a device request here."""
    for request in requests:
        groups = " ".join("[" + " ".join(g.split(",")) + "]" for g in request.capabilities)
        raise errors.InvalidArgument(
            f'could not select device driver "{request.driver}" with capabilities: [{groups}]'
        )
