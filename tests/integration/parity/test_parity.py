"""dockyard beside docker 20.10, case by case (the table is `cases.py`; how a case is compared,
`table.py`). Each case runs against the session's engine; docker's side is the recording."""

from __future__ import annotations

import pytest

from tests.integration.parity.cases import CASES
from tests.integration.parity.table import Case, actual, expected, play
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_as_docker(engine: Engine, busybox: str, case: Case) -> None:
    out = play(case, engine.cli)
    assert actual(case, out) == expected(case)
    assert "Traceback" not in out.stderr
