"""Parsing `run`/`create`'s namespace, device and stream flags as docker's CLI parses them:
--sysctl, --device, --pid/--uts, --group-add, -a, --detach-keys, --expose, -p with ranges.

Mistakes are refused before any request, in docker's words: a flag value its parser rejects
(`usage.FlagError`: 'invalid argument "x" for "--sysctl" flag: …') or a combination its option
checks reject (`usage.Refused`: "dockyard: --pid: invalid PID mode."), both 125.
"""

from __future__ import annotations

import re
from typing import Any

from dockyard.api import macaddr
from dockyard.cli.usage import Conflict, FlagError, Refused

IPC_SYSCTLS = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
    "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
}  # fmt: skip
STREAMS = ("stdin", "stdout", "stderr")
# term.ToBytes' names: ctrl-@ is 0, ctrl-a … ctrl-z 1 … 26, then ctrl-[ \ ] ^ _
CONTROL = {"ctrl-@": 0, **{f"ctrl-{chr(97 + i)}": i + 1 for i in range(26)}}
CONTROL |= {"ctrl-[": 27, "ctrl-\\": 28, "ctrl-]": 29, "ctrl-^": 30, "ctrl-_": 31}


def sysctls(values: list[str]) -> dict[str, str]:
    """--sysctl KEY=VALUE, only the keys a namespace isolates (docker's ValidateSysctl)."""
    out = {}
    for value in values:
        key, sep, setting = value.partition("=")
        allowed = key in IPC_SYSCTLS or key.startswith(("net.", "fs.mqueue."))
        if not sep or not allowed:
            raise FlagError(
                f'invalid argument "{value}" for "--sysctl" flag: '
                f"sysctl '{value}' is not whitelisted"
            )
        out[key] = setting
    return out


def device_cgroup_rule(value: str) -> str:
    """docker/cli v20.10 opts' validateDeviceCgroupRule."""
    if not re.match(r"^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$", value):
        raise FlagError(
            f'invalid argument "{value}" for "--device-cgroup-rule" flag: '
            f"invalid device cgroup format '{value}'"
        )
    return value


def weight_device(value: str) -> tuple[str, int]:
    """--blkio-weight-device PATH:WEIGHT, as docker/cli v20.10 opts/weightdevice.go checks it."""
    path, weight, problem = _device_pair(value)
    if not problem and (
        not weight.isdigit() or not (int(weight) == 0 or 10 <= int(weight) <= 1000)
    ):
        problem = f"invalid weight for device: {value}"
    if problem:
        raise FlagError(f'invalid argument "{value}" for "--blkio-weight-device" flag: {problem}')
    return path, int(weight)


THROTTLES = ("device_read_bps", "device_write_bps", "device_read_iops", "device_write_iops")


def block_io(resources: Any, flags: dict[str, Any]) -> None:
    """--blkio-weight(-device), the --device-*-bps/iops throttles, --kernel-memory and
    --cpu-rt-period/--cpu-rt-runtime, into `resources`: run, create and update take them
    alike."""
    from dockyard.cli import options

    resources.blkio_weight = options.integer(flags["blkio_weight"], "--blkio-weight", (0, 65535))
    for value in flags["blkio_weight_device"]:
        path, weight = weight_device(value)
        resources.blkio_weight_device.add(path=path, rate=weight)
    for name in THROTTLES:
        for value in flags[name]:
            path, rate = throttle(value, name)
            getattr(resources, name).add(path=path, rate=rate)
    if flags["kernel_memory"]:
        resources.kernel_memory = options.size(flags["kernel_memory"], "--kernel-memory", False)
    resources.cpu_realtime_period = options.integer(flags["cpu_rt_period"], "--cpu-rt-period")
    resources.cpu_realtime_runtime = options.integer(flags["cpu_rt_runtime"], "--cpu-rt-runtime")


def throttle(value: str, name: str) -> tuple[str, int]:
    """PATH:RATE of --device-read-bps (and the like), as docker/cli v20.10 opts/throttledevice.go
    checks it: bps rates take docker's units, iops ones are plain counts."""
    from dockyard.cli import options

    flag = "--" + name.replace("_", "-")
    path, rate, problem = _device_pair(value)
    if problem:
        raise FlagError(f'invalid argument "{value}" for "{flag}" flag: {problem}')
    if name.endswith("iops") and not rate.isdigit():
        problem = (
            f"invalid rate for device: {value}. The correct format is <device-path>:<number>. "
            "Number must be a positive integer"
        )
    elif not name.endswith("iops") and not re.fullmatch(r"\d+(\.\d+)?\s*[bkmgtp]?i?b?", rate, re.I):
        problem = (
            f"invalid rate for device: {value}. The correct format is <device-path>:<number>[<unit>]. "
            "Number must be a positive integer. Unit is optional and can be kb, mb, or gb"
        )
    if problem:
        raise FlagError(f'invalid argument "{value}" for "{flag}" flag: {problem}')
    return path, int(rate) if name.endswith("iops") else options.size(rate, flag, False)


def _device_pair(value: str) -> tuple[str, str, str]:
    """DEVICE-PATH:VALUE as docker/cli's weight and throttle options split it: (path, value,
    the format problem or "")."""
    path, sep, rest = value.partition(":")
    if not sep:
        return path, rest, f"bad format: {value}"
    if not path.startswith("/dev/"):
        return path, rest, f"bad format for device path: {value}"
    return path, rest, ""


def device(value: str) -> tuple[str, str, str]:
    """--device HOST[:CONTAINER][:PERMISSIONS], checked as docker's validateLinuxPath then
    parsed as its parseDevice: (host path, container path, permissions)."""
    parts = value.split(":")
    if len(parts) > 3 or not parts[0]:
        raise Refused(f"bad format for path: {value}")
    source, target, permissions = parts[0], "", "rwm"
    if len(parts) == 3:
        target, permissions = parts[1], parts[2]
        if not _is_mode(permissions):
            raise Refused(f"bad mode specified: {permissions}")
    elif len(parts) == 2:
        if _is_mode(parts[1]):
            permissions = parts[1]
        else:
            target = parts[1]
    checked = target or source
    if not checked.startswith("/"):
        raise Refused(f"{checked} is not an absolute path")
    return source, target or source, permissions


def _is_mode(text: str) -> bool:
    return bool(text) and not set(text) - set("rwm") and len(set(text)) == len(text)


def namespace_mode(value: str, flag: str) -> str:
    """--pid and --uts: "", host, or (--pid only) container:NAME, as docker's CLI checks."""
    allowed = value in ("", "host") or (flag == "pid" and value.startswith("container:"))
    if not allowed or value == "container:":
        raise Refused(f"--{flag}: invalid {flag.upper()} mode")
    return value


def cgroupns_mode(value: str) -> str:
    """--cgroupns: "", host or private, as docker's CLI checks."""
    if value not in ("", "host", "private"):
        raise Refused("--cgroupns: invalid CGROUP mode")
    return value


def attach_streams(values: list[str], detach: bool) -> set[str]:
    """-a STREAM...: the streams to attach (all of stdout and stderr without -a)."""
    wanted = {v.lower() for v in values}
    for value in values:
        if value.lower() not in STREAMS:
            raise FlagError(
                f'invalid argument "{value}" for "-a, --attach" flag: '
                "valid streams are STDIN, STDOUT and STDERR"
            )
    if wanted and detach:
        raise Conflict("Conflicting options: -a and -d")
    return wanted


def links(values: list[str]) -> list[str]:
    """--link NAME[:ALIAS], checked as docker's CLI checks it (opts.ValidateLink)."""
    for value in values:
        reason = "empty string specified for links" if not value else ""
        if value.count(":") > 1:
            reason = f"bad format for links: {value}"
        if reason:
            raise FlagError(f'invalid argument "{value}" for "--link" flag: {reason}')
    return values


def endpoint_links(network: str, links: list[str]) -> list[str]:
    """The links docker's CLI also gives the --network's endpoint (applyContainerOptions): all
    of them on a user-defined network; with --network naming another, links are refused
    (parseNetworkAttachmentOpt); without --network they are the default bridge's alone."""
    predefined = network in ("default", "bridge", "host", "none")
    if not network or not links:
        return []
    if predefined or network.startswith("container:"):
        raise Refused("links are only supported for user-defined networks")
    return links


def mac_address(value: str) -> str:
    """--mac-address, checked as docker's CLI checks it (opts.ValidateMACAddress)."""
    if value and macaddr.canonical(value) is None:
        raise Refused(f"{value} is not a valid mac address")
    return value


def userns_mode(value: str) -> str:
    """--userns: "" or host, as docker's CLI checks it (UsernsMode.Valid)."""
    if value.split(":")[0] not in ("", "host"):
        raise Refused("--userns: invalid USER mode")
    return value


def storage_opts(values: list[str]) -> dict[str, str]:
    """--storage-opt KEY=VALUE (docker's parseStorageOpts; the engine judges the keys)."""
    if any("=" not in value for value in values):
        raise Refused("invalid storage option")
    return dict(value.split("=", 1) for value in values)


def gpus(value: str) -> Any:
    """--gpus all | count=N,driver=D,device=ID,capabilities=C (docker's GpuOpts.Set)."""
    import csv

    from dockyard.engine.v1 import engine_pb2 as pb

    request, seen = pb.DeviceRequest(), set()
    for field in next(csv.reader([value])):
        key, sep, text = field.partition("=")
        if key in seen:
            raise FlagError(
                _gpu_error(value, f"gpu request key '{key}' can be specified only once")
            )
        seen.add(key)
        if not sep:
            key, text = "count", key
            seen.add("count")
        if key == "count":
            request.count = -1 if text == "all" else _gpu_count(value, text)
        elif key == "driver":
            request.driver = text
        elif key == "device":
            request.device_ids.extend(text.split(","))
        elif key == "capabilities":
            request.capabilities.append(f"{text},gpu")
        else:
            raise FlagError(_gpu_error(value, f"unexpected key '{key}' in '{field}'"))
    if "count" not in seen and not request.device_ids:
        request.count = 1
    if not request.capabilities:
        request.capabilities.append("gpu")
    return request


def _gpu_count(value: str, text: str) -> int:
    if not text.lstrip("+-").isdigit():
        reason = f'count must be an integer: strconv.Atoi: parsing "{text}": invalid syntax'
        raise FlagError(_gpu_error(value, reason))
    return int(text)


def _gpu_error(value: str, reason: str) -> str:
    return f'invalid argument "{value}" for "--gpus" flag: {reason}'


PULL_POLICIES = ("always", "missing", "never")


def pull_policy(value: str) -> str:
    """--pull always|missing|never, as docker's CLI checks it."""
    if value not in PULL_POLICIES:
        raise Refused(
            f"invalid pull option: '{value}': must be one of "
            + ", ".join(f'"{p}"' for p in PULL_POLICIES[:-1])
            + f' or "{PULL_POLICIES[-1]}"'
        )
    return value


def detach_keys(value: str) -> bytes:
    """--detach-keys "ctrl-p,ctrl-q" (docker's term.ToBytes), as the bytes to watch for."""
    codes = bytearray()
    for key in value.split(","):
        if len(key) == 1:
            codes.append(ord(key))
        elif key in CONTROL:
            codes.append(CONTROL[key])
        else:
            raise Refused(f"Invalid detach keys ({value}) provided")
    return bytes(codes)


def exposed(values: list[str]) -> list[str]:
    """--expose PORT[-PORT][/PROTO] → "90/tcp", "7000/udp", "7001/udp"."""
    out = []
    for value in values:
        ports, _, proto = value.partition("/")
        try:
            first, last = port_range(ports)
        except ValueError as err:
            raise Refused(f"invalid range format for --expose: {value}, error: {err}") from None
        out += [f"{port}/{proto or 'tcp'}" for port in range(first, last + 1)]
    return out


def port_range(text: str) -> tuple[int, int]:
    """ "80" or "8000-8010" → (first, last); ValueError in Go's words."""
    first, _, last = text.partition("-")
    for number in (first, last or first):
        if not number.isdigit():
            raise ValueError(f'strconv.ParseUint: parsing "{number}": invalid syntax')
        if int(number) > 65535:
            raise ValueError(f'strconv.ParseUint: parsing "{number}": value out of range')
    low, high = int(first), int(last or first)
    if high < low:
        raise ValueError(f"Invalid range specified for the Port: {text}")
    return low, high


def published(values: list[str]) -> list[Any]:
    """-p [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/PROTO] → PortBinding messages, a range
    one binding per port (host and container ranges of one length, or no host port)."""
    from dockyard.engine.v1 import engine_pb2 as pb

    bindings = []
    for value in values:
        spec, _, proto = value.partition("/")
        proto = proto or "tcp"
        if proto not in ("tcp", "udp"):
            raise Refused(f"invalid proto: {proto}" if proto != "sctp" else "sctp is not supported")
        host_ip, host, container = _split(spec)
        pairs = _pairs(host, container)
        bindings += [
            pb.PortBinding(container_port=f"{c}/{proto}", host_ip=host_ip, host_port=h)
            for h, c in pairs
        ]
    return bindings


def _split(spec: str) -> tuple[str, str, str]:
    """(ip, host ports, container ports) of an -p value without its protocol."""
    if spec.startswith("["):  # [::1]:80:80
        address, _, rest = spec[1:].partition("]")
        host, _, container = rest.lstrip(":").rpartition(":")
        return address, host, container
    parts = spec.split(":")
    if len(parts) > 3:
        address = ":".join(parts[:-2])
        raise Refused(
            f"Invalid ip address {address}: address {address}:: too many colons in address"
        )
    return ("", "", *parts)[-3:]  # type: ignore[return-value]


def _pairs(host: str, container: str) -> list[tuple[str, int]]:
    try:
        first, last = port_range(container)
    except ValueError:
        raise Refused(f"Invalid containerPort: {container}") from None
    if not host:
        return [("", port) for port in range(first, last + 1)]
    try:
        host_first, host_last = port_range(host)
    except ValueError:
        raise Refused(f"Invalid hostPort: {host}") from None
    if host_last - host_first != last - first:
        if last == first:
            raise Refused(f"a range of host ports for one container port is not supported: {host}")
        raise Refused(
            f"Invalid ranges specified for container and host Ports: {container} and {host}"
        )
    return [(str(host_first + i), first + i) for i in range(last - first + 1)]
