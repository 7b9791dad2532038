"""A legacy link's variables, as moby v20.10's daemon/links ToEnv makes them."""

from __future__ import annotations

from dockyard.services.engine.linkenv import to_env

IP = "172.17.0.3"


def test_one_port_the_name_and_the_childs_environment() -> None:
    env = to_env("/web/db-1", IP, ["PATH=/bin", "HOME=/root", "PASS=x=y", "BARE"], ["5432/tcp"])
    assert env == [
        f"DB_1_PORT=tcp://{IP}:5432",
        f"DB_1_PORT_5432_TCP=tcp://{IP}:5432",
        f"DB_1_PORT_5432_TCP_ADDR={IP}",
        "DB_1_PORT_5432_TCP_PORT=5432",
        "DB_1_PORT_5432_TCP_PROTO=tcp",
        "DB_1_NAME=/web/db-1",
        "DB_1_ENV_PASS=x=y",
    ]


def test_no_port_no_port_variables() -> None:
    assert to_env("/a/b", IP, [], []) == ["B_NAME=/a/b"]


def test_runs_of_three_or_more_ports_and_tcp_first_on_a_tie() -> None:
    env = to_env("/p/c", IP, [], ["82/tcp", "80/udp", "81/tcp", "80/tcp", "90/tcp"])
    assert env[0] == f"C_PORT=tcp://{IP}:80"
    # sorted 80/tcp 80/udp 81 82 90: moby's run counts numbers only, so 80..82 is one run,
    # its end named by the last port's protocol
    assert env[1:7] == [
        f"C_PORT_80_TCP_START=tcp://{IP}:80",
        f"C_PORT_80_TCP_ADDR={IP}",
        "C_PORT_80_TCP_PROTO=tcp",
        "C_PORT_80_TCP_PORT_START=80",
        f"C_PORT_80_TCP_END=tcp://{IP}:82",
        "C_PORT_80_TCP_PORT_END=82",
    ]
    assert [e for e in env[7:] if e.endswith("_PROTO=udp")] == ["C_PORT_80_UDP_PROTO=udp"]
    assert not any("_START" in e for e in env[7:])


def test_two_consecutive_ports_are_no_run() -> None:
    env = to_env("/p/c", IP, [], ["80/tcp", "81/tcp"])
    assert not any("_START" in e or "_END" in e for e in env)
