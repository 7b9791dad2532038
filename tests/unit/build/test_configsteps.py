"""Config-only steps and WORKDIR as docker 20.10's classic builder prints and makes them: an
intermediate container per step on a miss, none on a hit; WORKDIR's directory in a layer."""

from __future__ import annotations

import json
import re

from tests.unit.build.conftest import BASE_DIFF, BuildRig, add_base

CONFIG_STEPS = (
    "FROM busybox\n"
    "ENV A=1\n"
    "LABEL l=v\n"
    "EXPOSE 80\n"
    "USER nobody\n"
    "VOLUME /data\n"
    "STOPSIGNAL SIGTERM\n"
    "HEALTHCHECK CMD true\n"
    'SHELL ["/bin/sh", "-c"]\n'
    "ARG X=1\n"
    "MAINTAINER me\n"
    "ONBUILD RUN true\n"
    'ENTRYPOINT ["e"]\n'
    'CMD ["c"]\n'
)
MISS = re.compile(
    r"Step (\d+)/(\d+) : [^\n]+\n"
    r" ---> Running in ([0-9a-f]{12})\n"
    r"Removing intermediate container \3\n"
    r" ---> [0-9a-f]{12}\n"
)
HIT = re.compile(r"Step \d+/\d+ : [^\n]+\n ---> Using cache\n ---> [0-9a-f]{12}\n")


def steps_after_from(text: str) -> str:
    return text[text.index("Step 2/") : text.index("Successfully built")]


async def test_each_config_step_runs_in_an_intermediate_container(rig: BuildRig) -> None:
    outcome = await rig.build(CONFIG_STEPS, labels={"from-cli": "yes"})
    body = steps_after_from(outcome.text)
    matches = list(MISS.finditer(body))
    assert "".join(m.group(0) for m in matches) == body, body
    assert len(matches) == 14  # 13 steps and the `--label`'s LABEL, each its own container
    ids = [m.group(3) for m in matches]
    assert len(set(ids)) == len(ids) and not any(i.isdigit() for i in ids)
    assert rig.ran == [] and rig.leftovers() == []  # made, never started, nothing left


async def test_a_cache_hit_makes_no_container(rig: BuildRig) -> None:
    await rig.build(CONFIG_STEPS)
    again = steps_after_from((await rig.build(CONFIG_STEPS)).text)
    assert "".join(m.group(0) for m in HIT.finditer(again)) == again
    assert "Running in" not in again and again.count("Using cache") == 13


async def test_workdir_makes_its_directory_root_owned_in_a_layer(rig: BuildRig) -> None:
    outcome = await rig.build("FROM busybox\nUSER nobody\nWORKDIR /srv/app\n")
    assert outcome.built is not None
    assert MISS.match(outcome.text, outcome.text.index("Step 3/3"))
    made = [p for p in rig.mounter.root.rglob("app") if p.parent.name == "srv"]
    assert len(made) == 1
    for directory in (made[0], made[0].parent):  # its missing parent too, as MkdirAll
        st = directory.stat()
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 0, 0o755)  # not USER's
    config = json.loads(rig.images.blobs[outcome.built.image_id])
    assert len(config["rootfs"]["diff_ids"]) == 2 and config["rootfs"]["diff_ids"][0] == BASE_DIFF
    assert config["history"][-1] == {
        "created": config["history"][-1]["created"],
        "created_by": "/bin/sh -c #(nop) WORKDIR /srv/app",
    }
    assert config["config"]["WorkingDir"] == "/srv/app"
    assert rig.leftovers() == []


async def test_a_cached_workdir_keeps_its_layer(rig: BuildRig) -> None:
    first = await rig.build("FROM busybox\nWORKDIR /srv\n")
    second = await rig.build("FROM busybox\nWORKDIR /srv\n")
    assert second.hits() == [True]
    assert first.built and second.built and first.built.image_id == second.built.image_id


async def test_onbuild_triggers_print_one_id_after_them(rig: BuildRig) -> None:
    add_base(rig.images, "parent", onbuild=["ENV T=1", "LABEL t=1"])
    outcome = await rig.build("FROM parent\nENV B=2\n")
    head = outcome.text.split("Step 2/2")[0]
    assert re.fullmatch(
        r"Step 1/2 : FROM parent\n# Executing 2 build triggers\n"
        r"( ---> Running in ([0-9a-f]{12})\nRemoving intermediate container \2\n){2}"
        r" ---> [0-9a-f]{12}\n",
        head,
    ), head
    assert outcome.built is not None
    config = json.loads(rig.images.blobs[outcome.built.image_id])["config"]
    assert "T=1" in config["Env"] and config["Labels"] == {"t": "1"}
    assert not config.get("OnBuild")


async def test_args_before_the_first_from_are_steps_of_their_own(rig: BuildRig) -> None:
    outcome = await rig.build("ARG BASE=busybox\nFROM $BASE\nENV A=1\n")
    assert outcome.text.startswith("Step 1/3 : ARG BASE=busybox\nStep 2/3 : FROM $BASE\n ---> ")
    assert "Step 3/3 : ENV A=1\n ---> Running in " in outcome.text


async def test_history_says_what_docker_20_10s_classic_builder_says(rig: BuildRig) -> None:
    dockerfile = (
        "FROM busybox\n"
        "ARG V=1 W\n"
        'ENV A=$V B="two words"\n'
        "LABEL l=$A\n"
        "EXPOSE 80 53/udp\n"
        "USER nobody\n"
        "VOLUME /data /logs\n"
        "STOPSIGNAL SIGTERM\n"
        "HEALTHCHECK --interval=90s --timeout=500ms --retries=3 CMD curl -f x || exit 1\n"
        "MAINTAINER me <me@example.org>\n"
        "ONBUILD RUN make\n"
        "WORKDIR app\n"
        "COPY a.txt ./\n"
        "COPY --chown=1:2 a.txt b.txt /both/\n"
        "RUN echo $V\n"
        'RUN ["echo", "exec"]\n'
        'ENTRYPOINT ["/entry", "a b"]\n'
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "CMD run it\n"
    )
    outcome = await rig.build(dockerfile, {"a.txt": "A\n", "b.txt": "B\n"}, labels={"x": "y"})
    assert outcome.built is not None, outcome.text
    history = json.loads(rig.images.blobs[outcome.built.image_id])["history"]
    created_by = [h["created_by"] for h in history[1:]]
    nop = "/bin/sh -c #(nop) "
    assert created_by[:11] == [
        f"{nop} ARG V=1 W",
        f"{nop} ENV A=1 B=two words",
        f"{nop} LABEL l=1",
        f"{nop} EXPOSE 80 53/udp",
        f"{nop} USER nobody",
        f"{nop} VOLUME [/data /logs]",
        f"{nop} STOPSIGNAL SIGTERM",
        f'{nop} HEALTHCHECK &{{["CMD-SHELL" "curl -f x || exit 1"] "1m30s" "500ms" "0s" '
        "'\\x03'}",
        f"{nop} MAINTAINER me <me@example.org>",
        f"{nop} ONBUILD RUN make",
        f"{nop}WORKDIR /app",
    ]
    assert re.fullmatch(f"{re.escape(nop)}COPY file:[0-9a-f]{{64}} in /app/ ", created_by[11])
    assert re.fullmatch(
        f"{re.escape(nop)}COPY --chown=1:2multi:[0-9a-f]{{64}} in /both/ ", created_by[12]
    )
    assert created_by[13:] == [
        "|1 V=1 /bin/sh -c echo $V",
        "|1 V=1 echo exec",  # the exec form too (prependEnvOnCmd)
        f'{nop} ENTRYPOINT ["/entry" "a b"]',
        "/bin/bash -o pipefail -c #(nop)  SHELL [/bin/bash -o pipefail -c]",
        '/bin/bash -o pipefail -c #(nop)  CMD ["/bin/bash" "-o" "pipefail" "-c" "run it"]',
        "/bin/bash -o pipefail -c #(nop)  LABEL x=y",
    ]
