from __future__ import annotations

import pytest
from dockyard.cli import options, runflags
from dockyard.cli.usage import Refused


def bindings(*values: str) -> list[tuple[str, str, str]]:
    return [(b.container_port, b.host_ip, b.host_port) for b in runflags.published(list(values))]


def test_dockers_publish_forms() -> None:
    assert bindings("80", "8080:80", "127.0.0.1:8081:80/udp", "127.0.0.1::53/udp") == [
        ("80/tcp", "", ""),
        ("80/tcp", "", "8080"),
        ("80/udp", "127.0.0.1", "8081"),
        ("53/udp", "127.0.0.1", ""),
    ]


@pytest.mark.parametrize(
    "value,said",
    [
        ("http", "Invalid containerPort: http"),
        ("80/sctp", "sctp is not supported"),
        ("a:b:c:d", "too many colons in address"),
        ("8080:eighty", "Invalid containerPort: eighty"),
        ("8000-8010:80", "a range of host ports for one container port is not supported"),
    ],
)
def test_bad_publish_values_are_refused(value: str, said: str) -> None:
    with pytest.raises(Refused, match=said):
        runflags.published([value])


def test_add_host() -> None:
    assert options.extra_hosts(["db:10.0.0.7", "cache=10.0.0.8"]) == [
        "db:10.0.0.7",
        "cache:10.0.0.8",
    ]
    with pytest.raises(SystemExit):
        options.extra_hosts(["db:nope"])
