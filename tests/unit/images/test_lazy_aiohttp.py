"""The images service imports aiohttp at its first registry request (lazy.module), not at start."""

from __future__ import annotations

import subprocess
import sys


def test_the_images_service_loads_aiohttp_at_its_first_registry_request_only() -> None:
    code = (
        "import sys\n"
        "import dockyard.services.images.__main__\n"
        "print('aiohttp' in sys.modules, end=' ')\n"
        "from dockyard.services.images import registry\n"
        "import aiohttp\n"
        "print(aiohttp.ClientOSError in registry.drops(TimeoutError))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False True"
