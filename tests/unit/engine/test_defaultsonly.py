"""Docker's defaults taken, anything else refused in dockerd 20.10's words."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine import defaultsonly
from dockyard.services.engine.model import DeviceRequest, HostConfig


@pytest.mark.parametrize(
    ("host", "words"),
    [
        (HostConfig(userns_mode="private"), "--userns: invalid USER mode"),
        (HostConfig(isolation="hyperv"), "invalid isolation 'hyperv' on linux"),
        (HostConfig(storage_opt={"size": "1G"}), "supported only for overlay over xfs"),
        (HostConfig(storage_opt={"Foo": "1"}), "Unknown option foo"),
        (HostConfig(volume_driver="flocker"), 'plugin "flocker" not found'),
    ],
)
def test_refused(host: HostConfig, words: str) -> None:
    with pytest.raises(errors.InvalidArgument, match=words):
        defaultsonly.check(host)


def test_the_defaults_pass() -> None:
    defaultsonly.check(HostConfig(userns_mode="host", isolation="Default", volume_driver="local"))


def test_a_device_request_finds_no_driver() -> None:
    wanted = DeviceRequest(count=-1, capabilities=["compute,utility,gpu"])
    words = r'could not select device driver "" with capabilities: \[\[compute utility gpu\]\]'
    with pytest.raises(errors.InvalidArgument, match=words):
        defaultsonly.check_devices([wanted])
