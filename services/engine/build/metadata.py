"""The instructions that change only the image's config (ENV, LABEL, EXPOSE, VOLUME, WORKDIR,
USER, CMD, ENTRYPOINT, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER): each makes a new
config and a history entry marked `empty_layer` (its `created_by` docker's: `createdby.py`), as
docker records them. WORKDIR's directory is made by `configstep.py`.

Variables are expanded with the environment before the instruction (`ENV A=1 B=$A` gives B
the old A, as docker does); ENV wins over a build arg of the same name.
"""

from __future__ import annotations

import copy
import posixpath
import re
import signal
from collections.abc import Mapping
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build import createdby, shellwords
from dockyard.services.engine.build.imagestate import DEFAULT_SHELL, ImageState, StepResult, history
from dockyard.services.engine.build.instructions import (
    Arg,
    BuildLabel,
    Command,
    Healthcheck,
    Instruction,
    KeyValues,
    OnBuild,
    Shell,
    Value,
    Words,
)

DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}
HEALTH_KEYS = {
    "interval": "Interval",
    "timeout": "Timeout",
    "start-period": "StartPeriod",
    "start-interval": "StartInterval",
}


def apply(
    instruction: Instruction, state: ImageState, env: Mapping[str, str], escape: str
) -> StepResult:
    """The config `instruction` makes of `state`'s (see the module docstring)."""
    config = copy.deepcopy(state.config)
    author = None
    if isinstance(instruction, KeyValues):
        comment = _key_values(config, instruction, env, escape)
    elif isinstance(instruction, Words):
        comment = _words(config, instruction, env, escape)
    elif isinstance(instruction, Value):
        comment = _value(config, instruction, env, escape)
        if instruction.kind == "maintainer":
            author = comment.removeprefix("MAINTAINER ")
    elif isinstance(instruction, Command):
        comment = _command(config, instruction, state)
    elif isinstance(instruction, Shell):
        config["Shell"] = list(instruction.shell)
        comment = f"SHELL {createdby.go_words(instruction.shell)}"
    elif isinstance(instruction, Healthcheck):
        config["Healthcheck"] = _healthcheck(instruction)
        comment = f"HEALTHCHECK {createdby.go_healthcheck(config['Healthcheck'])}"
    elif isinstance(instruction, OnBuild):
        config["OnBuild"] = [*(config.get("OnBuild") or []), instruction.trigger]
        comment = f"ONBUILD {instruction.trigger}"
    else:
        raise InvalidArgument(f"{instruction.node.command.upper()} does not change the config")
    workdir = isinstance(instruction, Value) and instruction.kind == "workdir"
    created_by = (createdby.nop_string if workdir else createdby.nop)(config, comment)
    return StepResult(config, history(created_by, empty=True), None, author)


def build_label(instruction: BuildLabel, state: ImageState) -> StepResult:
    """A `build --label`'s step: the label set as given."""
    config = copy.deepcopy(state.config)
    config["Labels"] = {**(config.get("Labels") or {}), instruction.name: instruction.value}
    return StepResult(config, history(createdby.nop(config, instruction.text), empty=True))


def declared(
    instruction: Arg, state: ImageState, env: Mapping[str, str], escape: str
) -> StepResult:
    """An ARG's step: the config as it was (the values go to the stage's build args)."""
    names = [
        name if default is None else f"{name}={shellwords.word(default, env, escape)}"
        for name, default in instruction.pairs
    ]
    comment = "ARG " + " ".join(names)
    return StepResult(state.config, history(createdby.nop(state.config, comment), empty=True))


def expansion_env(state: ImageState, args: Mapping[str, str]) -> dict[str, str]:
    """The variables an instruction's words see: build args, then ENV over them."""
    return {**args, **state.env()}


def _key_values(
    config: dict[str, Any], instruction: KeyValues, env: Mapping[str, str], escape: str
) -> str:
    pairs = [
        (shellwords.word(k, env, escape), shellwords.word(v, env, escape))
        for k, v in instruction.pairs
    ]
    comment = " ".join([instruction.kind.upper(), *(f"{k}={v}" for k, v in pairs)])
    if instruction.kind == "label":
        config["Labels"] = {**(config.get("Labels") or {}), **dict(pairs)}
        return comment
    entries = list(config.get("Env") or [])
    for name, value in pairs:
        if not name:
            raise InvalidArgument("ENV names can not be blank")
        entry = f"{name}={value}"
        for index, existing in enumerate(entries):
            if existing.split("=", 1)[0] == name:
                entries[index] = entry
                break
        else:
            entries.append(entry)
    config["Env"] = entries
    return comment


def _words(config: dict[str, Any], instruction: Words, env: Mapping[str, str], escape: str) -> str:
    words = [w for raw in instruction.words for w in shellwords.words(raw, env, escape)]
    if instruction.kind == "volume":
        volumes = dict(config.get("Volumes") or {})
        for path in words:
            if not path:
                raise InvalidArgument("VOLUME specified can not be an empty string")
            volumes[path] = {}
        config["Volumes"] = volumes
        return f"VOLUME {createdby.go_words(words)}"
    ports = dict(config.get("ExposedPorts") or {})
    for word in words:
        for port in expose_ports(word):
            ports[port] = {}
    config["ExposedPorts"] = ports
    return " ".join(["EXPOSE", *words])


def expose_ports(word: str) -> list[str]:
    """ "80", "80/udp", "8000-8002" → "80/tcp", ... (a range made into its ports)."""
    text, _, protocol = word.partition("/")
    protocol = (protocol or "tcp").lower()
    start, dash, end = text.partition("-")
    if (
        protocol not in ("tcp", "udp", "sctp")
        or not start.isdigit()
        or (dash and not end.isdigit())
    ):
        raise InvalidArgument(f"invalid containerPort: {word}")
    first, last = int(start), int(end) if dash else int(start)
    if not 0 < first <= last < 65536:
        raise InvalidArgument(f"invalid port range: {word}")
    return [f"{port}/{protocol}" for port in range(first, last + 1)]


def _value(config: dict[str, Any], instruction: Value, env: Mapping[str, str], escape: str) -> str:
    """The comment; MAINTAINER's value is the image's author (`apply`)."""
    value = shellwords.word(instruction.value, env, escape)
    if instruction.kind == "workdir":
        value = posixpath.normpath(posixpath.join(config.get("WorkingDir") or "/", value))
        config["WorkingDir"] = value
    elif instruction.kind == "user":
        config["User"] = value
    elif instruction.kind == "stopsignal":
        check_signal(value)
        config["StopSignal"] = value
    return f"{instruction.kind.upper()} {value}"


def check_signal(text: str) -> None:
    name = text.upper()
    name = name if name.startswith("SIG") else f"SIG{name}"
    if text.isdigit() and 0 < int(text) < 65:
        return
    if name not in signal.Signals.__members__ and not re.fullmatch(
        r"SIGRTM(IN|AX)([+-]\d+)?", name
    ):
        raise InvalidArgument(f"Invalid signal: {text}")


def _command(config: dict[str, Any], instruction: Command, state: ImageState) -> str:
    if instruction.shell_form:
        shell = list(config.get("Shell") or DEFAULT_SHELL)
        command = [*shell, instruction.command[0]] if instruction.command else []
    else:
        command = list(instruction.command)
    comment = f"{instruction.kind.upper()} {createdby.go_list(command)}"
    if instruction.kind == "cmd":
        config["Cmd"] = command
        return comment
    config["Entrypoint"] = command
    if not state.cmd_set:
        config["Cmd"] = None  # a base image's CMD does not outlive a new ENTRYPOINT
    return comment


def _healthcheck(instruction: Healthcheck) -> dict[str, Any]:
    if instruction.test == ("NONE",):
        return {"Test": ["NONE"]}
    check: dict[str, Any] = {"Test": list(instruction.test)}
    for name, value in instruction.options:
        if name == "retries":
            if not value.isdigit() or int(value) < 1:
                raise InvalidArgument(f"--retries must be at least 1 (not {value})")
            check["Retries"] = int(value)
        else:
            check[HEALTH_KEYS[name]] = duration_ns(value, name)
    return check


def duration_ns(text: str, name: str) -> int:
    """A Go duration ("30s", "1m30s", "500ms") in nanoseconds."""
    if text == "0":
        return 0
    pos, total = 0, 0.0
    for match in DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * UNIT_NS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise InvalidArgument(f"invalid duration {text!r} for --{name}")
    return int(total)
