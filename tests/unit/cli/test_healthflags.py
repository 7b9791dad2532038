"""run/create's healthcheck flags, the Docker API's Config.Healthcheck, and how inspect and ps
show a check and a container's health (docker 20.10's keys and words)."""

from __future__ import annotations

from typing import Any

import pytest
from dockyard.api import containerjson
from dockyard.cli import healthflags
from dockyard.cli.usage import FlagError, Refused
from dockyard.engine.v1 import engine_pb2 as pb
from dockyard.services.dockerapi.create_body import create_request

S = 10**9


def _flags(**given: Any) -> dict[str, Any]:
    flags: dict[str, Any] = {
        "health_cmd": "",
        "health_interval": "",
        "health_timeout": "",
        "health_retries": 0,
        "health_start_period": "",
        "no_healthcheck": False,
    }
    return flags | given


def test_flags_make_docker_s_check() -> None:
    check = healthflags.healthcheck(
        _flags(
            health_cmd="wget -q localhost",
            health_interval="1m30s",
            health_timeout="500ms",
            health_retries=2,
            health_start_period="1.5s",
        )
    )
    assert list(check.test) == ["CMD-SHELL", "wget -q localhost"]
    assert (check.interval, check.timeout, check.retries, check.start_period) == (
        90 * S,
        S // 2,
        2,
        3 * S // 2,
    )
    assert healthflags.healthcheck(_flags()) is None
    only_interval = healthflags.healthcheck(_flags(health_interval="5s"))
    assert list(only_interval.test) == [] and only_interval.interval == 5 * S  # the image's test
    assert list(healthflags.healthcheck(_flags(no_healthcheck=True)).test) == ["NONE"]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"no_healthcheck": True, "health_cmd": "true"},
            "--no-healthcheck conflicts with --health-* options",
        ),
        ({"health_interval": "-1s"}, "--health-interval cannot be negative"),
        ({"health_retries": -1}, "--health-retries cannot be negative"),
        (
            {"health_timeout": "soon"},
            'invalid argument "soon" for "--health-timeout" flag: time: invalid duration "soon"',
        ),
    ],
)
def test_bad_flags_are_docker_s_errors(given: dict[str, Any], message: str) -> None:
    with pytest.raises((FlagError, Refused)) as refused:
        healthflags.healthcheck(_flags(**given))
    assert str(refused.value) == message


def test_the_docker_api_s_healthcheck_is_mapped() -> None:
    body = {
        "Image": "busybox",
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2 * S, "Timeout": S, "Retries": 4},
    }
    check = create_request(body, "/web").config.healthcheck
    assert (list(check.test), check.interval, check.timeout, check.retries) == (
        ["CMD", "true"],
        2 * S,
        S,
        4,
    )
    assert not create_request({"Image": "busybox"}, "").config.HasField("healthcheck")


def _running(health: str | None) -> pb.Container:
    c = pb.Container(id="ab" * 32, name="web")
    c.state.status, c.state.running = "running", True
    c.state.started_at.GetCurrentTime()
    if health is not None:
        c.state.health.status = health
    return c


def test_ps_status_says_the_health() -> None:
    assert containerjson.status(_running("starting")).endswith(" (health: starting)")
    assert containerjson.status(_running("healthy")).endswith(" (healthy)")
    assert containerjson.status(_running("unhealthy")).endswith(" (unhealthy)")
    assert containerjson.status(_running(None)).startswith("Up ")
    assert "(" not in containerjson.status(_running(None))


def test_inspect_shows_the_check_and_the_health() -> None:
    c = _running("unhealthy")
    c.state.health.failing_streak = 3
    result = c.state.health.log.add(exit_code=1, output="no\n")
    result.start.FromSeconds(1_700_000_000)
    result.end.FromNanoseconds(1_700_000_000_500_000_000)
    c.config.healthcheck.test.extend(["CMD-SHELL", "false"])
    c.config.healthcheck.interval = S
    doc = containerjson.inspect(c)
    assert doc["State"]["Health"] == {
        "Status": "unhealthy",
        "FailingStreak": 3,
        "Log": [
            {
                "Start": "2023-11-14T22:13:20Z",
                "End": "2023-11-14T22:13:20.5Z",
                "ExitCode": 1,
                "Output": "no\n",
            }
        ],
    }
    assert doc["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "false"], "Interval": S}
    keys = list(doc["Config"])
    assert keys.index("Cmd") + 1 == keys.index("Healthcheck") == keys.index("Image") - 1
    plain = containerjson.inspect(_running(None))
    assert "Health" not in plain["State"] and "Healthcheck" not in plain["Config"]
    starting = containerjson.inspect(_running("starting"))["State"]["Health"]
    assert starting == {"Status": "starting", "FailingStreak": 0, "Log": []}


def test_image_inspect_shows_the_image_s_healthcheck_after_cmd() -> None:
    from dockyard.cli import render
    from dockyard.images.v1 import images_pb2
    from dockyard.services.dockerapi import images as api_images

    image = images_pb2.Image(id="sha256:" + "a" * 64)
    image.config.cmd.append("sh")
    image.config.healthcheck.test.extend(["CMD", "true"])
    image.config.healthcheck.retries = 2
    for config in (render.image_json(image)["Config"], api_images.image_json(image)["Config"]):
        assert config["Healthcheck"] == {"Test": ["CMD", "true"], "Retries": 2}
        keys = list(config)
        assert keys.index("Healthcheck") == keys.index("Cmd") + 1
    image.config.ClearField("healthcheck")
    assert "Healthcheck" not in render.image_json(image)["Config"]
