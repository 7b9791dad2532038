"""`build`'s RUN-container flags parsed as docker/cli v20.10's build.go parses them."""

from __future__ import annotations

import pytest
from dockyard.cli import buildflags
from dockyard.cli.usage import FlagError

FLAGS = {
    "memory": "", "memory_swap": "", "cpu_shares": 0, "cpu_period": 0, "cpu_quota": 0,
    "cpuset_cpus": "", "cpuset_mems": "", "ulimit": [], "shm_size": "", "add_host": [],
    "security_opt": [], "isolation": "", "cgroup_parent": "",
}  # fmt: skip


def test_the_flags_make_the_run_steps_host_config() -> None:
    host = buildflags.host_config(
        FLAGS
        | {
            "memory": "64m", "memory_swap": "-1", "cpu_shares": 512, "cpuset_mems": "0",
            "ulimit": ["nofile=10:20", "nproc=5"], "shm_size": "1g",
            "add_host": ["db:10.0.0.5", "gw:host-gateway", "v6:::1"],
            "security_opt": ["a,b", "c"], "isolation": "default", "cgroup_parent": "x",
        }
    )  # fmt: skip
    assert (host.resources.memory, host.resources.memory_swap) == (64 << 20, -1)
    assert host.resources.cpu_shares == 512 and host.resources.cpuset_mems == "0"
    assert [(u.name, u.soft, u.hard) for u in host.resources.ulimits] == [
        ("nofile", 10, 20),
        ("nproc", 5, 5),
    ]
    assert host.shm_size == 1 << 30
    assert list(host.extra_hosts) == ["db:10.0.0.5", "gw:host-gateway", "v6:::1"]
    assert list(host.security_opt) == ["a", "b", "c"]  # a StringSlice: split at commas
    assert (host.isolation, host.cgroup_parent) == ("default", "x")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"memory": "-1"}, 'invalid argument "-1" for "-m, --memory" flag: invalid size'),
        ({"shm_size": "lots"}, 'invalid argument "lots" for "--shm-size" flag: invalid size'),
        ({"add_host": ["nohost"]}, 'bad format for add-host: "nohost"'),
        ({"add_host": [":1.2.3.4"]}, 'bad format for add-host: ":1.2.3.4"'),
        ({"add_host": ["h:999.1.1.1"]}, 'invalid IP address in add-host: "999.1.1.1"'),
        ({"add_host": ["h:[::1]"]}, 'invalid IP address in add-host: "\\[::1\\]"'),
        ({"ulimit": ["nofile=x"]}, "invalid ulimit argument: nofile=x"),
    ],
)
def test_values_docker_refuses(flags: dict[str, object], message: str) -> None:
    with pytest.raises(FlagError, match=message):
        buildflags.host_config(FLAGS | flags)
