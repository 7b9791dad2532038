"""Numbers docker's flag parser cannot hold are one line and 125, before any call is made."""

from __future__ import annotations

import pytest
from dockyard.cli import options
from dockyard.cli.usage import FlagError


def refused(call: object, *args: object) -> str:
    """The flag error (usage.run says it in one line with the help pointer, and exits 125)."""
    with pytest.raises(FlagError) as raised:
        call(*args)  # type: ignore[operator]
    assert "\n" not in str(raised.value)
    return str(raised.value)


def test_ulimits_in_range_and_unlimited() -> None:
    assert options.ulimit("nofile=100:200") == ("nofile", 100, 200)
    assert options.ulimit("core=-1") == ("core", -1, -1)  # unlimited
    huge = refused(options.ulimit, "nofile=99999999999999999999")
    assert 'strconv.ParseInt: parsing "99999999999999999999": value out of range' in huge
    assert "invalid ulimit argument: nofile=-5" in refused(options.ulimit, "nofile=-5")


def test_sizes_cpus_and_integers() -> None:
    assert options.size("1g", "--memory") == 1 << 30
    assert "value out of range" in refused(options.size, "999999999999g", "-m, --memory")
    refused(options.size, "9" * 400, "--memory")
    assert options.nano_cpus(1.5) == 1_500_000_000
    assert options.nano_cpus(1e30) == options.INT64[1]  # the engine says docker's range words
    refused(options.nano_cpus, float("nan"))
    refused(options.integer, 1 << 63, "--pids-limit")
    refused(options.integer, 1 << 31, "--stop-timeout", options.INT32)
