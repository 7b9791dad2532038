"""kill -9 of a service at each step of run, rm, pull, build, volume create and volume rm
(issue 10's fault-injection suite).

For each operation, each of its steps (`steps.py`) and each service killed there: the
operation completes or fails with one clear line; the killed service comes back; a retry
succeeds and the end state is the promised one (a `run --rm` container is removed, whatever
died); a container that was running all along still runs and has lost no log line; nothing
leaks (the `engine` fixture's check after every test).

By default (CI) each step is hit in the service that performs it and in the engine that
orchestrates it, and the CLI's command server (which runs the command) at each operation's
first step: 46 cases, about seven minutes on a busy two-core machine. DOCKYARD_FAULTS=all
hits every service at every step (132 cases).
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Iterator

import pytest

from tests.faults.steps import OPERATIONS, Fixtures, Operation, Step
from tests.support.engine import Engine, _parent, _processes
from tests.support.faults import Operation as Running
from tests.support.faults import appears, assert_clean_end, kill_service, wait_replaced
from tests.support.registry import Registry

pytestmark = pytest.mark.integration

SERVICES = ("engine", "images", "snapshots", "network", "runtime", "cli")
TICKER = "i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.05; done"


def stray_shims(engine: Engine) -> dict[int, str]:
    """Processes forked from a shim zygote (its command line) that are neither the runtime's
    zygote nor a shim the runtime knows (`tasks/<id>/shim.pid`), and stay so (a launcher on
    its way out is not one). The engine's leak check lets a process with that command line
    pass while the supervisor (a subreaper) is its parent, which is where an orphaned shim
    ends up."""
    found = _strays(engine)
    if found:
        time.sleep(1.0)  # the absence of a process is asserted: give a leaving one its second
        found = {pid: line for pid, line in _strays(engine).items() if pid in found}
    return found


def _strays(engine: Engine) -> dict[int, str]:
    runtime = engine.service_pid("runtime")
    shims = {int(p.read_text()) for p in (engine.state / "runtime" / "tasks").glob("*/shim.pid")}
    found = {}
    for pid, cmdline in _processes():
        ours = "dockyard.shim.zygote" in cmdline and str(engine.state) in cmdline
        if ours and _parent(pid) != runtime and pid not in shims:
            found[pid] = f"process {pid} (parent {_parent(pid)}): {cmdline}"
    return found


@pytest.fixture
def no_stray_shims(engine: Engine) -> Iterator[None]:
    """Fail a test that leaves a stray shim, and kill it (this engine's own), so that the next
    test starts clean."""
    yield
    strays = stray_shims(engine)
    for pid in strays:
        os.kill(pid, signal.SIGKILL)
    assert not strays, f"stray shims: {list(strays.values())}"


KNOWN = {  # bugs of other areas the suite hits now and then (narrow windows): each is held
    # every time, strictly, by a test of its own
    ("pull", "blob stored", "images"): pytest.mark.xfail(
        strict=False,
        reason="images: a config left complete in its ingest is appended to by the next pull "
        "(test_left_by_a_kill.py)",
    ),
    ("run", "bundle", "engine"): pytest.mark.xfail(
        strict=False,
        reason="runtime: a task create cut short leaves its shim running "
        "(test_an_engine_killed_while_a_task_is_made_leaves_no_shim)",
    ),
}


def _cases() -> list[object]:
    everything = os.environ.get("DOCKYARD_FAULTS") == "all"
    cases = []
    for operation in OPERATIONS:
        for index, step in enumerate(operation.steps):
            for service in SERVICES:
                chosen = service in (step.service, "engine") or (service, index) == ("cli", 0)
                if everything or chosen:
                    cases.append(_case(operation, step, service))
    return cases


def _case(operation: Operation, step: Step, service: str) -> object:
    known = KNOWN.get((operation.name, step.name, service))
    return pytest.param(
        operation,
        step,
        service,
        id=f"{operation.name}-{step.name.replace(' ', '-')}-{service}",
        marks=[known] if known else [],
    )


@pytest.mark.parametrize(("operation", "step", "service"), _cases())
def test_a_service_killed_at_a_step(
    engine: Engine,
    busybox: str,
    registry: Registry,
    operation: Operation,
    step: Step,
    service: str,
    no_stray_shims: None,
) -> None:
    witness = f"witness-{secrets.token_hex(3)}"
    engine.ok("run", "-d", "--name", witness, busybox, "sh", "-c", TICKER)
    subject = operation.prepare(engine, Fixtures(busybox, registry))
    try:
        reached = step.arm(engine, subject)
        running = Running(engine, *subject.args)
        running.wait_for(lambda: reached(running), f"{operation.name}: {step.name}")
        old = kill_service(engine, service)
        result = running.finish()
        assert_clean_end(result)
        wait_replaced(engine, service, old)
        operation.settle(engine, subject)
    finally:
        subject.close()
    assert not stray_shims(engine)
    assert engine.ok("inspect", "-f", "{{.State.Running}}", witness) == "true\n"
    ticks = [int(line.split("-")[1]) for line in engine.ok("logs", witness).split()]
    assert ticks == list(range(1, len(ticks) + 1)), "the witness lost a log line"


@pytest.mark.xfail(
    strict=True,
    reason="runtime (the shim spawning, sec-shim's): a task create cut short by the engine's "
    "death leaves the shim it forked running, unknown to the runtime (no bundle, no "
    "shim.pid): a leaked process per try (fault suite: run/'bundle'/engine)",
)
def test_an_engine_killed_while_a_task_is_made_leaves_no_shim(
    engine: Engine, busybox: str, no_stray_shims: None
) -> None:
    strays: dict[int, str] = {}
    for _ in range(3):  # the window is a shim's start-up (~0.1 s): three tries all hit it
        made = appears(engine.state / "runtime" / "tasks")
        running = Running(engine, "run", "--rm", busybox, "true")
        running.wait_for(made, "the task's bundle")
        old = kill_service(engine, "engine")
        assert_clean_end(running.finish())
        wait_replaced(engine, "engine", old)
        strays |= stray_shims(engine)
    for pid in strays:
        os.kill(pid, signal.SIGKILL)
    assert not strays, list(strays.values())
