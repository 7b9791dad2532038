"""`--runtime runc|crun`: the same OCI bundle run by another runtime, supervised by our shim."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def runtime_or_skip(engine: Engine, busybox: str, name: str) -> None:
    """deploy/install.sh --dev installs both: only a host whose kernel refuses one skips it."""
    assert shutil.which(name) is not None, f"{name} is not installed (deploy/install.sh --dev)"
    probe = engine.cli("run", "--rm", "--runtime", name, busybox, "true")
    if "hybrid mode not supported" in probe.stderr:  # crun refuses cgroup v1 + v2 hybrid hosts
        pytest.skip(f"{name} does not run on this host: {probe.stderr.strip()}")


@pytest.mark.parametrize("runtime", ["runc", "crun"])
def test_another_runtime_runs_the_same_bundle(engine: Engine, busybox: str, runtime: str) -> None:
    runtime_or_skip(engine, busybox, runtime)
    result = engine.cli(
        "run", "--rm", "--runtime", runtime, busybox, "sh", "-c", "echo out; echo err >&2; exit 3"
    )
    assert (result.stdout, result.stderr, result.returncode) == ("out\n", "err\n", 3)
    assert (
        engine.cli("run", "--rm", "-i", "--runtime", runtime, busybox, "cat", input="fed\n").stdout
        == "fed\n"
    )
    missing = engine.cli("run", "--rm", "--runtime", runtime, busybox, "no-such-command")
    assert missing.returncode == 127 and "executable file not found" in missing.stderr


def test_runc_container_lifecycle(engine: Engine, busybox: str) -> None:
    runtime_or_skip(engine, busybox, "runc")
    ticker = "while true; do echo tick; sleep 0.1; done"
    cid = engine.ok(
        "run",
        "-d",
        "--name",
        "viarunc",
        "--runtime",
        "runc",
        "-u",
        "nobody",
        "-m",
        "32m",
        busybox,
        "sh",
        "-c",
        ticker,
    ).strip()
    bundle = Path(engine.state) / "runtime" / "tasks" / cid
    spec = json.loads((bundle / "config.json").read_text())
    assert spec["ociVersion"].startswith("1.") and spec["root"]["path"] == str(bundle / "rootfs")
    assert {n["type"] for n in spec["linux"]["namespaces"]} >= {
        "pid",
        "mount",
        "network",
        "uts",
        "ipc",
    }
    assert spec["process"]["user"]["uid"] == 65534  # the name resolved from the image's /etc
    assert engine.ok("inspect", "-f", "{{.HostConfig.Runtime}}", "viarunc") == "runc\n"
    assert engine.ok("exec", "viarunc", "id", "-u") == "65534\n"
    assert engine.ok("exec", "-u", "0", "viarunc", "sh", "-c", "exit 0") == ""
    assert engine.cli("exec", "viarunc", "sh", "-c", "exit 6").returncode == 6
    engine.ok("pause", "viarunc")
    assert engine.ok("inspect", "-f", "{{.State.Status}}", "viarunc") == "paused\n"
    engine.ok("unpause", "viarunc")
    assert "64MiB" not in engine.ok("stats", "--no-stream", "viarunc") and "32MiB" in engine.ok(
        "stats", "--no-stream", "viarunc"
    )
    time.sleep(0.3)
    assert "tick" in engine.ok("logs", "--tail", "1", "viarunc")
    engine.ok("stop", "-t", "1", "viarunc")
    assert engine.ok("inspect", "-f", "{{.State.ExitCode}}", "viarunc") == "137\n"
    assert not (bundle / "rootfs").exists() or not any((bundle / "rootfs").iterdir())
    engine.ok("start", "viarunc")
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "viarunc") == "true\n"


def test_an_unknown_runtime_is_a_clear_error(engine: Engine, busybox: str) -> None:
    result = engine.cli("run", "--rm", "--runtime", "nope", busybox, "true")
    assert result.returncode == 125
    assert result.stderr.splitlines()[0].endswith("unknown or invalid runtime name: nope.")
