"""Fixtures for the fault-injection suite: an engine of its own (faults kill its services).

The suite reuses the integration fixtures (`engine`, `busybox`, `registry`, the per-test leak
check) but, being a directory of its own, gets its own session engine: a test here may kill any
service of it, and the integration tests' engine never sees that.
"""

from __future__ import annotations

from tests.integration.conftest import (  # noqa: F401  (fixtures, used by name)
    busybox,
    busybox_tar,
    clean_engine,
    engine,
    registry,
)
