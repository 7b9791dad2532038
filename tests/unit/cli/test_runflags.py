"""run/create's namespace, device and stream flags parsed and refused as docker's CLI does
(issue 15 item 3); the words are docker 20.10's (tests/integration/parity records them)."""

from __future__ import annotations

import pytest
from dockyard.cli import runflags
from dockyard.cli.usage import Conflict, FlagError, Refused


def test_sysctls_only_namespaced_ones() -> None:
    assert runflags.sysctls(["net.ipv4.ip_forward=1", "kernel.shmmax=9", "fs.mqueue.x=1"]) == {
        "net.ipv4.ip_forward": "1",
        "kernel.shmmax": "9",
        "fs.mqueue.x": "1",
    }
    for bad in ("kernel.foo=1", "bad"):
        with pytest.raises(FlagError, match=f"sysctl '{bad}' is not whitelisted"):
            runflags.sysctls([bad])


@pytest.mark.parametrize(
    "value,parsed",
    [
        ("/dev/null", ("/dev/null", "/dev/null", "rwm")),
        ("/dev/null:/dev/x", ("/dev/null", "/dev/x", "rwm")),
        ("/dev/null:r", ("/dev/null", "/dev/null", "r")),
        ("/dev/null:/dev/x:rw", ("/dev/null", "/dev/x", "rw")),
    ],
)
def test_devices(value: str, parsed: tuple[str, str, str]) -> None:
    assert runflags.device(value) == parsed


@pytest.mark.parametrize(
    "value,reason",
    [
        ("/dev/null:/x:rq", "bad mode specified: rq"),
        ("/dev/null:/x:r:w", "bad format for path: /dev/null:/x:r:w"),
        (":/x", "bad format for path: :/x"),
        ("/dev/null:x", "x is not an absolute path"),
        ("null:r", "null is not an absolute path"),
    ],
)
def test_a_bad_device_is_refused_in_dockers_words(value: str, reason: str) -> None:
    with pytest.raises(Refused, match=f"^{reason}$"):
        runflags.device(value)


def test_pid_and_uts_modes() -> None:
    assert runflags.namespace_mode("container:db", "pid") == "container:db"
    with pytest.raises(Refused, match="--pid: invalid PID mode"):
        runflags.namespace_mode("bogus", "pid")
    with pytest.raises(Refused, match="--uts: invalid UTS mode"):
        runflags.namespace_mode("container:db", "uts")


def test_attach_streams() -> None:
    assert runflags.attach_streams(["STDOUT", "stderr"], False) == {"stdout", "stderr"}
    with pytest.raises(FlagError, match="valid streams are STDIN, STDOUT and STDERR"):
        runflags.attach_streams(["bogus"], False)
    with pytest.raises(Conflict, match="Conflicting options: -a and -d"):
        runflags.attach_streams(["stdout"], True)


def test_detach_keys() -> None:
    assert runflags.detach_keys("ctrl-p,ctrl-q") == b"\x10\x11"
    assert runflags.detach_keys("ctrl-@,a,ctrl-_") == b"\x00a\x1f"
    with pytest.raises(Refused, match=r"Invalid detach keys \(ctrl-\) provided"):
        runflags.detach_keys("ctrl-")


def test_exposed_ports_and_ranges() -> None:
    assert runflags.exposed(["90", "7000-7001/udp"]) == ["90/tcp", "7000/udp", "7001/udp"]
    with pytest.raises(Refused, match='parsing "70000": value out of range'):
        runflags.exposed(["70000"])
    with pytest.raises(Refused, match="Invalid range specified for the Port: 90-80"):
        runflags.exposed(["90-80"])


def test_published_ranges_and_protocols() -> None:
    def pairs(*values: str) -> list[tuple[str, str, str]]:
        return [
            (b.host_ip, b.host_port, b.container_port) for b in runflags.published(list(values))
        ]

    assert pairs("127.0.0.1:8000-8001:80-81", "53/udp") == [
        ("127.0.0.1", "8000", "80/tcp"),
        ("127.0.0.1", "8001", "81/tcp"),
        ("", "", "53/udp"),
    ]
    assert pairs("80-81") == [("", "", "80/tcp"), ("", "", "81/tcp")]
    assert pairs("[::1]:8080:80") == [("::1", "8080", "80/tcp")]
    for value, said in (
        ("18090-18092:80-81", "Invalid ranges specified for container and host Ports"),
        ("abc", "Invalid containerPort: abc"),
        ("1:2:3:4", "too many colons in address"),
        ("80/sctp", "sctp is not supported"),
        ("80/xtp", "invalid proto: xtp"),
    ):
        with pytest.raises(Refused, match=said):
            runflags.published([value])


def test_links_checked_as_dockers_validate_link() -> None:
    assert runflags.links(["db", "db:d", "/db:/web/d"]) == ["db", "db:d", "/db:/web/d"]
    with pytest.raises(FlagError, match=r'^invalid argument "a:b:c" for "--link" flag: bad format'):
        runflags.links(["a:b:c"])
    with pytest.raises(FlagError, match="empty string specified for links"):
        runflags.links([""])


def test_links_go_on_a_user_networks_endpoint_and_nowhere_else() -> None:
    assert runflags.endpoint_links("appnet", ["db:d"]) == ["db:d"]
    assert runflags.endpoint_links("", ["db:d"]) == []  # the default bridge's legacy links
    assert runflags.endpoint_links("bridge", []) == []
    for network in ("bridge", "default", "host", "none", "container:x"):
        with pytest.raises(Refused, match=r"^links are only supported for user-defined networks$"):
            runflags.endpoint_links(network, ["db"])
