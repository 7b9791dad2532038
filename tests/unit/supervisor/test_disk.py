"""The supervisor keeps going when its disk fails it: no state file, no log file."""

from __future__ import annotations

import os
from pathlib import Path

from dockyard.api.paths import Paths
from dockyard.services.supervisor.supervisor import Supervisor


def test_state_that_cannot_be_published_is_not_fatal(tmp_path: Path) -> None:
    supervisor = Supervisor(Paths(tmp_path / "root", tmp_path / "vanished"), [])
    supervisor.publish()  # the state dir is gone (or full): a warning, not an exit
    assert not (tmp_path / "vanished").exists()


def test_a_log_that_cannot_be_opened_is_dev_null(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "logs").write_text("a file where the logs dir should be")
    supervisor = Supervisor(Paths(tmp_path / "root", tmp_path / "state"), [])
    with supervisor._output("engine") as out:
        assert os.path.samefile(out.name, os.devnull)
