"""The stage graph: meta args, names, dependencies, targets and what a target needs."""

from __future__ import annotations

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build.dockerfile import ParseError, parse
from dockyard.services.engine.build.stages import plan, platform_args

MULTI = """
ARG BASE=busybox
ARG TAG
FROM ${BASE}:${TAG:-latest} AS deps
RUN echo deps
FROM busybox AS tools
RUN echo tools
FROM deps AS build
COPY --from=tools /bin/x /x
RUN --mount=type=bind,from=tools,target=/t echo
FROM scratch AS unused
COPY y /y
FROM busybox
COPY --from=build /x /x
COPY --from=1 /bin/y /y
"""


def test_meta_args_expand_in_from_and_build_args_win() -> None:
    result = plan(parse(MULTI), {"TAG": "1.36"})
    assert result.meta_env == {"BASE": "busybox", "TAG": "1.36"}
    assert result.stages[0].base == "busybox:1.36"
    assert plan(parse(MULTI), {}).stages[0].base == "busybox:latest"


def test_dependencies_and_what_a_target_needs() -> None:
    result = plan(parse(MULTI), {})
    names = [s.label for s in result.stages]
    assert names == ["deps", "tools", "build", "unused", "stage-4"]
    build = result.stages[2]
    assert build.base_stage == 0 and build.deps == {0, 1}
    final = result.target("")
    assert final.deps == {2, 1}
    assert [s.label for s in result.needed(final)] == ["deps", "tools", "build", "stage-4"]
    assert [s.label for s in result.needed(result.target("TOOLS"))] == ["tools"]


def test_a_missing_target() -> None:
    with pytest.raises(InvalidArgument, match='target stage "nope" could not be found'):
        plan(parse(MULTI), {}).target("nope")


def test_instructions_before_from() -> None:
    with pytest.raises(ParseError, match="line 1: RUN before the first FROM"):
        plan(parse("RUN x\nFROM y\n"), {})
    with pytest.raises(InvalidArgument, match="no FROM"):
        plan(parse("ARG A\n"), {})


def test_duplicate_stage_names_and_blank_bases() -> None:
    with pytest.raises(ParseError, match="line 2: duplicate name a"):
        plan(parse("FROM x AS a\nFROM y AS A\n"), {})
    with pytest.raises(ParseError, match=r"base name \(\$\{NOPE\}\) should not be blank"):
        plan(parse("FROM ${NOPE}\n"), {})


def test_from_index_must_be_earlier() -> None:
    with pytest.raises(InvalidArgument, match="refers to current or future build stage"):
        plan(parse("FROM x\nCOPY --from=0 a b\n"), {})


def test_the_platform_args_are_there_before_the_first_line() -> None:
    text = "FROM busybox:${TARGETARCH}\nARG TARGETOS\n"
    result = plan(parse(text), {}, platform_args("arm64"))
    assert result.stages[0].base == "busybox:arm64"
    assert result.meta_env["BUILDPLATFORM"] == "linux/arm64"
    assert plan(parse(text), {"TARGETARCH": "riscv64"}, platform_args("arm64")).stages[0].base == (
        "busybox:riscv64"
    )
