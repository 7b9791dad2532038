"""run/create --link and --link-local-ip, and rm --link, on real containers, as docker 20.10's.

On the default bridge a link is docker's legacy link: /etc/hosts names the child, the
linking container gets the child's ALIAS_* variables (moby's daemon/links), inspect shows
"/child:/parent/alias". On a user network it is an alias the embedded DNS answers for the
linking container only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from tests.integration.dockerapi.test_wire import call
from tests.integration.network.test_networks import resolved
from tests.support.engine import Engine

pytestmark = pytest.mark.integration


def inspect(engine: Engine, container: str) -> dict:  # type: ignore[type-arg]
    return json.loads(engine.ok("inspect", container))[0]


def bridge_ip(engine: Engine, container: str) -> str:
    return str(inspect(engine, container)["NetworkSettings"]["Networks"]["bridge"]["IPAddress"])


def test_link_names_the_child_in_etc_hosts_and_env(engine: Engine, busybox: str) -> None:
    child = engine.ok(
        "run", "-d", "--name", "lk-db", "-e", "DB_PASS=s3cret", "--expose", "80-82",
        "--expose", "53/udp", busybox, "sleep", "600",
    ).strip()  # fmt: skip
    ip = bridge_ip(engine, "lk-db")
    out = engine.ok(
        "run", "--rm", "--name", "lk-web", "--link", "lk-db:db", busybox,
        "sh", "-c", "cat /etc/hosts; env | grep ^DB_ | sort; ping -c 1 -W 5 db",
    )  # fmt: skip
    hosts = out.split("DB_", 1)[0]
    assert f"{ip}\tdb {child[:12]} lk-db\n" in hosts
    own = hosts.rstrip("\n").rsplit("\n", 1)[-1]  # the container's own line comes last
    assert own.split("\t")[0] != ip
    env = {line for line in out.splitlines() if line.startswith("DB_")}
    each = {
        f"DB_PORT_{port}_{proto.upper()}{key}"
        for port, proto in ((53, "udp"), (80, "tcp"), (81, "tcp"), (82, "tcp"))
        for key in (f"={proto}://{ip}:{port}", f"_ADDR={ip}", f"_PORT={port}", f"_PROTO={proto}")
    }
    assert env == each | {
        f"DB_PORT=udp://{ip}:53",  # the lowest port, whatever its protocol (moby's sort)
        f"DB_PORT_80_TCP_START=tcp://{ip}:80",  # a run of 3 or more consecutive ports
        "DB_PORT_80_TCP_PORT_START=80",
        f"DB_PORT_80_TCP_END=tcp://{ip}:82",
        "DB_PORT_80_TCP_PORT_END=82",
        "DB_NAME=/lk-web/db",
        "DB_ENV_DB_PASS=s3cret",
    }
    assert "1 packets received" in out
    engine.ok("rm", "-f", child)


def test_link_without_alias_and_inspect(engine: Engine, busybox: str) -> None:
    child = engine.ok("run", "-d", "--name", "lk-cache", busybox, "sleep", "600").strip()
    engine.ok(
        "create", "--name", "lk-app", "--link", "lk-cache", "--link", "lk-cache:c2", busybox, "true"
    )
    links = inspect(engine, "lk-app")["HostConfig"]["Links"]
    assert links == ["/lk-cache:/lk-app/lk-cache", "/lk-cache:/lk-app/c2"]
    out = engine.ok("run", "--rm", "--link", "lk-cache", busybox, "cat", "/etc/hosts")
    assert f"{bridge_ip(engine, 'lk-cache')}\tlk-cache {child[:12]}\n" in out
    assert inspect(engine, "lk-cache")["HostConfig"]["Links"] is None
    # dockerd lists a linked container under its link names too, by name; ps shows them with
    # --no-trunc only
    listed = ("ps", "--filter", f"id={child}", "--format", "{{.Names}}")
    assert engine.ok(*listed) == "lk-cache\n"
    assert engine.ok(*listed, "--no-trunc") == "lk-app/c2,lk-app/lk-cache,lk-cache\n"
    rows = json.loads(
        call(engine, "GET", f"/v1.41/containers/json?filters=%7B%22id%22%3A%5B%22{child}%22%5D%7D")[
            2
        ]
    )
    assert rows[0]["Names"] == ["/lk-app/c2", "/lk-app/lk-cache", "/lk-cache"]
    engine.ok("rm", "-f", child, "lk-app")


def test_link_refusals_in_dockers_words(engine: Engine, busybox: str) -> None:
    def refused(*args: str) -> tuple[int, str]:
        got = engine.cli("run", "--rm", *args, busybox, "true")
        return got.returncode, got.stderr.splitlines()[0] if got.stderr else ""

    assert refused("--link", "a:b:c") == (
        125,
        'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c',
    )
    code, line = refused("--link", "lk-nosuch:x")
    assert code == 125
    assert "could not get container for lk-nosuch: No such container: lk-nosuch" in line
    for mode in ("host", "bridge"):  # docker's CLI: only a user network's endpoint takes links
        assert refused("--network", mode, "--link", "lk-nosuch") == (
            125,
            "dockyard: links are only supported for user-defined networks.",
        )
    body = {"Image": busybox, "HostConfig": {"NetworkMode": "host", "Links": ["lk-nosuch"]}}
    status, _, payload = call(engine, "POST", "/v1.41/containers/create", body)
    assert status == 400
    assert b"conflicting options: host type networking can't be used with links" in payload
    engine.ok("create", "--name", "lk-stopped", busybox, "true")
    code, line = refused("--name", "lk-user", "--link", "lk-stopped:s")
    assert code == 125
    assert "Cannot link to a non running container: /lk-stopped AS /lk-user/s" in line
    engine.ok("rm", "lk-stopped")


def test_rm_link_removes_the_link_only(engine: Engine, busybox: str) -> None:
    child = engine.ok("run", "-d", "--name", "lk-target", busybox, "sleep", "600").strip()
    engine.ok(
        "create", "--name", "lk-holder", "--link", "lk-target:t", busybox, "cat", "/etc/hosts"
    )
    assert engine.ok("rm", "--link", "lk-holder/t") == "lk-holder/t\n"
    assert inspect(engine, "lk-holder")["HostConfig"]["Links"] is None
    assert inspect(engine, "lk-target")["State"]["Running"] is True
    engine.ok("start", "-a", "lk-holder")
    gone = engine.cli("rm", "-l", "lk-holder/t")
    assert gone.returncode == 1 and "No such container: lk-holder/t" in gone.stderr
    own = engine.cli("rm", "-l", "lk-target")
    assert own.returncode == 1
    assert "Conflict, cannot remove the default link name of the container" in own.stderr
    engine.ok("rm", "-f", child, "lk-holder")


def test_link_on_a_user_network_is_the_linkers_alias(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network()
    engine.ok("run", "-d", "--network", net, "--name", "lk-srv", busybox, "sleep", "600")
    ip = inspect(engine, "lk-srv")["NetworkSettings"]["Networks"][net]["IPAddress"]
    engine.ok("run", "-d", "--network", net, "--name", "lk-cli", "--link", "lk-srv:store",
              busybox, "sleep", "600")  # fmt: skip
    engine.ok("run", "-d", "--network", net, "--name", "lk-other", busybox, "sleep", "600")
    assert resolved(engine, "lk-cli", "store") == [ip]
    assert resolved(engine, "lk-other", "store") == []  # the alias is lk-cli's only
    assert "1 packets received" in engine.ok(
        "exec", "lk-cli", "ping", "-c", "1", "-W", "5", "store"
    )
    doc = inspect(engine, "lk-cli")
    assert doc["HostConfig"]["Links"] is None  # dockerd keeps no legacy link on a user network
    assert doc["NetworkSettings"]["Networks"][net]["Links"] == ["lk-srv:store"]
    hosts = engine.ok("exec", "lk-cli", "cat", "/etc/hosts")
    assert "store" not in hosts
    engine.ok("rm", "-f", "lk-srv", "lk-cli", "lk-other")


def test_link_local_ip_is_on_the_interface(engine: Engine, busybox: str) -> None:
    out = engine.ok(
        "run", "--rm", "--link-local-ip", "169.254.10.10", "--link-local-ip", "fe80::1234",
        busybox, "ip", "addr", "show", "eth0",
    )  # fmt: skip
    assert "inet 169.254.10.10/16" in out and "inet6 fe80::1234/64" in out
    engine.ok("create", "--name", "lk-ll", "--link-local-ip", "169.254.10.11", busybox, "true")
    ipam = inspect(engine, "lk-ll")["NetworkSettings"]["Networks"]["bridge"]["IPAMConfig"]
    assert ipam == {"LinkLocalIPs": ["169.254.10.11"]}
    engine.ok("rm", "lk-ll")
    bad = engine.cli("run", "--rm", "--link-local-ip", "10.1.2.3", busybox, "true")
    assert bad.returncode == 125 and "invalid link local IP address: 10.1.2.3" in bad.stderr
    bad = engine.cli("run", "--rm", "--link-local-ip", "nope", busybox, "true")
    assert bad.returncode == 125 and "Invalid link-local IP address: [nope]" in bad.stderr


def test_links_through_the_docker_api(engine: Engine, busybox: str) -> None:
    engine.ok("run", "-d", "--name", "lk-apidb", busybox, "sleep", "600")
    body = {
        "Image": busybox,
        "Cmd": ["sleep", "600"],
        "HostConfig": {"Links": ["lk-apidb:db"]},
        "NetworkingConfig": {
            "EndpointsConfig": {"bridge": {"IPAMConfig": {"LinkLocalIPs": ["169.254.7.7"]}}}
        },
    }
    status, _, payload = call(engine, "POST", "/v1.41/containers/create?name=lk-api", body)
    assert status == 201, payload
    assert call(engine, "POST", "/v1.41/containers/lk-api/start")[0] == 204
    doc = json.loads(call(engine, "GET", "/v1.41/containers/lk-api/json")[2])
    assert doc["HostConfig"]["Links"] == ["/lk-apidb:/lk-api/db"]
    assert doc["NetworkSettings"]["Networks"]["bridge"]["IPAMConfig"] == {
        "LinkLocalIPs": ["169.254.7.7"]
    }
    env = engine.ok("exec", "lk-api", "sh", "-c", "echo $DB_NAME; ip -4 addr show eth0")
    assert env.startswith("/lk-api/db\n") and "inet 169.254.7.7/16" in env
    status, _, payload = call(engine, "DELETE", "/v1.41/containers/lk-api/db?link=1")
    assert status == 204, payload
    doc = json.loads(call(engine, "GET", "/v1.41/containers/lk-api/json")[2])
    assert doc["HostConfig"]["Links"] is None
    engine.ok("rm", "-f", "lk-apidb", "lk-api")


def test_a_running_parent_follows_its_child_and_loses_a_removed_link(
    engine: Engine, busybox: str
) -> None:
    """libnetwork's parent updates: a child started again (with another address) is renamed
    in its running parents' /etc/hosts; rm --link takes the line away (dockerd's refresh)."""
    engine.ok("run", "-d", "--name", "lk-kid", busybox, "sleep", "600")
    engine.ok("run", "-d", "--name", "lk-mum", "--link", "lk-kid:kid", busybox, "sleep", "600")
    first = bridge_ip(engine, "lk-kid")
    engine.ok("stop", "-t", "0", "lk-kid")
    filler = engine.ok("run", "-d", busybox, "sleep", "600").strip()  # takes the freed address
    engine.ok("start", "lk-kid")
    again = bridge_ip(engine, "lk-kid")
    hosts = engine.ok("exec", "lk-mum", "cat", "/etc/hosts")
    assert f"{again}\tkid " in hosts and (again == first or f"{first}\tkid " not in hosts)
    engine.ok("rm", "-l", "lk-mum/kid")
    assert "kid" not in engine.ok("exec", "lk-mum", "cat", "/etc/hosts")
    engine.ok("rm", "-f", "lk-kid", "lk-mum", filler)


def test_links_follow_renames(engine: Engine, busybox: str) -> None:
    """dockerd's links point at containers: a renamed child is still linked, and a renamed
    parent's links are named after it."""
    engine.ok("run", "-d", "--name", "lk-old", busybox, "sleep", "600")
    engine.ok("create", "--name", "lk-par", "--link", "lk-old:o", busybox, "cat", "/etc/hosts")
    engine.ok("rename", "lk-old", "lk-new")
    engine.ok("rename", "lk-par", "lk-par2")
    assert inspect(engine, "lk-par2")["HostConfig"]["Links"] == ["/lk-new:/lk-par2/o"]
    hosts = engine.ok("start", "-a", "lk-par2")
    assert f"{bridge_ip(engine, 'lk-new')}\to " in hosts and " lk-new\n" in hosts
    assert engine.ok("rm", "-l", "lk-par2/o") == "lk-par2/o\n"
    engine.ok("rm", "-f", "lk-new", "lk-par2")


def test_network_connect_link_and_link_local_ip(
    engine: Engine, busybox: str, network: Callable[..., str]
) -> None:
    net = network()
    engine.ok("run", "-d", "--network", net, "--name", "lk-ns", busybox, "sleep", "600")
    ip = inspect(engine, "lk-ns")["NetworkSettings"]["Networks"][net]["IPAddress"]
    engine.ok("run", "-d", "--name", "lk-nc", busybox, "sleep", "600")
    connect = (
        "network",
        "connect",
        "--link",
        "lk-ns:svc",
        "--link-local-ip",
        "169.254.20.20,fe80::20",
    )
    engine.ok(*connect, net, "lk-nc")
    assert resolved(engine, "lk-nc", "svc") == [ip]
    assert "inet 169.254.20.20/16" in engine.ok("exec", "lk-nc", "ip", "-4", "addr", "show", "eth1")
    doc = inspect(engine, "lk-nc")["NetworkSettings"]["Networks"][net]
    link_local = ["169.254.20.20", "fe80::20"]  # a string-slice flag, as docker's
    assert (doc["Links"], doc["IPAMConfig"]) == (["lk-ns:svc"], {"LinkLocalIPs": link_local})
    bad = engine.cli("network", "connect", "--link", "a:b:c", net, "lk-nc")
    assert bad.returncode == 125
    assert 'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c' in bad.stderr
    engine.ok("rm", "-f", "lk-ns", "lk-nc")


def test_exec_and_health_probes_get_the_links_variables(engine: Engine, busybox: str) -> None:
    """dockerd's exec and health probe set up the links' environment as its start does."""
    engine.ok("run", "-d", "--name", "lk-hdb", busybox, "sleep", "600")
    engine.ok(
        "run", "-d", "--name", "lk-hweb", "--link", "lk-hdb:hdb", "--health-cmd",
        'test "$HDB_NAME" = /lk-hweb/hdb', "--health-interval", "300ms", busybox, "sleep", "600",
    )  # fmt: skip
    assert engine.ok("exec", "lk-hweb", "sh", "-c", "echo $HDB_NAME") == "/lk-hweb/hdb\n"
    deadline = time.monotonic() + 120
    while inspect(engine, "lk-hweb")["State"]["Health"]["Status"] == "starting":
        assert time.monotonic() < deadline, "no probe ran"
        time.sleep(0.2)
    assert inspect(engine, "lk-hweb")["State"]["Health"]["Status"] == "healthy"
    engine.ok("rm", "-f", "lk-hdb", "lk-hweb")
