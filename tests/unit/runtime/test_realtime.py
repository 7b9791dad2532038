"""Which cgroups get the daemon's real-time budget (services/runtime/realtime.py)."""

from __future__ import annotations

import json
from pathlib import Path

from dockyard.api.config import DaemonConfig
from dockyard.services.runtime import realtime

ROOT = realtime.CPU_ROOT


def test_the_parents_of_an_absolute_path_from_the_root_top_first() -> None:
    assert realtime.parents("/dockyard/abc") == [ROOT / "dockyard"]
    assert realtime.parents("/a/b/abc") == [ROOT / "a", ROOT / "a" / "b"]
    assert realtime.parents("/abc") == []


def test_a_relative_path_is_below_the_runtimes_own_cgroup() -> None:
    own = ROOT / "system.slice" / "dockyard"
    assert realtime.parents("x/abc", own) == [own / "x"]


def test_nothing_is_touched_without_a_configured_budget_or_a_real_time_container() -> None:
    asks = json.dumps(
        {
            "linux": {
                "cgroupsPath": "/nowhere-at-all/x",
                "resources": {"cpu": {"realtimeRuntime": 5}},
            }
        }
    ).encode()
    plain = json.dumps({"linux": {"cgroupsPath": "/nowhere-at-all/x"}}).encode()
    realtime.give_budget(asks, DaemonConfig())  # no budget configured: nothing to do
    realtime.give_budget(plain, DaemonConfig(cpu_rt_runtime=1000))  # no real-time asked
    assert not Path(ROOT, "nowhere-at-all").exists()


def test_the_config_keys_are_integers() -> None:
    config = DaemonConfig.from_dict({"cpu-rt-period": 1000000, "cpu-rt-runtime": 950000})
    assert (config.cpu_rt_period, config.cpu_rt_runtime) == (1000000, 950000)
