"""`POST /build`'s query as dockerd 20.10's newImageBuildOptions reads it: the RUN steps'
HostConfig, cachefrom, platform and squash (the engine refuses what dockerd refuses)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import make_mocked_request
from dockyard.api import errors
from dockyard.services.dockerapi.builds import build_options


def _options(**query: object) -> object:
    pairs = [
        (k, v)
        for k, values in query.items()
        for v in (values if isinstance(values, list) else [values])
    ]
    return build_options(make_mocked_request("POST", f"/build?{urlencode(pairs)}"))


def test_the_run_steps_host_config_from_the_query() -> None:
    options = _options(
        memory="67108864", memswap="-1", cpushares="512", cpuperiod="50000", cpuquota="x",
        cpusetcpus="0-1", cpusetmems="0", shmsize="8388608", cgroupparent="/builds",
        isolation="default", extrahosts=["a:10.0.0.1", "b:10.0.0.2"],
        ulimits=json.dumps([{"Name": "nofile", "Soft": 10, "Hard": 20}]),
        cachefrom=json.dumps(["one", "two:tag"]), platform="linux/arm64", squash="0",
        outputs=json.dumps([{"Type": "local"}]),
    )  # fmt: skip
    host = options.host_config  # type: ignore[attr-defined]
    resources = host.resources
    assert (resources.memory, resources.memory_swap, resources.cpu_shares) == (64 << 20, -1, 512)
    assert (resources.cpu_period, resources.cpu_quota) == (50000, 0)  # "x": dockerd's zero
    assert (resources.cpuset_cpus, resources.cpuset_mems) == ("0-1", "0")
    assert [(u.name, u.soft, u.hard) for u in resources.ulimits] == [("nofile", 10, 20)]
    assert (host.shm_size, host.cgroup_parent, host.isolation) == (8 << 20, "/builds", "default")
    assert list(host.extra_hosts) == ["a:10.0.0.1", "b:10.0.0.2"]
    assert list(options.cache_from) == ["one", "two:tag"]  # type: ignore[attr-defined]
    assert options.platform == "linux/arm64"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"shmsize": "8m"}, 'strconv.ParseInt: parsing "8m": invalid syntax'),
        ({"ulimits": "{"}, "error reading ulimit settings"),
        ({"cachefrom": '"one"'}, "error reading cachefrom"),
        ({"remote": "https://example.com/x.tar"}, "'remote' is not supported"),
        ({"securityopt": ""}, "does not support setting security options on build"),
        ({"isolation": "hyperv"}, 'Unsupported isolation: "hyperv"'),
        ({"squash": "1"}, "squash is only supported with experimental mode"),
    ],
)
def test_what_is_refused_or_does_not_parse(query: dict[str, str], message: str) -> None:
    with pytest.raises(errors.InvalidArgument, match=message):
        _options(**query)


def test_null_lists_as_docker_20_10s_cli_sends_them() -> None:
    """docker 20.10's build sends `ulimits=null` (and `cachefrom=null`, `outputs=null`) when no
    flag gives them: dockerd's json.Unmarshal makes that an empty list."""
    options = _options(ulimits="null", cachefrom="null", outputs="null")
    assert list(options.host_config.resources.ulimits) == []  # type: ignore[attr-defined]
    assert list(options.cache_from) == []  # type: ignore[attr-defined]
