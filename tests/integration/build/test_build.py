"""dockyard build end to end: real RUN containers, COPY/ADD into snapshots, images that run."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine
from tests.support.images import busybox_image, push
from tests.support.registry import Registry

pytestmark = pytest.mark.integration


def test_an_image_built_runs_with_its_config(context: Context, busybox: str) -> None:
    context.write("app/greeting.txt", "hello from the context\n")
    context.dockerfile(
        f"FROM {busybox}\n"
        "ENV GREETING=hi WHO=world\n"
        'RUN echo "building for $WHO" && mkdir -p /data && echo made > /data/made\n'
        "COPY app/ /srv/app/\n"
        "WORKDIR /srv/app\n"
        "USER nobody\n"
        'CMD ["sh", "-c", "echo $GREETING $WHO; cat greeting.txt /data/made; pwd; id -u"]\n'
    )
    out = context.ok("-t", "built:v1")
    assert "Step 3/7 : RUN" in out and "building for world\n" in out
    assert "Successfully tagged built:v1\n" in out
    image_id = out.rsplit("Successfully built ", 1)[1].split()[0]
    assert context.engine.ok("run", "--rm", "built:v1") == (
        "hi world\nhello from the context\nmade\n/srv/app\n65534\n"
    )
    inspected = json.loads(context.engine.ok("image", "inspect", "built:v1"))[0]
    assert inspected["Id"].removeprefix("sha256:").startswith(image_id)
    assert inspected["Config"]["WorkingDir"] == "/srv/app"
    assert inspected["Config"]["User"] == "nobody"
    assert inspected["Config"]["Env"] == [  # PATH first: docker's builder adds it at FROM
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "GREETING=hi",
        "WHO=world",
    ]


def test_a_base_with_a_path_of_its_own_keeps_it(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox}\nENV PATH=/bin\n")
    context.ok("-t", "own-path:v1")
    context.dockerfile("FROM own-path:v1\nRUN true\n")
    context.ok("-t", "own-path:v2")
    env = context.engine.ok("image", "inspect", "-f", "{{json .Config.Env}}", "own-path:v2")
    assert json.loads(env) == ["PATH=/bin"]
    context.engine.ok("rmi", "own-path:v2", "own-path:v1")


def test_quiet_prints_only_the_id_and_iidfile_gets_it(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox}\nRUN echo noisy\n")
    iidfile = context.path.parent / "iid"
    out = context.ok("-q", "--iidfile", str(iidfile))
    assert out.startswith("sha256:") and len(out.split()) == 1
    assert iidfile.read_text() == out.strip()


def test_metadata_instructions_reach_the_config(context: Context, busybox: str) -> None:
    context.dockerfile(
        f"FROM {busybox}\n"
        'LABEL a=1 b="two words"\n'
        "EXPOSE 80 9000-9001/udp\n"
        "VOLUME /data\n"
        "STOPSIGNAL SIGINT\n"
        'SHELL ["/bin/sh", "-ec"]\n'
        "ENTRYPOINT echo entry\n"
        "HEALTHCHECK --interval=5s --retries=2 CMD true\n"
        "ONBUILD RUN echo triggered\n"
    )
    context.ok("-t", "meta", "--label", "extra=yes")
    config = json.loads(context.engine.ok("image", "inspect", "meta"))[0]["Config"]
    assert config["Labels"] == {"a": "1", "b": "two words", "extra": "yes"}
    assert sorted(config["ExposedPorts"]) == ["80/tcp", "9000/udp", "9001/udp"]
    assert config["Volumes"] == {"/data": {}}
    assert config["StopSignal"] == "SIGINT"
    assert config["Entrypoint"] == ["/bin/sh", "-ec", "echo entry"]


def test_onbuild_triggers_run_in_the_child(context: Context, busybox: str) -> None:
    context.dockerfile(f"FROM {busybox}\nONBUILD RUN echo triggered > /from-trigger\n")
    context.ok("-t", "parent-with-trigger")
    context.dockerfile("FROM parent-with-trigger\nRUN cat /from-trigger\n")
    out = context.ok("-t", "child-of-trigger")
    assert "# Executing 1 build trigger" in out and "triggered\n" in out


def test_build_args_and_variable_substitution(context: Context, busybox: str) -> None:
    context.dockerfile(
        "ARG BASE\n"
        "FROM ${BASE}\n"
        "ARG VERSION=1.0\n"
        "ARG UNSET\n"
        "ENV DIR=/opt/app-${VERSION}\n"
        'RUN echo "v=$VERSION alt=${UNSET:+set} def=${UNSET:-none}" > /v && mkdir -p $DIR\n'
        "WORKDIR $DIR\n"
    )
    out = context.ok("-t", "args", "--build-arg", f"BASE={busybox}", "--build-arg", "VERSION=2.5")
    assert "[Warning]" not in out
    assert context.engine.ok("run", "--rm", "args", "sh", "-c", "cat /v; pwd") == (
        "v=2.5 alt= def=none\n/opt/app-2.5\n"
    )
    unused = context.ok("--build-arg", f"BASE={busybox}", "--build-arg", "NOPE=1")
    assert "[Warning] One or more build-args [NOPE] were not consumed" in unused


def test_copy_and_add_semantics(context: Context, busybox: str) -> None:
    context.write("one.txt", "1\n")
    context.write("two.txt", "2\n")
    context.write("tree/a/b.txt", "b\n", mode=0o600)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"from the archive\n"
        info = tarfile.TarInfo("pkg/inside.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (context.path / "pkg.tar.gz").write_bytes(buffer.getvalue())
    context.dockerfile(
        f"FROM {busybox}\n"
        "COPY *.txt /globbed/\n"
        "COPY tree /copied\n"
        "COPY --chown=nobody:nogroup --chmod=700 one.txt /owned\n"
        "ADD pkg.tar.gz /extracted/\n"
        "COPY pkg.tar.gz /not-extracted/\n"
        "COPY <<EOF /heredoc.txt\n"
        "line one\n"
        "EOF\n"
    )
    context.ok("-t", "copies")
    script = (
        "ls /globbed; cat /copied/a/b.txt; stat -c '%a %u:%g' /copied/a/b.txt /owned; "
        "cat /extracted/pkg/inside.txt; ls /not-extracted; cat /heredoc.txt"
    )
    assert context.engine.ok("run", "--rm", "copies", "sh", "-c", script) == (
        "one.txt\ntwo.txt\nb\n600 0:0\n700 65534:65534\nfrom the archive\npkg.tar.gz\nline one\n"
    )


def test_dockerignore_leaves_files_out(context: Context, busybox: str) -> None:
    context.write(".dockerignore", "*.secret\nlogs/\n!logs/keep.log\n")
    context.write("app.txt", "app\n")
    context.write("key.secret", "secret\n")
    context.write("logs/old.log", "old\n")
    context.write("logs/keep.log", "keep\n")
    context.dockerfile(f"FROM {busybox}\nCOPY . /ctx/\n")
    context.ok("-t", "ignored")
    listing = context.engine.ok("run", "--rm", "ignored", "find", "/ctx", "-type", "f")
    assert sorted(listing.split()) == [
        "/ctx/.dockerignore",
        "/ctx/Dockerfile",
        "/ctx/app.txt",
        "/ctx/logs/keep.log",
    ]
    context.dockerfile(f"FROM {busybox}\nCOPY key.secret /\n")
    result = context.build()
    assert result.returncode == 1
    assert "excluded by .dockerignore" in result.stderr


def test_context_and_dockerfile_from_stdin(context: Context, engine: Engine, busybox: str) -> None:
    dockerfile = f"FROM {busybox}\nRUN echo from stdin > /marker\n"
    result = engine.cli("build", "-t", "from-stdin", "-", input=dockerfile)
    assert result.returncode == 0, result.stderr
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, text in (("Dockerfile", f"FROM {busybox}\nCOPY f /f\n"), ("f", "in the tar\n")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    proc = _cli_bytes(engine, ["build", "-t", "tar-stdin", "-"], buffer.getvalue())
    assert proc.returncode == 0, proc.stderr
    assert engine.ok("run", "--rm", "tar-stdin", "cat", "/f") == "in the tar\n"
    outside = context.path.parent / "Elsewhere.dockerfile"
    outside.write_text(f"FROM {busybox}\nCOPY f /f\n")
    context.write("f", "outside dockerfile\n")
    context.ok("-f", str(outside), "-t", "outside-file")
    assert engine.ok("run", "--rm", "outside-file", "cat", "/f") == "outside dockerfile\n"


def _cli_bytes(engine: Engine, args: list[str], data: bytes) -> object:
    import subprocess

    from tests.support.engine import CLI

    return subprocess.run(
        [CLI, "-H", engine.host, *args], input=data, capture_output=True, timeout=120, check=False
    )


def test_history_shows_the_steps(context: Context, busybox: str) -> None:
    context.write("f", "x" * 1000)
    context.dockerfile(
        f"FROM {busybox}\nCOPY f /f\nENV A=1\nRUN echo a long command that the table truncates > /r\n"
    )
    image = context.ok("-q", "-t", "with-history").strip()
    lines = context.engine.ok("history", "with-history").splitlines()
    assert lines[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert lines[1].startswith(image.removeprefix("sha256:")[:12])
    assert "/bin/sh -c echo a long command that the tabl…" in lines[1]
    assert "/bin/sh -c #(nop)  ENV A=1" in lines[2]  # docker 20.10's classic builder's
    assert "/bin/sh -c #(nop) COPY file:" in lines[3]
    quiet = context.engine.ok("history", "-q", "--no-trunc", "with-history").split()
    assert quiet[0] == image and len(quiet) == len(lines) - 1
    # each step's image, then the base's, down the parent chain (docker's classic builder)
    parent = image
    for entry in quiet[1:4]:
        parent = context.engine.ok("image", "inspect", "-f", "{{.Parent}}", parent).strip()
        assert entry == parent
    assert quiet[3] == context.engine.ok("image", "inspect", "-f", "{{.Id}}", busybox).strip()
    assert lines[2].startswith(quiet[1].removeprefix("sha256:")[:12])
    assert all(line.startswith("<missing>") for line in lines[5:])
    created_by = context.engine.ok(
        "history", "--no-trunc", "--format", "{{.CreatedBy}}", "with-history"
    )
    assert (
        created_by.splitlines()[0] == "/bin/sh -c echo a long command that the table truncates > /r"
    )


def test_run_mounts_a_part_of_the_context(context: Context, busybox: str) -> None:
    context.write("src/input.txt", "from the context\n")
    context.dockerfile(
        f"FROM {busybox}\n"
        "RUN --mount=type=bind,source=src,target=/src cat /src/input.txt > /copied "
        "&& ! touch /src/readonly 2>/dev/null\n"
    )
    context.ok("-t", "bound")
    assert context.engine.ok(
        "run", "--rm", "bound", "sh", "-c", "cat /copied; ls /src 2>&1 || true"
    ) == ("from the context\nls: /src: No such file or directory\n")
    context.write("src/input.txt", "changed\n")  # what a bind reads is part of the step's key
    out = context.ok("-t", "bound")
    assert " ---> Using cache" not in out
    assert context.engine.ok("run", "--rm", "bound", "cat", "/copied") == "changed\n"


def test_shell_and_the_exec_form(context: Context, busybox: str) -> None:
    context.dockerfile(
        f"FROM {busybox}\n"
        'SHELL ["/bin/sh", "-e", "-c"]\n'
        "RUN echo shell-form $0 > /shell\n"
        'RUN ["/bin/sh", "-c", "echo exec-form > /exec"]\n'
        'ENTRYPOINT ["cat"]\n'
        'CMD ["/shell", "/exec"]\n'
    )
    context.ok("-t", "forms")
    assert context.engine.ok("run", "--rm", "forms") == "shell-form /bin/sh\nexec-form\n"


def test_dockerfile_from_stdin_with_a_directory_context(context: Context, busybox: str) -> None:
    context.write("f", "context file\n")
    result = context.engine.cli(
        "build",
        "-t",
        "stdin-file",
        "-f",
        "-",
        str(context.path),
        input=f"FROM {busybox}\nCOPY f /f\n",
    )
    assert result.returncode == 0, result.stderr
    assert context.engine.ok("run", "--rm", "stdin-file", "cat", "/f") == "context file\n"


def test_pull_fetches_the_base_even_when_present(
    context: Context, engine: Engine, registry: Registry
) -> None:
    base = f"{registry.host}/library/busybox"
    context.dockerfile(f"FROM {base}\nRUN echo pulled-base\n")
    first = context.ok("-t", "from-registry")
    assert "Pulling from" in first or "Pull complete" in first  # missing: pulled
    assert "Pulling from" not in context.ok("-t", "from-registry")  # present: used as it is
    assert "Pulling from" in context.ok("--pull", "-t", "from-registry")
    engine.ok("rmi", "from-registry", base)  # the session's other tests pull it afresh


def test_a_base_image_behind_a_login(context: Context, engine: Engine, tmp_path: Path) -> None:
    with Registry.start(tmp_path / "registry", auth="basic") as registry:
        push(registry, "private/base", "latest", busybox_image(Cmd=["echo", "private base"]))
        base = f"{registry.host}/private/base"
        context.dockerfile(f"FROM {base}\nRUN true\n")
        config = {"DOCKER_CONFIG": str(tmp_path / "cli")}
        anonymous = context.engine.cli("build", str(context.path), env=config)
        assert anonymous.returncode == 1 and "unauthorized" in anonymous.stderr
        engine.ok("login", registry.host, "-u", "dockyard", "-p", "s3cret-password", env=config)
        built = context.engine.cli("build", "-t", "on-private", str(context.path), env=config)
        assert built.returncode == 0, built.stderr
        assert engine.ok("run", "--rm", "on-private") == "private base\n"
        engine.ok("rmi", "on-private", base)
