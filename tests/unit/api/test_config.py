from __future__ import annotations

from pathlib import Path

import pytest
from dockyard.api.config import DaemonConfig
from dockyard.api.errors import InvalidArgument


def test_a_missing_default_file_means_defaults(tmp_path: Path) -> None:
    config = DaemonConfig.load(tmp_path / "absent.json", required=False)
    assert config.log_opts == {"max-size": "10m", "max-file": "3"}
    assert config.insecure_registries == ()


def test_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="does not exist"):
        DaemonConfig.load(tmp_path / "absent.json", required=True)


def test_values_are_read(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text('{"insecure-registries": ["r:5000"], "log-opts": {"max-size": "1m"}}')
    config = DaemonConfig.load(path, required=True)
    assert config.insecure_registries == ("r:5000",)
    assert config.log_opts == {"max-size": "1m", "max-file": "3"}


@pytest.mark.parametrize(
    "text",
    ['{"no-such-key": 1}', '{"insecure-registries": "r"}', "[]", "{not json"],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "daemon.json"
    path.write_text(text)
    with pytest.raises(InvalidArgument, match=str(path)):
        DaemonConfig.load(path, required=True)
