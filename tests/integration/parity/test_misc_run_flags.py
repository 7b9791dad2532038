"""run/create's -q, --domainname and --sig-proxy on real containers, as docker 20.10's."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.support.engine import CLI, Engine
from tests.support.registry import Registry

pytestmark = pytest.mark.integration

TRAPPING = [
    "sh",
    "-c",
    'trap "echo caught; exit 7" TERM; echo ready; while true; do sleep 0.1; done',
]


def test_quiet_says_nothing_of_the_pull(engine: Engine, registry: Registry) -> None:
    """-q: neither "Unable to find image" nor the pull's progress (docker's createContainer
    with options.quiet); the container's own output is untouched."""
    ref = f"{registry.host}/library/busybox"
    engine.cli("rmi", ref)
    ran = engine.cli("run", "--rm", "-q", ref, "echo", "hi")
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "hi\n", "")
    engine.ok("rmi", ref)
    created = engine.cli("create", "--quiet", ref, "true")
    assert created.returncode == 0 and created.stderr == ""
    assert len(created.stdout.strip()) == 64
    engine.ok("rm", created.stdout.strip())
    engine.ok("rmi", ref)
    loud = engine.cli("create", ref, "true")
    assert "Unable to find image" in loud.stderr and "Pulling from" in loud.stderr
    engine.ok("rm", loud.stdout.strip())
    engine.ok("rmi", ref)


def test_domainname_is_the_containers_nis_domain(engine: Engine, busybox: str) -> None:
    shown = engine.ok(
        "run", "--rm", "--domainname", "example.org", "-h", "web", busybox,
        "sh", "-c", "cat /proc/sys/kernel/domainname; hostname",
    )  # fmt: skip
    assert shown == "example.org\nweb\n"
    assert engine.ok("run", "--rm", busybox, "cat", "/proc/sys/kernel/domainname") == "(none)\n"
    cid = engine.ok("create", "--domainname", "example.org", busybox, "true").strip()
    assert engine.ok("inspect", "-f", "{{.Config.Domainname}}", cid) == "example.org\n"


def _attached(engine: Engine, *flags: str, busybox: str) -> subprocess.Popen[str]:
    run = [CLI, "-H", engine.host, "run", "--name", "proxied", *flags, busybox, *TRAPPING]
    process = subprocess.Popen(run, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def test_sig_proxy_passes_sigterm_on_unless_false(engine: Engine, busybox: str) -> None:
    with _attached(engine, busybox=busybox) as process:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 7
        assert process.stdout is not None and process.stdout.read() == "caught\n"
    engine.ok("rm", "proxied")
    with _attached(engine, "--sig-proxy=false", busybox=busybox) as process:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) != 7
    # the container was told nothing: it runs on
    assert engine.ok("inspect", "-f", "{{.State.Running}}", "proxied") == "true\n"
    engine.ok("rm", "-f", "proxied")
