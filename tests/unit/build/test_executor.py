"""The builder's orchestration over the fakes: steps, the cache, stages, failures, clean-up."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from dockyard.api import errors
from dockyard.services.engine.build.cache import LEASE
from dockyard.services.engine.build.job import BuildOptions
from dockyard.services.engine.clients.networks import Sandbox

from tests.unit.build.conftest import BASE_DIFF, BuildRig, _context

SIMPLE = 'FROM busybox\nENV A=1\nARG V=2\nRUN echo $A $V\nCMD ["app"]\n'


def config_of(rig: BuildRig, image_id: str) -> dict[str, object]:
    return json.loads(rig.images.blobs[image_id])  # type: ignore[no-any-return]


async def test_a_build_runs_its_steps_and_records_the_image(rig: BuildRig) -> None:
    outcome = await rig.build(SIMPLE, tags=["app:1"])
    assert outcome.built is not None and outcome.failed is None
    assert "Step 4/5 : RUN echo $A $V\n ---> Running in " in outcome.text
    assert outcome.output == b"ran: /bin/sh -c echo $A $V\n"
    task = rig.ran[0]
    assert task.spec["process"]["args"] == ["/bin/sh", "-c", "echo $A $V"]
    assert {"A=1", "V=2", "PATH=/usr/bin:/bin"} <= set(task.spec["process"]["env"])
    assert rig.images.images[outcome.built.image_id].repo_tags == ["app:1"]
    config = config_of(rig, outcome.built.image_id)
    assert config["config"]["Cmd"] == ["app"]  # type: ignore[index]
    assert "A=1" in config["config"]["Env"]  # type: ignore[index]
    assert "V=2" not in config["config"]["Env"]  # type: ignore[index]  # a build arg is not kept
    diff_ids = config["rootfs"]["diff_ids"]  # type: ignore[index]
    assert diff_ids[0] == BASE_DIFF and len(diff_ids) == 2
    history = config["history"]  # type: ignore[index]
    assert [h.get("empty_layer", False) for h in history] == [False, True, True, False, True]
    assert history[2]["created_by"] == "/bin/sh -c #(nop)  ARG V=2"  # docker 20.10's step
    assert history[3]["created_by"] == "|1 V=2 /bin/sh -c echo $A $V"
    assert rig.leftovers() == []


async def test_a_rebuild_is_all_cache_and_the_same_image(rig: BuildRig) -> None:
    first = await rig.build(SIMPLE)
    second = await rig.build(SIMPLE)
    assert second.hits() == [True, True, True, True]
    assert len(rig.ran) == 1
    assert first.built and second.built and first.built.image_id == second.built.image_id


async def test_a_changed_step_and_the_ones_after_it_run_again(rig: BuildRig) -> None:
    await rig.build(SIMPLE)
    changed = await rig.build(SIMPLE.replace("ENV A=1", "ENV A=9"))
    assert changed.hits() == [False, False, False, False]
    again = await rig.build(SIMPLE, build_args={"V": "3"})
    assert again.hits() == [True, True, False, False]  # the ARG is; what sees it is not


async def test_no_cache_runs_everything_but_still_fills_the_cache(rig: BuildRig) -> None:
    await rig.build(SIMPLE)
    assert (await rig.build(SIMPLE, no_cache=True)).hits() == [False] * 4
    assert len(rig.ran) == 2


async def test_a_cached_layer_whose_snapshot_is_gone_is_built_again(rig: BuildRig) -> None:
    await rig.build(SIMPLE)
    layer_chain = next(c for c in rig.snapshots.committed if c != BASE_DIFF)
    rig.snapshots.committed.discard(layer_chain)
    # the RUN is built again under the same key, so the CMD after it is still a hit
    assert (await rig.build(SIMPLE)).hits() == [True, True, False, True]
    assert len(rig.ran) == 2


async def test_layers_are_leased_to_the_cache(rig: BuildRig) -> None:
    outcome = await rig.build(SIMPLE)
    assert outcome.built
    leased = rig.images.leases[LEASE]
    config = config_of(rig, outcome.built.image_id)
    assert outcome.built.image_id in leased
    assert any(c in leased for c in rig.snapshots.committed if c != BASE_DIFF)
    assert config["rootfs"]["diff_ids"][1] not in rig.snapshots.committed  # type: ignore[index]


async def test_a_run_that_changes_nothing_adds_history_only(rig: BuildRig) -> None:
    original = rig.snapshots.diff

    def unchanged_diff(key: str, stubs: list[str], remove_stubs: bool):  # type: ignore[no-untyped-def]
        rig.snapshots.unchanged.add(key)
        return original(key, stubs, remove_stubs)

    rig.snapshots.diff = unchanged_diff  # type: ignore[method-assign]
    outcome = await rig.build("FROM busybox\nRUN true\n")
    assert outcome.built
    config = config_of(rig, outcome.built.image_id)
    assert config["rootfs"]["diff_ids"] == [BASE_DIFF]  # type: ignore[index]
    assert config["history"][-1]["empty_layer"] is True  # type: ignore[index]
    assert rig.leftovers() == []


async def test_mount_stubs_are_named_to_the_diff(rig: BuildRig) -> None:
    await rig.build("FROM busybox\nRUN --mount=type=tmpfs,target=/scratch true\n")
    stubs = next(iter(rig.snapshots.stubs_seen.values()))
    assert {"/proc", "/dev", "/sys", "/etc/hosts", "/etc/resolv.conf", "/scratch"} <= set(stubs)
    assert {
        "destination": "/scratch",
        "type": "tmpfs",
        "source": "tmpfs",
        "options": ["nosuid", "nodev"],
    } in rig.ran[0].spec["mounts"]


async def test_a_failing_run_ends_the_build_and_leaves_nothing(rig: BuildRig) -> None:
    rig.exit_codes["exit 3"] = 3
    outcome = await rig.build("FROM busybox\nRUN echo ok\nRUN exit 3\nRUN echo never\n", tags=["x"])
    assert outcome.built is None
    assert outcome.failed is not None
    assert (outcome.failed.code, outcome.failed.line) == (3, 3)
    assert outcome.failed.message == "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    assert rig.commands() == ["echo ok", "exit 3"]
    assert rig.faults.ops().count("images.create_image") == 1  # the first RUN's image stays
    assert all(i.repo_tags != ["x:latest"] for i in rig.images.images.values())
    assert rig.leftovers() == []


@pytest.mark.parametrize(
    "op",
    [
        "snapshots.prepare",
        "network.create_sandbox",
        "tasks.create",
        "tasks.start",
        "snapshots.diff",
        "images.write_blob",
        "snapshots.commit",
        "images.create_image",
    ],
)
async def test_a_failure_at_any_step_leaves_nothing(rig: BuildRig, op: str) -> None:
    rig.faults.fail(op, errors.Internal("boom"))
    with pytest.raises(errors.Internal, match="boom"):
        await rig.build(SIMPLE, tags=["x"])
    assert rig.leftovers() == []
    assert all(i.repo_tags != ["x:latest"] for i in rig.images.images.values())


async def test_a_build_whose_client_goes_away_leaves_nothing(rig: BuildRig) -> None:
    rig.tasks.script = lambda task: None  # the RUN never ends by itself
    events = rig.builder.build(BuildOptions(), _context("FROM busybox\nRUN sleep 1d\n", {}))
    async for event in events:
        if getattr(event, "text", "").startswith(" ---> Running in"):
            break
    await asyncio.sleep(0)
    await events.aclose()
    assert rig.leftovers() == []


async def test_only_the_stages_the_target_needs_run(rig: BuildRig) -> None:
    dockerfile = (
        "FROM busybox AS base\nRUN echo base\n"
        "FROM busybox AS other\nRUN echo other\n"
        "FROM base AS test\nRUN echo test\n"
        "FROM base\nRUN echo final\n"
    )
    await rig.build(dockerfile, target="test")
    assert rig.commands() == ["echo base", "echo test"]
    rig.ran.clear()
    outcome = await rig.build(dockerfile)
    assert rig.commands() == ["echo final"]
    assert outcome.hits()[0] is True  # base's RUN, from the cache


async def test_a_stage_failing_cancels_the_others(rig: BuildRig) -> None:
    rig.exit_codes["fail fast"] = 1
    started = asyncio.Event()

    def script(task):  # type: ignore[no-untyped-def]
        command = task.spec["process"]["args"][-1]
        if command == "slow":
            started.set()
            rig.ran.append(task)
            return None  # runs until killed
        return rig.script(task)

    rig.tasks.script = script
    dockerfile = (
        "FROM busybox AS a\nRUN slow\n"
        "FROM busybox AS b\nRUN fail fast\n"
        "FROM busybox\nCOPY --from=a /x /x\nCOPY --from=b /y /y\n"
    )
    outcome = await rig.build(dockerfile)
    assert outcome.failed is not None and outcome.failed.code == 1
    assert rig.leftovers() == []


async def test_copy_writes_into_the_steps_snapshot(rig: BuildRig) -> None:
    outcome = await rig.build(
        "FROM busybox\nWORKDIR /srv\nCOPY a.txt sub/ ./\n", {"a.txt": "A\n", "sub/b.txt": "B\n"}
    )
    assert outcome.built
    written = sorted(p.relative_to(rig.mounter.root) for p in rig.mounter.root.rglob("*.txt"))
    assert [p.name for p in written] == ["a.txt", "b.txt"]
    assert all(p.parts[-2] == "srv" for p in written)


async def test_copy_of_a_missing_file_is_not_found(rig: BuildRig) -> None:
    with pytest.raises(errors.NotFound, match="file not found in build context"):
        await rig.build("FROM busybox\nCOPY nope /x\n")
    assert rig.leftovers() == []


async def test_start_up_clean_up_takes_what_a_dead_build_left(rig: BuildRig) -> None:
    await rig.snapshots.prepare("build-dead-1", BASE_DIFF)
    await rig.snapshots.prepare("a-container", BASE_DIFF)
    rig.network.sandboxes["build-" + "0" * 58] = Sandbox("build-" + "0" * 58)
    (rig.root / "build" / "jobs" / "dead").mkdir(parents=True)
    await rig.builder.cleanup()
    assert list(rig.snapshots.active) == ["a-container"]
    assert rig.network.sandboxes == {}
    assert not (rig.root / "build" / "jobs").exists()


async def test_prune_gives_back_what_no_image_uses(rig: BuildRig) -> None:
    kept = await rig.build("FROM busybox\nRUN echo kept\n", tags=["kept"])
    gone = await rig.build("FROM busybox\nRUN echo gone\n", tags=["gone"])
    assert kept.built and gone.built
    chain_of = {
        name: config_of(rig, outcome.built.image_id)["rootfs"]["diff_ids"]  # type: ignore[index, union-attr]
        for name, outcome in (("kept", kept), ("gone", gone))
    }
    await rig.images.remove("gone", force=False)
    for key in rig.snapshots.committed:
        rig.snapshots.sizes[key] = 1000
    pruned = await rig.builder.prune()
    assert pruned.records == 2 and pruned.reclaimed == 1000
    assert LEASE not in rig.images.leases
    from dockyard.services.engine.build.imagestate import chain_id

    assert chain_id(chain_of["kept"]) in rig.snapshots.committed
    assert chain_id(chain_of["gone"]) not in rig.snapshots.committed
    assert BASE_DIFF in rig.snapshots.committed
    assert (await rig.build("FROM busybox\nRUN echo kept\n")).hits() == [False]


async def test_prune_refuses_while_a_build_runs(rig: BuildRig) -> None:
    rig.tasks.script = lambda task: None
    events = rig.builder.build(BuildOptions(), _context("FROM busybox\nRUN sleep 1d\n", {}))
    async for event in events:
        if getattr(event, "text", "").startswith(" ---> Running in"):
            break
    with pytest.raises(errors.FailedPrecondition, match="a build is running"):
        await rig.builder.prune()
    await events.aclose()


async def test_runs_use_the_daemons_default_runtime(rig: BuildRig, tmp_path: Path) -> None:
    from dockyard.services.engine.build.builder import Builder

    clients = rig.builder._c
    for runtime, expected in (("runc", "runc"), ("dockyard", "")):
        builder = Builder(clients, tmp_path / runtime, "cg", rig.mounter, runtime=runtime)
        await builder.cleanup()
        rig.ran.clear()
        async for _ in builder.build(BuildOptions(no_cache=True), _context(SIMPLE, {})):
            pass
        builder.close()
        assert rig.ran[0].runtime == expected


async def test_a_stage_declaring_a_platform_arg_gets_its_value(rig: BuildRig) -> None:
    await rig.build("FROM busybox\nARG TARGETARCH\nRUN echo $TARGETARCH\n")
    assert "TARGETARCH=" in " ".join(rig.ran[0].spec["process"]["env"])
    assert not any(e == "TARGETARCH=" for e in rig.ran[0].spec["process"]["env"])
