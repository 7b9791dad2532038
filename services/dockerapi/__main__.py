"""`python -m dockyard.services.dockerapi`: the Docker Engine API front (see the package)."""

from __future__ import annotations

from dockyard.services.dockerapi.server import main

if __name__ == "__main__":
    main()
