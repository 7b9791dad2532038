"""Multi-stage builds: COPY --from, --target, stages not needed never run, stages run at once."""

from __future__ import annotations

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine
from tests.support.registry import Registry

pytestmark = pytest.mark.integration


def test_copy_from_a_stage_and_an_unneeded_stage_never_runs(context: Context, busybox: str) -> None:
    context.dockerfile(
        f"FROM {busybox} AS build\n"
        "RUN mkdir /out && echo compiled > /out/app && chmod 751 /out/app\n"
        f"FROM {busybox} AS unused\n"
        "RUN echo UNUSED-STAGE-RAN\n"
        "FROM scratch AS empty\n"
        f"FROM {busybox}\n"
        "COPY --from=build /out/app /usr/local/bin/app\n"
        "COPY --from=0 /out /out\n"
    )
    out = context.ok("-t", "staged")
    assert "UNUSED-STAGE-RAN" not in out
    script = "cat /usr/local/bin/app /out/app; stat -c %a /usr/local/bin/app"
    assert context.engine.ok("run", "--rm", "staged", "sh", "-c", script) == (
        "compiled\ncompiled\n751\n"
    )


def test_target_builds_that_stage_only(context: Context, busybox: str) -> None:
    context.dockerfile(
        f"FROM {busybox} AS base\n"
        "RUN echo base > /stage\n"
        "FROM base AS test\n"
        "RUN echo TEST-STAGE-RAN && echo test > /stage\n"
        "FROM base\n"
        "RUN echo FINAL-STAGE-RAN\n"
    )
    out = context.ok("--target", "base", "-t", "targeted")
    assert "TEST-STAGE-RAN" not in out and "FINAL-STAGE-RAN" not in out
    assert context.engine.ok("run", "--rm", "targeted", "cat", "/stage") == "base\n"
    out = context.ok("--target", "test", "-t", "targeted")
    assert "TEST-STAGE-RAN" in out and "FINAL-STAGE-RAN" not in out


def test_independent_stages_build_at_once(context: Context, busybox: str) -> None:
    uptime = "cut -d' ' -f1 /proc/uptime"  # seconds, hundredths: the host's clock
    stamp = f"{uptime} > /start; sleep 2; {uptime} > /end"
    context.dockerfile(
        f"FROM {busybox} AS one\nRUN {stamp}\n"
        f"FROM {busybox} AS two\nRUN {stamp} # two\n"
        f"FROM {busybox}\n"
        "COPY --from=one /start /one.start\nCOPY --from=one /end /one.end\n"
        "COPY --from=two /start /two.start\nCOPY --from=two /end /two.end\n"
    )
    out = context.ok("-t", "parallel")
    assert out.index("Step 2/") < out.index("Step 3/")  # the output stays in order
    times = {
        name: float(context.engine.ok("run", "--rm", "parallel", "cat", f"/{name}"))
        for name in ("one.start", "one.end", "two.start", "two.end")
    }
    # each stage slept 2 s: they overlapped when one started before the other ended
    assert times["one.start"] < times["two.end"] and times["two.start"] < times["one.end"]


def test_from_platform_builds_on_that_platforms_image(
    context: Context, engine: Engine, registry: Registry
) -> None:
    ref = f"{registry.host}/test/multi:latest"
    arch = ["image", "inspect", "-f", "{{.Architecture}}"]
    try:
        context.dockerfile(f"ARG ARCH=arm64\nFROM --platform=linux/$ARCH {ref}\nLABEL made=yes\n")
        context.ok("-t", "platform:asked")
        assert engine.ok(*arch, "platform:asked") == "arm64\n"
        context.dockerfile(f"FROM --platform=$BUILDPLATFORM {ref}\nLABEL made=yes\n")
        context.ok("-t", "platform:build")  # the local arm64 one will not do: amd64 is pulled
        assert engine.ok(*arch, "platform:build") == "amd64\n"
        context.dockerfile("FROM --platform=linux/arm64 scratch\nLABEL made=yes\n")
        context.ok("-t", "platform:scratch")
        assert engine.ok(*arch, "platform:scratch") == "arm64\n"
        context.dockerfile(f"FROM --platform=linux/s390x {ref}\n")
        missing = context.build()
        assert missing.returncode == 1
        assert "no matching manifest for linux/s390x" in missing.stderr
        context.dockerfile(f"FROM --platform=arm64 {ref}\n")
        bad = context.build()
        assert bad.returncode == 1
        assert bad.stderr.strip().endswith("FROM --platform=arm64: a platform is os/arch[/variant]")
    finally:
        engine.cli("rmi", "platform:asked", "platform:build", "platform:scratch", ref)
