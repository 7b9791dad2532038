"""The environment a legacy link gives the linking container: moby v20.10's daemon/links ToEnv,
port for port.

For a link "/web/db" to a container at 172.17.0.3 exposing 5432/tcp:

    DB_PORT=tcp://172.17.0.3:5432                 the lowest port (tcp first on a tie)
    DB_PORT_5432_TCP_START=…, _PORT_START, _END,  for each run of consecutive ports (by
      _PORT_END, _ADDR, _PROTO                      number only, as moby's nextContiguous)
    DB_PORT_5432_TCP=tcp://172.17.0.3:5432        for every port, with _ADDR, _PORT, _PROTO
    DB_NAME=/web/db
    DB_ENV_<KEY>=<value>                          the child's environment but HOME and PATH
"""

from __future__ import annotations


def to_env(name: str, child_ip: str, child_env: list[str], exposed: list[str]) -> list[str]:
    alias = name.rsplit("/", 1)[-1].upper().replace("-", "_")
    ports = sorted((_port(p) for p in exposed), key=lambda p: (p[0], p[1] != "tcp"))
    env = []
    if ports:
        number, proto = ports[0]
        env.append(f"{alias}_PORT={proto}://{child_ip}:{number}")
    env += _ranges(alias, child_ip, ports)
    for number, proto in ports:
        prefix = f"{alias}_PORT_{number}_{proto.upper()}"
        env += [
            f"{prefix}={proto}://{child_ip}:{number}",
            f"{prefix}_ADDR={child_ip}",
            f"{prefix}_PORT={number}",
            f"{prefix}_PROTO={proto}",
        ]
    env.append(f"{alias}_NAME={name}")
    for entry in child_env:
        key, sep, value = entry.partition("=")
        if sep and key not in ("HOME", "PATH"):  # set by builds, no use to a linking container
            env.append(f"{alias}_ENV_{key}={value}")
    return env


def _ranges(alias: str, child_ip: str, ports: list[tuple[int, str]]) -> list[str]:
    env, i = [], 0
    while i < len(ports):
        j = _next_contiguous(ports, i)
        if j <= i + 1:
            i += 1
            continue
        (number, proto), (last, last_proto) = ports[i], ports[j]
        prefix = f"{alias}_PORT_{number}_{proto.upper()}"
        env += [
            f"{prefix}_START={proto}://{child_ip}:{number}",
            f"{prefix}_ADDR={child_ip}",
            f"{prefix}_PROTO={proto}",
            f"{prefix}_PORT_START={number}",
            f"{alias}_PORT_{number}_{last_proto.upper()}_END={last_proto}://{child_ip}:{last}",
            f"{alias}_PORT_{number}_{last_proto.upper()}_PORT_END={last}",
        ]
        i = j + 1
    return env


def _next_contiguous(ports: list[tuple[int, str]], index: int) -> int:
    """The index of the last port of the run starting at `index` (moby's nextContiguous)."""
    value = ports[index][0]
    for i in range(index + 1, len(ports)):
        if ports[i][0] > value + 1:
            return i - 1
        value += 1
    return len(ports) - 1


def _port(text: str) -> tuple[int, str]:
    number, _, proto = text.partition("/")
    return int(number.partition("-")[0]), (proto or "tcp").lower()
