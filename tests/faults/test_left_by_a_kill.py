"""What a kill leaves on disk, laid out as it leaves it, then the operation run again.

Some windows are too narrow to hit with a kill every time (microseconds between a write and
its commit); the state a kill leaves there is made by hand here, exactly as the fault suite
found it (`test_kill_at_step.py`), so the repair is tested every time.
"""

from __future__ import annotations

import secrets

import pytest

from tests.support import images
from tests.support.engine import Engine
from tests.support.registry import Registry

pytestmark = pytest.mark.integration


def test_a_config_a_kill_left_in_its_ingest_is_pulled_at_once(
    engine: Engine, registry: Registry
) -> None:
    image = images.Image([images.busybox_layer(), images.unique_layer()], {"Cmd": ["sh"]})
    repository = f"faults/ingest-{secrets.token_hex(4)}"
    images.push(registry, repository, "latest", image)
    config = image.config_bytes()
    ingest = (
        engine.root / "images" / "ingest" / f"manifest-{images.sha256(config)}".replace(":", "-")
    )
    ingest.mkdir(parents=True)
    (ingest / "data").write_bytes(config)  # written whole, then the images service was killed
    name = f"{registry.url.split('://')[1]}/{repository}"
    try:
        pulled = engine.cli("pull", name)
        assert pulled.returncode == 0, pulled.stderr
    finally:
        engine.cli("rmi", name)
