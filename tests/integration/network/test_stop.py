"""Engines of the tests' own: what a stopped engine leaves of its networking (everything while
containers run: live restore; nothing once `daemon stop --stop-containers` has stopped them
all), engines side by side that share nothing, and one whose daemon.json keeps the default
bridge's containers apart ("icc": false)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.network.conftest import http_get, web
from tests.support.engine import Engine
from tests.support.registry import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def own_engine(tmp_path: Path, busybox_tar: Path) -> Iterator[Callable[..., Engine]]:
    """`own_engine(**config)`: an engine of the test's own (the session's must keep running),
    with busybox; stopped and checked for leaks after the test."""
    started: list[Engine] = []

    def start(**config: object) -> Engine:
        base = tmp_path / f"engine{len(started)}"
        base.mkdir()
        engine = Engine.start(base, {"dns": ["127.0.0.1"], **config})
        started.append(engine)
        engine.ok("import", str(busybox_tar), "busybox:latest")
        return engine

    yield start
    for engine in started:
        engine.remove_all_containers()
        engine.cli("network", "prune", "-f")
        engine.stop()
        leaks = engine.leaks()
        engine.remove_cgroup_parent()
        engine.remove_network_leftovers()
        assert not leaks, f"the engine left behind: {leaks}"


def nft_table(engine: Engine) -> str:
    table = f"dockyard_{engine.network_tag}"
    listed = subprocess.run(["nft", "list", "table", "ip", table], capture_output=True, text=True)
    return listed.stdout


def ipv4_addresses(link: str) -> str:
    return subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "dev", link], capture_output=True, text=True
    ).stdout


def test_stop_with_containers_stopped_takes_away_rules_addresses_and_bridges(
    own_engine: Callable[..., Engine],
) -> None:
    engine = own_engine()
    bridge = json.loads(engine.config.read_text())["bridge"]
    engine.ok("network", "create", "app")
    doc = json.loads(engine.ok("network", "inspect", "app"))[0]
    gateway = doc["IPAM"]["Config"][0]["Gateway"]  # its bridge: the link holding the gateway
    found = subprocess.run(["ip", "-4", "-o", "addr", "show", "to", gateway], capture_output=True)
    app_bridge = found.stdout.decode().split()[1]
    port = free_port()
    engine.ok("run", "-d", "--network", "app", "-p", f"{port}:80", "busybox", *web("up"))
    assert http_get(f"http://127.0.0.1:{port}/") == "up\n"
    assert engine.leaked_rules() and ipv4_addresses(bridge)  # its port is in the table
    env = {"DOCKYARD_ROOT": str(engine.root), "DOCKYARD_STATE": str(engine.state)}
    stopped = engine.cli("daemon", "stop", "--stop-containers", env=env)
    assert stopped.returncode == 0, stopped.stderr
    engine.process.wait(timeout=60)
    assert nft_table(engine) == ""
    assert ipv4_addresses(bridge) == ""  # the configured bridge stays, without our address
    assert Path(f"/proc/sys/net/ipv4/conf/{bridge}/route_localnet").read_text() == "0\n"
    assert not Path(f"/sys/class/net/{app_bridge}").exists()  # the engine's own bridge goes
    if shutil.which("iptables"):
        forward = subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout
        assert f"dockyard_{engine.network_tag}" not in forward
    engine.restart()  # and a start makes them again
    engine.ok("run", "-d", "--network", "app", "-p", f"{port}:80", "busybox", *web("again"))
    assert http_get(f"http://127.0.0.1:{port}/") == "again\n"


def test_engines_side_by_side_each_have_a_default_bridge_of_their_own(
    engine: Engine, busybox: str, own_engine: Callable[..., Engine]
) -> None:
    """Unless daemon.json names one, the default bridge carries the engine's tag."""
    mine = own_engine(bridge="")
    name = f"dockyard{mine.network_tag}"
    doc = json.loads(mine.ok("network", "inspect", "bridge"))[0]
    assert doc["Options"]["com.docker.network.bridge.name"] == name
    theirs = json.loads(engine.config.read_text())["bridge"]
    assert name != theirs
    mine.ok("run", "-d", "--name", "here", "busybox", "sleep", "60")
    engine.ok("run", "-d", "--name", "there", busybox, "sleep", "60")
    veth = json.loads(mine.ok("inspect", "here"))[0]["NetworkSettings"]["Networks"]["bridge"]
    assert veth["Gateway"] in ipv4_addresses(name)
    members = {Path(p).name for p in Path(f"/sys/class/net/{name}/brif").iterdir()}
    others = {Path(p).name for p in Path(f"/sys/class/net/{theirs}/brif").iterdir()}
    assert len(members) == 1 and not members & others  # no shared L2 segment
    mine.ok("rm", "-f", "here")
    mine.stop()  # nothing runs on it: the engine's own bridge goes with it
    assert not Path(f"/sys/class/net/{name}").exists()


def test_icc_ip_and_ip_masq_in_daemon_json_are_the_default_bridges_options(
    own_engine: Callable[..., Engine],
) -> None:
    """dockerd's --icc=false, --ip and --ip-masq=false: on the default bridge, containers reach
    each other only through published ports, which are bound to 127.0.0.1 when they name no
    address; inspect says so; user networks keep docker's defaults."""
    engine = own_engine(icc=False, ip="127.0.0.1", **{"ip-masq": False})
    options = json.loads(engine.ok("network", "inspect", "bridge"))[0]["Options"]
    assert options["com.docker.network.bridge.enable_icc"] == "false"
    assert options["com.docker.network.bridge.enable_ip_masquerade"] == "false"
    assert options["com.docker.network.bridge.host_binding_ipv4"] == "127.0.0.1"
    port = free_port()
    engine.ok("run", "-d", "--name", "web", "-p", f"{port}:80", "busybox", *web("kept apart"))
    assert http_get(f"http://127.0.0.1:{port}/") == "kept apart\n"  # it serves
    assert engine.ok("port", "web") == f"80/tcp -> 127.0.0.1:{port}\n"  # "ip": 127.0.0.1
    ip = json.loads(engine.ok("inspect", "web"))[0]["NetworkSettings"]["IPAddress"]
    direct = f"wget -q -O - http://{ip}/ & sleep 3; kill $! 2>/dev/null && exit 7; wait $!"
    blocked = engine.cli("run", "--rm", "busybox", "sh", "-c", direct)
    assert blocked.returncode != 0 and "kept apart" not in blocked.stdout
    engine.ok("network", "create", "together")
    engine.ok("run", "-d", "--name", "peer", "--network", "together", "busybox", *web("peer"))
    peer = json.loads(engine.ok("inspect", "peer"))[0]["NetworkSettings"]["Networks"]
    got = engine.ok(
        "run", "--rm", "--network", "together", "busybox", "sh", "-c",
        f"for i in $(seq 50); do wget -q -O - http://{peer['together']['IPAddress']}/ && exit 0;"
        " sleep 0.1; done; exit 1",
    )  # fmt: skip
    assert got == "peer\n"
