from __future__ import annotations

import pytest
from dockyard.cli import options


def bindings(*values: str) -> list[tuple[str, str, str]]:
    return [(b.container_port, b.host_ip, b.host_port) for b in options.ports(list(values))]


def test_dockers_publish_forms() -> None:
    assert bindings("80", "8080:80", "127.0.0.1:8081:80/udp", "127.0.0.1::53/udp") == [
        ("80/tcp", "", ""),
        ("80/tcp", "", "8080"),
        ("80/udp", "127.0.0.1", "8081"),
        ("53/udp", "127.0.0.1", ""),
    ]


@pytest.mark.parametrize("value", ["http", "80/sctp", "a:b:c:d", "8080:eighty", "8000-8010:80"])
def test_bad_publish_values_exit(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        options.ports([value])
    assert exit_.value.code != 0
    assert value in capsys.readouterr().err


def test_add_host() -> None:
    assert options.extra_hosts(["db:10.0.0.7", "cache=10.0.0.8"]) == [
        "db:10.0.0.7",
        "cache:10.0.0.8",
    ]
    with pytest.raises(SystemExit):
        options.extra_hosts(["db:nope"])
