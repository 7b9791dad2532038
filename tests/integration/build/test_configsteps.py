"""Config-only steps and WORKDIR as docker 20.10's classic builder prints and makes them
(builder/dockerfile: `commit` → `probeAndCreate`, `dispatchWorkdir` →
`ContainerCreateWorkdir`): each step done on a miss prints its intermediate container's
" ---> Running in <id>" and "Removing intermediate container <id>", a hit " ---> Using cache"
only; WORKDIR's directory is made (root's, 0755, whatever USER says) in a layer of its own, and
no layer when it is there already."""

from __future__ import annotations

import re

import pytest

from tests.integration.build.conftest import Context

pytestmark = pytest.mark.integration

MISS = re.compile(
    r"Step \d+/\d+ : [^\n]+\n"
    r" ---> Running in ([0-9a-f]{12})\n"
    r"Removing intermediate container \1\n"
    r" ---> [0-9a-f]{12}\n"
)
HIT = re.compile(r"Step \d+/\d+ : [^\n]+\n ---> Using cache\n ---> [0-9a-f]{12}\n")
DOCKERFILE = (
    "ARG BASE\n"
    "FROM $BASE\n"
    "ENV A=1\n"
    "LABEL l=v\n"
    "ARG X=1\n"
    "EXPOSE 80\n"
    "USER nobody\n"
    "WORKDIR /srv/app\n"
    "WORKDIR /tmp\n"
    'CMD ["pwd"]\n'
)


def steps(out: str) -> str:
    """What the steps after FROM printed."""
    return out[out.index("Step 3/") : out.index("Successfully built")]


def layers(context: Context, ref: str) -> int:
    return int(context.engine.ok("image", "inspect", "-f", "{{len .RootFS.Layers}}", ref))


def test_config_steps_print_their_intermediate_containers(context: Context, busybox: str) -> None:
    context.dockerfile(DOCKERFILE)
    out = context.ok("--build-arg", f"BASE={busybox}", "-t", "config-steps")
    assert "\nStep 1/10 : ARG BASE\nStep 2/10 : FROM $BASE\n ---> " in out, out
    done = steps(out)
    matched = [m.group(1) for m in MISS.finditer(done)]
    assert "".join(m.group(0) for m in MISS.finditer(done)) == done, done
    assert len(matched) == 8 and len(set(matched)) == 8
    again = steps(context.ok("--build-arg", f"BASE={busybox}", "-t", "config-steps"))
    assert "".join(m.group(0) for m in HIT.finditer(again)) == again, again
    assert again.count(" ---> Using cache") == 8 and "Running in" not in again
    assert context.engine.ok("ps", "-aq") == ""  # nothing of them is left
    context.engine.ok("rmi", "config-steps")


def test_workdir_makes_its_directory_in_a_layer(context: Context, busybox: str) -> None:
    context.dockerfile(DOCKERFILE)
    out = context.ok("--build-arg", f"BASE={busybox}", "-t", "workdir-layer")
    ids = re.findall(r"^ ---> ([0-9a-f]{12})$", out, re.MULTILINE)
    user, made, existing = ids[5], ids[6], ids[7]
    assert layers(context, made) == layers(context, user) + 1
    assert layers(context, existing) == layers(context, made)  # /tmp was there: no layer
    owners = context.engine.ok(
        "run", "--rm", "workdir-layer", "stat", "-c", "%n %u:%g %a", "/srv", "/srv/app", "/tmp"
    )
    assert owners == "/srv 0:0 755\n/srv/app 0:0 755\n/tmp 0:0 1777\n"  # root's, not nobody's
    assert context.engine.ok("run", "--rm", "workdir-layer") == "/tmp\n"
    history = context.engine.ok(
        "history", "--format", "{{.CreatedBy}}|{{.Size}}", "workdir-layer"
    ).splitlines()
    assert history[1:3] == [  # docker's: directories count nothing
        "/bin/sh -c #(nop) WORKDIR /tmp|0B",
        "/bin/sh -c #(nop) WORKDIR /srv/app|0B",
    ]
    context.engine.ok("rmi", "workdir-layer")


def test_workdir_on_a_file_fails(context: Context, busybox: str) -> None:
    context.write("f", "a file\n")
    context.dockerfile(f"FROM {busybox}\nCOPY f /f\nWORKDIR /f\n")
    result = context.build("-t", "workdir-file")
    assert result.returncode == 1, result
    assert "Cannot mkdir: /f is not a directory" in result.stderr
    assert " ---> Running in " in result.stdout and "Removing intermediate" not in result.stdout
