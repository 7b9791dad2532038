"""Builds that fail: a RUN that exits non-zero, bad Dockerfiles, bad sources. Each is a clear
error and a non-zero exit, tags nothing, and leaves no container, task, mount or snapshot
(the fixtures check the last three after every test)."""

from __future__ import annotations

import pytest

from tests.integration.build.conftest import Context

pytestmark = pytest.mark.integration


def test_a_failing_run_stops_the_build(context: Context, busybox: str) -> None:
    context.dockerfile(
        f"FROM {busybox}\n"
        "RUN echo fine\n"
        "RUN echo about to fail; echo to stderr >&2; exit 3\n"
        "RUN echo NEVER-RUNS\n"
    )
    result = context.build("-t", "never-tagged")
    assert result.returncode == 3
    assert "about to fail\n" in result.stdout and "to stderr" in result.stdout
    assert "NEVER-RUNS" not in result.stdout
    assert result.stderr == (
        "The command '/bin/sh -c echo about to fail; echo to stderr >&2; exit 3' "
        "returned a non-zero code: 3 (Dockerfile line 3)\n"
    )
    assert "never-tagged" not in context.engine.ok("images", "--format", "{{.Repository}}")
    assert context.engine.ok("ps", "-aq") == ""


def test_a_missing_command_fails_the_step(context: Context, busybox: str) -> None:
    context.dockerfile(f'FROM {busybox}\nRUN ["/no/such/program"]\n')
    result = context.build()
    assert result.returncode != 0
    assert "no/such/program" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("dockerfile", "message"),
    [
        ("FROM {b}\nFOO bar\n", "dockerfile parse error on line 2: unknown instruction: FOO"),
        (
            "FROM {b}\nRUN a \\\n  b\nCOPY x\n",
            "dockerfile parse error on line 4: COPY requires at least two arguments",
        ),
        (
            "FROM {b}\nCOPY ../outside /x\n",
            "COPY failed: forbidden path outside the build context: ../outside",
        ),
        ("FROM {b}\nCOPY missing.txt /x\n", "COPY failed: file not found in build context"),
        (
            "FROM {b}\nCOPY --from=1 /a /b\n",
            "invalid from flag value 1: refers to current or future build stage",
        ),
        ("FROM {b}\nARG NEEDED\nRUN echo ${{NEEDED:?must be given}}\n", ""),
        ("FROM {b}\nWORKDIR ${{NEEDED:?must be given}}\n", "NEEDED: must be given"),
        ("FROM ${{NOPE}}\n", "base name (${NOPE}) should not be blank"),
        ("", "the Dockerfile cannot be empty"),
        ("RUN true\n", "dockerfile parse error on line 1: RUN before the first FROM"),
        ("FROM {b}\nRUN --mount=type=secret,target=/s true\n", "unsupported mount type 'secret'"),
    ],
)
def test_bad_dockerfiles_are_one_clear_line(
    context: Context, busybox: str, dockerfile: str, message: str
) -> None:
    context.dockerfile(dockerfile.format(b=busybox))
    result = context.build("-t", "never-tagged")
    assert result.returncode != 0
    if not message:  # a shell's own ${X:?} in a RUN: the shell fails the step
        assert "NEEDED: must be given" in result.stdout + result.stderr
        return
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_target_stage(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox} AS one\n")
    result = context.build("--target", "two")
    assert result.returncode == 1
    assert result.stderr == 'Error response from daemon: target stage "two" could not be found\n'


def test_a_missing_context_or_dockerfile(context: Context, busybox: str) -> None:
    result = context.engine.cli("build", str(context.path / "nowhere"))
    assert result.returncode == 1 and "not found" in result.stderr
    context.write("Other", f"FROM {busybox}\n")
    result = context.build()
    assert result.returncode == 1 and "Dockerfile" in result.stderr


def test_an_error_after_the_first_step_is_the_bare_message(context: Context, busybox: str) -> None:
    """dockerd writes an error into the build's stream once a step was shown, and docker's
    client prints it bare; before any step (a parse error) it is the HTTP reply's own error,
    "Error response from daemon: …"."""
    context.dockerfile(f"FROM {busybox}\nCOPY missing.txt /x\n")
    result = context.build("-t", "never-tagged")
    assert result.returncode == 1 and result.stderr.startswith("COPY failed: "), result.stderr
    assert "Step 2/2 : COPY missing.txt /x" in result.stdout
    context.dockerfile(f"FROM {busybox}\nFOO bar\n")
    early = context.build("-t", "never-tagged")
    assert early.returncode == 1 and early.stderr.startswith("Error response from daemon: ")
