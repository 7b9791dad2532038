"""The build's options for its RUN steps' containers (the spec and sandbox each RUN gets),
dockerd's refusals, --platform's parsing and --cache-from's matching, on the fakes."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine.build import cachefrom, runhost
from dockyard.services.engine.build.imagestate import ImageState, Layer, StepResult
from dockyard.services.engine.clients.images import Platform
from dockyard.services.engine.model import HostConfig, Resources, Ulimit

from tests.unit.build.conftest import BuildRig

RUNS = "FROM busybox\nRUN echo one\nENV A=1\nRUN echo two\n"


async def test_every_run_gets_the_builds_host_config(rig: BuildRig) -> None:
    host = HostConfig(
        resources=Resources(
            memory=64 << 20, cpu_shares=512, cpuset_cpus="0", ulimits=[Ulimit("nofile", 10, 20)]
        ),
        shm_size=8 << 20,
        extra_hosts=["db:10.0.0.5"],
        cgroup_parent="/builds",
    )
    outcome = await rig.build(RUNS, host=host, network="none", no_cache=True)
    assert outcome.built is not None, outcome.text
    assert len(rig.ran) == 2
    for task in rig.ran:
        linux = task.spec["linux"]
        assert linux["resources"]["memory"] == {"limit": 64 << 20, "swap": 128 << 20}
        assert linux["resources"]["cpu"] == {"shares": 512, "cpus": "0"}
        assert linux["cgroupsPath"] == f"/builds/{task.id}"
        shm = next(m for m in task.spec["mounts"] if m["destination"] == "/dev/shm")
        assert f"size={8 << 20}" in shm["options"]
        assert task.spec["process"]["rlimits"] == [
            {"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20}
        ]


async def test_a_limit_run_refuses_fails_at_the_first_run(rig: BuildRig) -> None:
    host = HostConfig(resources=Resources(memory=1 << 20))
    with pytest.raises(errors.InvalidArgument, match="Minimum memory limit allowed is 6MB"):
        await rig.build(RUNS, host=host, no_cache=True)
    assert not rig.leftovers()
    outcome = await rig.build("FROM busybox\nENV A=1\n", host=host)
    assert outcome.built is not None  # no RUN: nothing to limit


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host": HostConfig(security_opt=["x"])}, "does not support setting security options"),
        ({"host": HostConfig(isolation="hyperv")}, 'Unsupported isolation: "hyperv"'),
        ({"squash": True}, "squash is only supported with experimental mode"),
        ({"platform": "linux/"}, 'is an invalid component of "linux/"'),
    ],
)
async def test_what_dockerd_refuses_up_front(
    rig: BuildRig, options: dict[str, object], message: str
) -> None:
    with pytest.raises(errors.InvalidArgument, match=message):
        await rig.build(RUNS, **options)
    assert not rig.ran and not rig.leftovers()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("linux", Platform("linux", "amd64")),
        ("arm64", Platform("linux", "arm64")),
        ("linux/x86_64", Platform("linux", "amd64")),
        ("Linux/aarch64", Platform("linux", "arm64")),
        ("linux/arm64/v8", Platform("linux", "arm64", "v8")),
        ("linux/arm64/v9", Platform("linux", "arm64", "v9")),
        ("linux/arm", Platform("linux", "arm")),
        ("linux/armhf", Platform("linux", "arm")),
        ("linux/arm/v6", Platform("linux", "arm", "v6")),
        ("windows/amd64", Platform("windows", "amd64")),
    ],
)
def test_platforms_parse_as_containerds(text: str, expected: Platform) -> None:
    assert runhost.parse_platform(text, "amd64") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus", '"bogus": unknown operating system or architecture: invalid argument'),
        ("a/b/c/d", '"a/b/c/d": cannot parse platform specifier: invalid argument'),
        ("linux/a.b", '"a.b" is an invalid component of "linux/a.b"'),
    ],
)
def test_platforms_that_do_not_parse(text: str, message: str) -> None:
    with pytest.raises(errors.InvalidArgument) as caught:
        runhost.parse_platform(text, "amd64")
    assert str(caught.value).startswith(message)


def _layer(name: str) -> Layer:
    return Layer(f"sha256:{name}", f"sha256:blob-{name}", 10)


BASE = ImageState("image:base", history=({"created_by": "base"},), layers=(_layer("b"),))
SOURCE = ImageState(
    "image:src",
    history=(
        {"created_by": "base"},
        {"created_by": "RUN one"},
        {"created_by": "ENV A=1", "empty_layer": True},
        {"created_by": "RUN two"},
    ),
    layers=(_layer("b"), _layer("one"), _layer("two")),
)


def _probe(created_by: str) -> StepResult:
    return StepResult({"Env": ["A=1"]}, {"created_by": created_by, "created": "now"})


def test_a_source_gives_the_next_step_its_entry_and_layer() -> None:
    found = cachefrom.match(BASE, _probe("RUN one"), [SOURCE])
    assert found == StepResult({"Env": ["A=1"]}, {"created_by": "RUN one"}, _layer("one"))
    after = BASE.apply("k", found)
    empty = cachefrom.match(after, _probe("ENV A=1"), [SOURCE])
    assert empty is not None and empty.layer is None
    last = cachefrom.match(after.apply("k2", empty), _probe("RUN two"), [SOURCE])
    assert last is not None and last.layer == _layer("two")


def test_a_source_that_does_not_begin_with_the_state_is_no_match() -> None:
    assert cachefrom.match(BASE, _probe("RUN other"), [SOURCE]) is None
    other_base = ImageState("image:x", history=({"created_by": "other"},), layers=(_layer("x"),))
    assert cachefrom.match(other_base, _probe("RUN one"), [SOURCE]) is None
    rebuilt = BASE.apply("k", StepResult({}, {"created_by": "RUN one", "created": "later"}))
    assert cachefrom.match(rebuilt, _probe("ENV A=1"), [SOURCE]) is None  # another history
    assert cachefrom.match(BASE, _probe("RUN one"), []) is None


def test_scratch_begins_every_source() -> None:
    source = ImageState("image:s", history=({"created_by": "COPY a"},), layers=(_layer("a"),))
    found = cachefrom.match(ImageState("scratch"), _probe("COPY a"), [source])
    assert found is not None and found.layer == _layer("a")
