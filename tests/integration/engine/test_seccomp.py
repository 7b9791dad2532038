"""The seccomp filter every container and exec gets, compiled once and loaded by prctl(2).

As docker: the default profile is on (Seccomp: 2) without no_new_privs, which only
`--security-opt no-new-privileges` sets (libseccomp's own loader set it for every container, so
setuid programs in an image stopped working); an exec gets the same filter."""

from __future__ import annotations

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

STATUS = ("grep", "-E", "^(Seccomp|NoNewPrivs):", "/proc/self/status")


def fields(text: str) -> dict[str, str]:
    return dict(line.split(":\t") for line in text.strip().splitlines())


def test_the_filter_is_on_and_no_new_privs_only_when_asked(engine: Engine, busybox: str) -> None:
    assert fields(engine.ok("run", "--rm", busybox, *STATUS)) == {"Seccomp": "2", "NoNewPrivs": "0"}
    asked = engine.ok("run", "--rm", "--security-opt", "no-new-privileges", busybox, *STATUS)
    assert fields(asked) == {"Seccomp": "2", "NoNewPrivs": "1"}
    cid = engine.ok("run", "-d", busybox, "sleep", "600").strip()
    assert fields(engine.ok("exec", cid, *STATUS)) == {"Seccomp": "2", "NoNewPrivs": "0"}
    blocked = engine.cli("exec", cid, "unshare", "-U", "true")
    assert blocked.returncode != 0 and "Operation not permitted" in blocked.stderr
    engine.ok("rm", "-f", cid)
