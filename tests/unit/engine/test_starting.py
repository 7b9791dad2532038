"""Starting a container over the fakes: sandbox, spec, task; the undo of each step."""

from __future__ import annotations

import pytest
from dockyard.api import errors
from dockyard.services.engine.model import HostConfig, PortBinding

from .conftest import Rig

START_STEPS = ["network.create_sandbox", "snapshots.mounts", "tasks.create", "tasks.start"]


async def test_start_runs_the_task_in_its_sandbox(rig: Rig) -> None:
    host = HostConfig(port_bindings=[PortBinding("80/tcp", host_port="8080")])
    container = await rig.run("web", host)
    assert rig.faults.ops()[-4:] == START_STEPS
    task = rig.tasks.tasks[container.id]
    assert task.status == "running"
    assert container.state.running and container.state.pid == task.pid
    namespaces = {n["type"]: n.get("path") for n in task.spec.spec["linux"]["namespaces"]}
    assert namespaces["network"] == f"/fake/netns/{container.id}"
    assert task.spec.rootfs == await rig.snapshots.mounts(container.id)
    assert task.spec.io.log_path == container.log_path
    assert task.spec.io.log_max_size == 10 * 1024 * 1024  # the daemon's default log-opts
    settings = rig.store.get("web").network_settings
    assert settings.networks[0].ip_address.startswith("10.0.0.")
    assert [(p.container_port, p.host_port) for p in settings.ports] == [("80/tcp", "8080")]
    assert rig.actions() == ["create", "start"]


@pytest.mark.parametrize("step", START_STEPS)
async def test_a_failed_start_leaves_no_task_and_no_sandbox(rig: Rig, step: str) -> None:
    container = await rig.create("doomed")
    rig.faults.fail(step, errors.Internal(f"{step} broke"))
    with pytest.raises(errors.Internal, match="broke"):
        await rig.life.start(container.id)
    assert rig.tasks.tasks == {} and rig.network.sandboxes == {}
    assert not rig.store.get("doomed").running
    await rig.life.remove("doomed", force=False)
    assert rig.leftovers() == []


async def test_a_missing_command_is_recorded_as_127(rig: Rig) -> None:
    container = await rig.create("nocmd")
    rig.tasks.missing.add("sh")
    with pytest.raises(errors.CommandNotFound):
        await rig.life.start(container.id)
    state = rig.store.get("nocmd").state
    assert (state.exit_code, state.running) == (127, False)
    assert "executable file not found" in state.error
    assert rig.tasks.tasks == {} and rig.network.sandboxes == {}


async def test_starting_a_running_container_changes_nothing(rig: Rig) -> None:
    container = await rig.run("twice")
    calls = len(rig.faults.calls)
    await rig.life.start(container.id)
    assert len(rig.faults.calls) == calls


async def test_joining_a_stopped_containers_namespace_is_refused(rig: Rig) -> None:
    other = await rig.create("other")
    joiner = await rig.create("joiner", HostConfig(network_mode="container:other"))
    with pytest.raises(errors.FailedPrecondition, match="non running container"):
        await rig.life.start(joiner.id)
    await rig.life.start(other.id)
    await rig.life.start(joiner.id)
    task = rig.tasks.tasks[joiner.id]
    namespaces = {n["type"]: n.get("path") for n in task.spec.spec["linux"]["namespaces"]}
    assert namespaces["network"] == f"/fake/netns/{other.id}"
