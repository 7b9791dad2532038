"""Healthchecks driven by the real docker CLI through docker.sock: `docker run --health-*`
sends Config.Healthcheck (durations in ns), and inspect, ps (its STATUS and --filter health=)
and events show what dockerd's would."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.integration.dockerapi.conftest import Docker

pytestmark = pytest.mark.integration

WAIT_SECONDS = 120.0


def health(docker: Docker, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(docker.ok("inspect", name))[0]
    return doc["State"].get("Health") or {}


def wait_status(docker: Docker, name: str, status: str) -> dict[str, Any]:
    """Poll inspect until the status is `status` (generous: the machine is loaded)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while (state := health(docker, name)).get("Status") != status:
        assert time.monotonic() < deadline, f"{name} never {status}: {state}"
        time.sleep(0.2)
    return state


def test_docker_run_health_flags_reach_inspect_ps_and_events(
    docker: Docker, image: str, cleanup: list[tuple[str, str]]
) -> None:
    since = f"{time.time() - 1:.3f}"
    docker.ok(
        "run", "-d", "--name", "dh-ok", "--health-cmd", "echo fine",
        "--health-interval", "300ms", "--health-timeout", "5s", "--health-retries", "2",
        image, "sleep", "600",
    )  # fmt: skip
    docker.ok(
        "run", "-d", "--name", "dh-bad", "--health-cmd", "exit 1",
        "--health-interval", "300ms", "--health-retries", "2", image, "sleep", "600",
    )  # fmt: skip
    config = json.loads(docker.ok("inspect", "-f", "{{json .Config.Healthcheck}}", "dh-ok"))
    assert config == {
        "Test": ["CMD-SHELL", "echo fine"],
        "Interval": 300_000_000,
        "Timeout": 5_000_000_000,
        "Retries": 2,
    }
    ok = wait_status(docker, "dh-ok", "healthy")
    assert (ok["FailingStreak"], ok["Log"][0]["ExitCode"], ok["Log"][0]["Output"]) == (
        0,
        0,
        "fine\n",
    )
    bad = wait_status(docker, "dh-bad", "unhealthy")
    assert bad["FailingStreak"] >= 2
    listed = docker.ok("ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}")
    assert listed.startswith("dh-ok Up ") and listed.endswith(" (healthy)\n")
    unhealthy = docker.ok("ps", "--filter", "health=unhealthy", "--format", "{{.Names}}")
    assert unhealthy == "dh-bad\n"
    out = docker.ok(
        "events", "--since", since, "--until", f"{time.time():.3f}",
        "--filter", "container=dh-ok", "--filter", "container=dh-bad",
        "--filter", "event=health_status", "--format", "{{.Actor.Attributes.name}} {{.Action}}",
    )  # fmt: skip
    assert sorted(out.splitlines()) == [
        "dh-bad health_status: unhealthy",
        "dh-ok health_status: healthy",
    ]
