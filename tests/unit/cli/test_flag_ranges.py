"""Numbers docker's flag parser cannot hold are one line and 125, before any call is made."""

from __future__ import annotations

import pytest
from dockyard.cli import options


def refused(call: object, *args: object) -> str:
    with pytest.raises(SystemExit) as raised:
        call(*args)  # type: ignore[operator]
    assert raised.value.code == 125
    return str(raised.value)


def test_ulimits_in_range_and_unlimited(capsys: pytest.CaptureFixture[str]) -> None:
    assert options.ulimit("nofile=100:200") == ("nofile", 100, 200)
    assert options.ulimit("core=-1") == ("core", -1, -1)  # unlimited
    refused(options.ulimit, "nofile=99999999999999999999")
    refused(options.ulimit, "nofile=-5")
    err = capsys.readouterr().err
    assert 'strconv.ParseInt: parsing "99999999999999999999": value out of range' in err
    assert "invalid ulimit argument: nofile=-5" in err


def test_sizes_cpus_and_integers(capsys: pytest.CaptureFixture[str]) -> None:
    assert options.size("1g", "--memory") == 1 << 30
    refused(options.size, "999999999999g", "--memory")
    refused(options.size, "9" * 400, "--memory")
    assert options.nano_cpus(1.5) == 1_500_000_000
    assert options.nano_cpus(1e30) == options.INT64[1]  # the engine says docker's range words
    refused(options.nano_cpus, float("nan"))
    refused(options.integer, 1 << 63, "--pids-limit")
    refused(options.integer, 1 << 31, "--stop-timeout", options.INT32)
    assert capsys.readouterr().err.count("\n") == 5  # one line each
