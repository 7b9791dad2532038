"""Every build step leaves an image, as docker's classic builder commits one: the " ---> <id>"
it prints runs (`run <step id>`), lists (`images -a`, hidden from `images`), has its parent
(`inspect .Parent`), shows in `history`, and goes with the image it leads to (`rmi`, `image
prune`), down to a parent that is named, has other children or a container uses — as docker
20.10 does each of these."""

from __future__ import annotations

import http.client
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.integration.build.conftest import Context
from tests.support.engine import Engine

pytestmark = pytest.mark.integration

DOCKERFILE = """FROM {base}
ARG FLAVOUR=plain
RUN echo "one $FLAVOUR" > /one
ENV A=1
COPY app.txt /app.txt
RUN cat /app.txt > /copy
CMD ["cat", "/copy"]
"""


def step_ids(out: str) -> list[str]:
    """The " ---> <id>" each step printed, in order (FROM's the base image's)."""
    return re.findall(r"^ ---> ([0-9a-f]{12})$", out, re.MULTILINE)


def full_id(engine: Engine, ref: str) -> str:
    return engine.ok("image", "inspect", "-f", "{{.Id}}", ref).strip()


def listed(engine: Engine, ids: list[str], *args: str) -> list[tuple[str, str, str]]:
    """(repository, tag, ID) of each row `images` lists of the images `ids` (the engine is
    the session's: other tests' images are there too)."""
    rows = [r.split() for r in engine.ok("images", *args).splitlines()[1:]]
    return [(r[0], r[1], r[2]) for r in rows if r[2] in ids]


def api(engine: Engine, method: str, path: str) -> tuple[int, Any]:
    """A Docker API call on the engine's docker.sock: the status and the JSON answer."""
    conn = http.client.HTTPConnection("localhost", timeout=60)
    conn.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.sock.settimeout(60)
    conn.sock.connect(str(engine.state / "docker.sock"))
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def remove_all(engine: Engine, ids: list[str], *names: str) -> None:
    """The images of a test's build gone, the base image (`ids[0]`) kept."""
    for ref in [*names, *reversed(ids[1:])]:
        engine.cli("rmi", ref)


@pytest.fixture
def built(context: Context, engine: Engine, busybox: str) -> Iterator[list[str]]:
    """A tagged build's step IDs (the base image's first)."""
    context.write("app.txt", "version 1\n")
    context.dockerfile(DOCKERFILE.format(base=busybox))
    out = context.ok("-t", "stepped")
    ids = step_ids(out)
    assert len(ids) == 7 and len(set(ids)) == 7, out
    assert f"Successfully built {ids[-1]}\n" in out
    yield ids
    remove_all(engine, ids, "stepped", "kept-step", "saved-step")


def test_each_step_id_is_an_image_with_that_steps_filesystem_and_config(
    engine: Engine, built: list[str]
) -> None:
    _, arg, run, env, copy, run2, cmd = built
    assert full_id(engine, "stepped").removeprefix("sha256:").startswith(cmd)
    assert engine.ok("run", "--rm", run, "cat", "/one") == "one plain\n"
    missing = engine.cli("run", "--rm", run, "cat", "/copy")
    assert missing.returncode == 1 and "No such file" in missing.stderr
    assert engine.ok("run", "--rm", env, "sh", "-c", "echo $A") == "1\n"
    assert engine.ok("run", "--rm", arg, "sh", "-c", "echo ${A:-unset}") == "unset\n"
    assert engine.ok("run", "--rm", copy, "cat", "/app.txt") == "version 1\n"
    assert engine.cli("run", "--rm", run2).returncode == 125  # the base has no CMD: nor has it
    assert engine.ok("run", "--rm", run2, "cat", "/copy") == "version 1\n"
    assert engine.ok("run", "--rm", cmd) == "version 1\n"
    parents = [engine.ok("image", "inspect", "-f", "{{.Parent}}", step).strip() for step in built]
    assert parents[0] == ""  # the base image was pulled: it has none
    for step, parent in zip(built, parents[1:], strict=False):
        assert parent.removeprefix("sha256:").startswith(step)


def test_a_rebuild_prints_the_same_ids_and_remakes_removed_ones(
    context: Context, engine: Engine, built: list[str]
) -> None:
    again = context.ok("-t", "stepped")
    assert step_ids(again) == built and again.count(" ---> Using cache") == 6
    engine.ok("rmi", "stepped")  # the chain goes; the build cache keeps its layers
    assert all(engine.cli("image", "inspect", step).returncode == 1 for step in built[1:])
    remade = context.ok("-t", "stepped")
    assert step_ids(remade) == built and remade.count(" ---> Using cache") == 6
    assert engine.ok("run", "--rm", built[3], "cat", "/one") == "one plain\n"


def test_images_hides_intermediate_images_and_all_shows_them(
    engine: Engine, built: list[str]
) -> None:
    plain = listed(engine, built)
    assert [row[2] for row in plain] == [built[-1], built[0]]
    assert plain[0][:2] == ("stepped", "latest")
    every = listed(engine, built, "-a")
    assert sorted(row[2] for row in every) == sorted(built)
    assert {row[:2] for row in every if row[2] in built[1:-1]} == {("<none>", "<none>")}
    assert engine.ok("images", "-q", "-a").split()[:6] == [built[-1], *reversed(built[1:-1])]
    assert listed(engine, built, "-f", "dangling=true") == []  # one with a child is not
    assert listed(engine, built, "-a", "-f", "dangling=true") == []
    assert [row[2] for row in listed(engine, built, "-a", "-f", "dangling=false")] == [
        built[-1],
        built[0],
    ]


def test_rmi_deletes_the_untagged_chain_down_to_a_named_parent(
    engine: Engine, built: list[str]
) -> None:
    refused = engine.cli("rmi", built[3])
    assert refused.returncode == 1
    assert refused.stderr == (
        f"Error response from daemon: conflict: unable to delete {built[3]} "
        "(cannot be forced) - image has dependent child images\n"
    )
    assert engine.cli("rmi", "-f", built[3]).returncode == 1
    engine.ok("tag", built[3], "kept-step")
    full = {step: full_id(engine, step) for step in built}
    out = engine.ok("rmi", "stepped")
    assert out == "Untagged: stepped:latest\n" + "".join(
        f"Deleted: {full[step]}\n" for step in reversed(built[4:])
    )
    assert engine.ok("run", "--rm", "kept-step", "cat", "/one") == "one plain\n"
    out = engine.ok("rmi", "kept-step")
    assert out == "Untagged: kept-step:latest\n" + "".join(
        f"Deleted: {full[step]}\n" for step in reversed(built[1:4])
    )
    assert [row[2] for row in listed(engine, built, "-a")] == [built[0]]  # the base stays


def test_rmi_and_prune_stop_at_a_parent_a_container_uses(engine: Engine, built: list[str]) -> None:
    engine.ok("create", "--name", "on-a-step", built[4], "true")
    try:
        out = engine.ok("rmi", "stepped")
        assert out.count("Deleted: ") == 2  # the CMD's and the second RUN's images
        assert listed(engine, built, "-a")[0][2] == built[4]
        assert engine.ok("image", "prune", "-f").count(built[4]) == 0  # in use
    finally:
        engine.ok("rm", "-f", "on-a-step")
    assert listed(engine, built, "-f", "dangling=true") == [("<none>", "<none>", built[4])]
    full = {step: full_id(engine, step) for step in built[1:5]}
    pruned = engine.ok("image", "prune", "-f")
    assert pruned.startswith("Deleted Images:\n")
    for step in built[1:5]:  # the COPY's image, dangling now, and its untagged parents
        assert f"deleted: {full[step]}\n" in pruned
    assert [row[2] for row in listed(engine, built, "-a")] == [built[0]]


def test_a_failed_build_leaves_its_finished_steps_images(
    context: Context, engine: Engine, busybox: str
) -> None:
    context.dockerfile(f"FROM {busybox}\nENV B=2\nRUN echo ok > /ok\nRUN exit 3\nRUN echo never\n")
    result = context.build("-t", "never-made")
    assert result.returncode == 3
    ids = step_ids(result.stdout)
    base, env, run = ids
    try:
        assert engine.ok("run", "--rm", run, "cat", "/ok") == "ok\n"  # run <last good step>
        assert listed(engine, ids, "-f", "dangling=true") == [("<none>", "<none>", run)]
        assert sorted(row[2] for row in listed(engine, ids, "-a")) == sorted(ids)
        full = [full_id(engine, env), full_id(engine, run)]
        pruned = engine.ok("image", "prune", "-f")
        assert all(f"deleted: {image}\n" in pruned for image in full)
        assert [row[2] for row in listed(engine, ids, "-a")] == [base]
    finally:
        remove_all(engine, ids)


def test_history_names_each_step_image(engine: Engine, built: list[str], tmp_path: Path) -> None:
    ids = engine.ok("history", "-q", "stepped").split()
    assert ids[:7] == list(reversed(built))
    engine.ok("tag", "stepped", "saved-step")
    archive = tmp_path / "stepped.tar"
    engine.ok("save", "-o", str(archive), "saved-step")
    engine.ok("rmi", "stepped", "saved-step")
    engine.ok("load", "-i", str(archive))  # an image loaded has no parent: docker's <missing>
    ids = engine.ok("history", "-q", "saved-step").split()
    assert ids[0] == built[-1] and set(ids[1:]) == {"<missing>"}
    assert engine.ok("image", "inspect", "-f", "{{.Parent}}", "saved-step").strip() == ""


def test_the_docker_api_lists_inspects_and_deletes_the_chain(
    engine: Engine, built: list[str]
) -> None:
    full = [full_id(engine, step) for step in built]
    status, plain = api(engine, "GET", "/v1.41/images/json")
    assert status == 200
    mine = {i["Id"]: i for i in plain if i["Id"] in full}
    assert set(mine) == {full[0], full[-1]}
    assert mine[full[-1]]["ParentId"] == full[-2] and mine[full[0]]["ParentId"] == ""
    status, every = api(engine, "GET", "/v1.41/images/json?all=1")
    assert status == 200 and {i["Id"] for i in every} >= set(full)
    assert {i["ParentId"] for i in every if i["Id"] in full[1:]} == set(full[:-1])
    status, inspected = api(engine, "GET", f"/v1.41/images/{built[3]}/json")
    assert status == 200 and inspected["Parent"] == full[2]
    status, history = api(engine, "GET", "/v1.41/images/stepped/history")
    assert status == 200 and [entry["Id"] for entry in history[:7]] == full[::-1]
    assert history[0]["Tags"] == ["stepped:latest"] and history[1]["Tags"] is None
    status, refused = api(engine, "DELETE", f"/v1.41/images/{built[3]}")
    assert status == 409
    assert refused["message"] == (
        f"conflict: unable to delete {built[3]} (cannot be forced) - "
        "image has dependent child images"
    )
    status, deleted = api(engine, "DELETE", "/v1.41/images/stepped")
    assert status == 200
    assert deleted == [{"Untagged": "stepped:latest"}] + [
        {"Deleted": image} for image in reversed(full[1:])
    ]


def test_prune_of_all_untags_a_named_image_others_are_built_on(
    context: Context, engine: Engine, busybox: str
) -> None:
    """docker's prune -a (and the API's dangling=false) removes the names of an image another
    is built on, and keeps it; the label filter keeps the session's other images out."""
    context.dockerfile(f"FROM {busybox}\nRUN echo base > /base\n")
    context.ok("-t", "prune-base", "--label", "prune-test=1")
    base = full_id(engine, "prune-base")
    context.dockerfile("FROM prune-base\nRUN echo top > /top\n")
    context.ok("-t", "prune-top")
    engine.ok("create", "--name", "on-top", "prune-top", "true")
    try:
        query = '{"dangling":["false"],"label":["prune-test=1"]}'
        status, pruned = api(engine, "POST", f"/v1.41/images/prune?filters={quote(query)}")
        assert status == 200 and pruned["ImagesDeleted"] == [{"Untagged": "prune-base:latest"}]
        assert engine.ok("image", "inspect", "-f", "{{.Id}}", base).strip() == base
        engine.ok("tag", base, "prune-base")
        out = engine.ok("image", "prune", "-a", "-f", "--filter", "label=prune-test=1")
        assert out == "Deleted Images:\nuntagged: prune-base:latest\n\nTotal reclaimed space: 0B\n"
        assert base not in engine.ok("images", "-q", "--no-trunc").split()
        assert base in engine.ok("images", "-a", "-q", "--no-trunc").split()
    finally:
        engine.ok("rm", "-f", "on-top")
    removed = engine.ok("rmi", "prune-top")
    assert f"Deleted: {base}\n" in removed  # untagged now: it goes with its child


def test_rmi_no_prune_deletes_the_image_alone(engine: Engine, built: list[str]) -> None:
    full = {step: full_id(engine, step) for step in built}
    out = engine.ok("rmi", "--no-prune", "stepped")
    assert out == f"Untagged: stepped:latest\nDeleted: {full[built[-1]]}\n"
    assert engine.cli("image", "inspect", built[-1]).returncode == 1
    assert engine.ok("run", "--rm", built[-2], "cat", "/copy") == "version 1\n"
    assert listed(engine, built, "-f", "dangling=true") == [("<none>", "<none>", built[-2])]
    out = engine.ok("image", "rm", "--no-prune", built[-2])
    assert out == f"Deleted: {full[built[-2]]}\n"
    assert sorted(row[2] for row in listed(engine, built, "-a")) == sorted(built[:-2])
    status, answer = api(engine, "DELETE", f"/images/{built[-3]}?noprune=1")
    assert (status, answer) == (200, [{"Deleted": full[built[-3]]}])
    assert sorted(row[2] for row in listed(engine, built, "-a")) == sorted(built[:-3])
