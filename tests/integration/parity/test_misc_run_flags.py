"""run/create's -q, --domainname, --sig-proxy and --mac-address on real containers, as
docker 20.10's."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from tests.integration.dockerapi.test_wire import call
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
        "sh", "-c", "cat /proc/sys/kernel/domainname; hostname; tail -1 /etc/hosts",
    )  # fmt: skip
    domain, hostname, own = shown.splitlines()
    assert (domain, hostname) == ("example.org", "web")
    assert own.split("\t")[1] == "web.example.org web"  # libnetwork's: the FQDN, the short name
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


def test_attach_passes_sigterm_on_unless_sig_proxy_is_false(engine: Engine, busybox: str) -> None:
    """docker's attach: --sig-proxy (on by default) forwards the client's signals to a container
    without a terminal; =false leaves the container alone."""
    ticking = 'trap "echo caught; exit 7" TERM; while true; do echo tick; sleep 0.2; done'
    for flags, wanted in (((), 7), (("--sig-proxy=false",), None)):
        cid = engine.ok("run", "-d", busybox, "sh", "-c", ticking).strip()
        attach = [CLI, "-H", engine.host, "attach", *flags, cid]
        with subprocess.Popen(
            attach, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
        ) as process:
            assert process.stdout is not None and process.stdout.readline() == "tick\n"
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
            rest = process.stdout.read()
        if wanted is not None:
            assert code == wanted and rest.endswith("caught\n")
        else:
            assert code != 7
            assert engine.ok("inspect", "-f", "{{.State.Running}}", cid) == "true\n"
        engine.ok("rm", "-f", cid)


def test_mac_address_is_eth0s_on_the_first_network(engine: Engine, busybox: str) -> None:
    mac = "92:d0:c6:0a:29:33"
    cid = engine.ok("run", "-d", "--mac-address", "92-D0-C6-0A-29-33", busybox, "sleep", "600")
    assert engine.ok("exec", cid.strip(), "cat", "/sys/class/net/eth0/address") == f"{mac}\n"
    shown = "{{.Config.MacAddress}} {{.NetworkSettings.MacAddress}}"
    assert engine.ok("inspect", "-f", shown, cid.strip()) == f"92-D0-C6-0A-29-33 {mac}\n"
    engine.ok("rm", "-f", cid.strip())
    bad = engine.cli("run", "--rm", "--mac-address", "92:d0:c6:0a:29", busybox, "true")
    assert (bad.returncode, bad.stderr.splitlines()[0]) == (
        125,
        "dockyard: 92:d0:c6:0a:29 is not a valid mac address.",
    )


def test_mac_address_through_the_docker_api(engine: Engine, busybox: str) -> None:
    body = {"Image": busybox, "Cmd": ["sleep", "600"], "MacAddress": "02:42:0a:00:00:99"}
    status, _, payload = call(engine, "POST", "/v1.41/containers/create?name=api-mac", body)
    assert status == 201, payload
    assert call(engine, "POST", "/v1.41/containers/api-mac/start")[0] == 204
    doc = json.loads(call(engine, "GET", "/v1.41/containers/api-mac/json")[2])
    assert doc["Config"]["MacAddress"] == "02:42:0a:00:00:99"
    assert doc["NetworkSettings"]["Networks"]["bridge"]["MacAddress"] == "02:42:0a:00:00:99"
    body["MacAddress"] = "nope"
    status, _, payload = call(engine, "POST", "/v1.41/containers/create", body)
    assert status == 400 and b"address nope: invalid MAC address" in payload


def _refused(engine: Engine, busybox: str, *flags: str) -> tuple[int, str]:
    result = engine.cli("run", "--rm", *flags, busybox, "true")
    return result.returncode, result.stderr.splitlines()[0]


def test_userns_isolation_storage_opt_take_dockers_defaults_only(
    engine: Engine, busybox: str
) -> None:
    """docker 20.10 without userns-remap, on Linux, on overlay2 over ext4."""
    cid = engine.ok(
        "run", "-d", "--userns", "host", "--isolation", "default", busybox, "sleep", "600"
    ).strip()  # fmt: skip
    shown = engine.ok("inspect", "-f", "{{.HostConfig.UsernsMode}} {{.HostConfig.Isolation}}", cid)
    assert shown == "host default\n"
    engine.ok("rm", "-f", cid)
    daemon = "dockyard: Error response from daemon: "
    assert _refused(engine, busybox, "--userns", "private") == (
        125,
        "dockyard: --userns: invalid USER mode.",
    )
    assert _refused(engine, busybox, "--isolation", "hyperv") == (
        125,
        f"{daemon}invalid isolation 'hyperv' on linux.",
    )
    assert _refused(engine, busybox, "--storage-opt", "size=1G") == (
        125,
        f"{daemon}--storage-opt is supported only for overlay over xfs with 'pquota' mount option.",
    )
    assert _refused(engine, busybox, "--storage-opt", "Foo=1") == (
        125,
        f"{daemon}Unknown option foo.",
    )
    assert _refused(engine, busybox, "--storage-opt", "size") == (
        125,
        "dockyard: invalid storage option.",
    )


def test_the_api_refuses_other_than_the_defaults_in_dockers_words(
    engine: Engine, busybox: str
) -> None:
    base = {"Image": busybox, "Cmd": ["true"]}
    for host, words in (
        ({"Isolation": "process"}, b"invalid isolation 'process' on linux"),
        ({"StorageOpt": {"size": "1G"}}, b"only for overlay over xfs with 'pquota' mount"),
        ({"UsernsMode": "private"}, b"--userns: invalid USER mode"),
    ):
        status, _, payload = call(
            engine, "POST", "/v1.41/containers/create", base | {"HostConfig": host}
        )
        assert status == 400 and words in payload, (host, payload)
    status, _, payload = call(
        engine, "POST", "/v1.41/containers/create?name=api-defaults",
        base | {"HostConfig": {"Isolation": "default", "UsernsMode": "host"}},
    )  # fmt: skip
    assert status == 201, payload


def test_gpus_are_recorded_and_refused_at_start_without_a_device_driver(
    engine: Engine, busybox: str
) -> None:
    """dockerd 20.10 with no nvidia hook: create takes --gpus, start finds no driver."""
    ran = engine.cli("run", "--name", "gpu-run", "--gpus", "all", busybox, "true")
    assert (ran.returncode, ran.stderr.splitlines()[0]) == (
        125,
        'dockyard: Error response from daemon: could not select device driver "" with '
        "capabilities: [[gpu]].",
    )
    cid = engine.ok("create", "--gpus", "count=2,capabilities=compute", busybox, "true").strip()
    shown = engine.ok("inspect", "-f", "{{json .HostConfig.DeviceRequests}}", cid)
    assert json.loads(shown) == [
        {
            "Driver": "",
            "Count": 2,
            "DeviceIDs": None,
            "Capabilities": [["compute", "gpu"]],
            "Options": {},
        }
    ]
    started = engine.cli("start", cid)
    assert started.returncode != 0
    assert 'could not select device driver "" with capabilities: [[compute gpu]]' in started.stderr
    bad = engine.cli("create", "--gpus", "count=x", busybox, "true")
    assert bad.returncode == 125 and "count must be an integer" in bad.stderr


def test_ip6_is_refused_as_on_networks_without_ipv6(engine: Engine, busybox: str) -> None:
    daemon = "dockyard: Error response from daemon: "
    assert _refused(engine, busybox, "--ip6", "2001:db8::33") == (
        125,
        f"{daemon}user specified IP address is supported on user defined networks only.",
    )
    assert _refused(engine, busybox, "--ip6", "10.0.0.7") == (
        125,
        f"{daemon}invalid IPv6 address: 10.0.0.7.",
    )
    engine.ok("network", "create", "no-v6")
    try:
        assert _refused(engine, busybox, "--network", "no-v6", "--ip6", "2001:db8::33") == (
            125,
            f"{daemon}user specified IP address is supported only when connecting to networks "
            "with user configured subnets.",
        )
    finally:
        engine.ok("network", "rm", "no-v6")
    assert engine.ok("ps", "-aq") == ""  # nothing was created


def test_volume_driver_is_local_only(engine: Engine, busybox: str) -> None:
    made = engine.ok("run", "--rm", "--volume-driver", "local", "-v", "vd-data:/data", busybox,
                     "sh", "-c", "echo kept > /data/f && cat /data/f")  # fmt: skip
    assert made == "kept\n"
    cid = engine.ok("create", "--volume-driver", "local", busybox, "true").strip()
    assert engine.ok("inspect", "-f", "{{.HostConfig.VolumeDriver}}", cid) == "local\n"
    engine.ok("rm", cid)
    engine.ok("volume", "rm", "vd-data")
    assert _refused(engine, busybox, "--volume-driver", "flocker", "-v", "vd2:/data") == (
        125,
        "dockyard: Error response from daemon: error looking up volume plugin flocker: "
        'plugin "flocker" not found.',
    )


def test_start_attached_passes_sigterm_on(engine: Engine, busybox: str) -> None:
    engine.ok("create", "--name", "started", busybox, *TRAPPING)
    start = [CLI, "-H", engine.host, "start", "-a", "started"]
    with subprocess.Popen(start, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True) as p:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=60) == 7
        assert p.stdout.read() == "caught\n"
    engine.ok("rm", "started")
