"""Fixtures for the fault-injection suite: an engine of its own (faults kill its services).

The suite reuses the integration fixtures (`busybox`, `registry`, the per-test leak check)
but has a session engine of its own: a test here may kill any service of it, and the
integration tests' engine never sees that. Its default bridge takes a subnet outside the ten
default pools, which the other engines of a busy machine may hold.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.conftest import (  # noqa: F401  (fixtures, used by name)
    busybox,
    busybox_tar,
    clean_engine,
    registry,
)
from tests.support.engine import Engine
from tests.support.faults import own_bridge


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = Engine.start(
        tmp_path_factory.mktemp("engine"),
        {"insecure-registries": ["127.0.0.3/32"], "dns": ["127.0.0.1"], **own_bridge()},
    )
    try:
        yield engine
    finally:
        try:
            engine.remove_all_containers()
        finally:
            engine.stop()
            leaks = engine.leaks()
            engine.remove_cgroup_parent()
            engine.remove_network_leftovers()
        assert not leaks, f"the engine left behind: {leaks}"
