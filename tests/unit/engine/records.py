"""A minimal container record for the store's and the reader's tests."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from dockyard.services.engine.model import Container, ContainerConfig, HostConfig


def record(name: str, age: int = 0, cid: str = "") -> Container:
    """A container `name`, created `age` seconds ago (a random ID unless `cid` is given)."""
    return Container(
        id=cid or secrets.token_hex(32),
        name=name,
        created=datetime.now(UTC) - timedelta(seconds=age),
        image="sha256:1",
        config=ContainerConfig(cmd=["true"]),
        host_config=HostConfig(),
    )
