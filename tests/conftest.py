"""Test session options: integration tests (root, real kernel, real registry) are opt-in.

pytest tests/unit                      # fast, no root
pytest --integration tests             # everything; needs root and the apt packages
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--integration",
        action="store_true",
        help="run the integration tests (root, real kernel, real registry)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.getoption("--integration")
    reason = "needs --integration" if not run else "needs root"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "integration" in item.keywords and (not run or os.geteuid() != 0):
            item.add_marker(skip)
