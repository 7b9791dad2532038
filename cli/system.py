"""`version`, `info` and `events`."""

from __future__ import annotations

import platform
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call, die


def version(format: str = typer.Option("", "-f", "--format", help="a Go template")) -> None:
    """Show the client's and the engine's versions."""
    from dockyard import __version__
    from google.protobuf import empty_pb2

    client = {
        "Version": __version__,
        "ApiVersion": "1.0",
        "PythonVersion": platform.python_version(),
        "Os": "linux",
        "Arch": _arch(),
    }

    async def work(stubs: Stubs) -> Any:
        return await stubs.system.Version(empty_pb2.Empty())

    reply = call("version", work)
    server = {
        "Version": reply.version,
        "ApiVersion": reply.api_version,
        "PythonVersion": reply.python_version,
        "Os": reply.os,
        "Arch": reply.arch,
        "KernelVersion": reply.kernel_version,
    }
    if format:
        _template(format, {"Client": client, "Server": server}, "system.versionInfo", "version")
        return
    print("Client:")
    for key in ("Version", "ApiVersion", "PythonVersion", "Os", "Arch"):
        print(f" {_label(key)}{client[key]}")
    print("\nServer: Dockyard Engine")
    print(" Engine:")
    for key in ("Version", "ApiVersion", "PythonVersion", "Os", "Arch", "KernelVersion"):
        print(f"  {_label(key, 17)}{server[key]}")


def _label(key: str, width: int = 18) -> str:
    names = {
        "ApiVersion": "API version:",
        "PythonVersion": "Python version:",
        "Os": "OS/Arch:",
        "KernelVersion": "Kernel Version:",
    }
    return names.get(key, f"{key}:").ljust(width)


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def info(format: str = typer.Option("", "-f", "--format", help="a Go template")) -> None:
    """Show system-wide information."""
    from google.protobuf import empty_pb2

    reply = call("info", lambda stubs: stubs.system.Info(empty_pb2.Empty()))
    doc = {
        "Containers": reply.containers,
        "ContainersRunning": reply.containers_running,
        "ContainersPaused": reply.containers_paused,
        "ContainersStopped": reply.containers_stopped,
        "Images": reply.images,
        "Driver": reply.driver,
        "CgroupDriver": reply.cgroup_driver,
        "CgroupVersion": reply.cgroup_version,
        "KernelVersion": reply.kernel_version,
        "OperatingSystem": reply.operating_system,
        "OSType": reply.os_type,
        "Architecture": reply.architecture,
        "NCPU": reply.ncpu,
        "MemTotal": reply.mem_total,
        "DockerRootDir": reply.root_dir,
        "Name": reply.name,
        "ServerVersion": reply.server_version,
        "Runtimes": list(reply.runtimes),
        "DefaultRuntime": reply.default_runtime,
        "InsecureRegistries": list(reply.insecure_registries),
        "SecurityOptions": list(reply.security_options),
        "Services": dict(reply.services),
    }
    if format:
        _template(format, doc, "")  # lenient: docker's info has many a key this one lacks
        return
    from dockyard.cli.render import human_size

    lines = [
        "Server:",
        f" Containers: {doc['Containers']}",
        f"  Running: {doc['ContainersRunning']}",
        f"  Paused: {doc['ContainersPaused']}",
        f"  Stopped: {doc['ContainersStopped']}",
        f" Images: {doc['Images']}",
        f" Server Version: {doc['ServerVersion']}",
        f" Storage Driver: {doc['Driver']}",
        " Logging Driver: json-file",
        f" Cgroup Driver: {doc['CgroupDriver']}",
        f" Cgroup Version: {doc['CgroupVersion']}",
        f" Runtimes: {' '.join(doc['Runtimes'])}",
        f" Default Runtime: {doc['DefaultRuntime']}",
        *_security_lines(doc["SecurityOptions"]),
        f" Kernel Version: {doc['KernelVersion']}",
        f" Operating System: {doc['OperatingSystem']}",
        f" OSType: {doc['OSType']}",
        f" Architecture: {doc['Architecture']}",
        f" CPUs: {doc['NCPU']}",
        f" Total Memory: {human_size(doc['MemTotal'])}",
        f" Name: {doc['Name']}",
        f" Dockyard Root Dir: {doc['DockerRootDir']}",
        f" State Dir: {reply.state_dir}",
        " Services:",
        *(f"  {name}: {state}" for name, state in sorted(doc["Services"].items())),
    ]
    if doc["InsecureRegistries"]:
        lines += [" Insecure Registries:", *(f"  {r}" for r in doc["InsecureRegistries"])]
    print("\n".join(lines))


def _security_lines(options: list[str]) -> list[str]:
    """docker's "Security Options:" block: each option's name, then its other key=values."""
    lines = [" Security Options:"] if options else []
    for option in options:
        fields = dict(part.partition("=")[::2] for part in option.split(","))
        lines.append(f"  {fields.pop('name', option)}")
        lines += [f"   {key.capitalize()}: {value}" for key, value in fields.items()]
    return lines


def events(
    since: str = typer.Option("", "--since", help="show events since this time"),
    until: str = typer.Option("", "--until", help="stream until this time"),
    filter: list[str] = typer.Option([], "-f", "--filter", help="key=value"),
    format: str = typer.Option("", "--format", help="a Go template, or json"),
) -> None:
    """Stream the engine's events."""
    from dockyard.cli.logs import parse_time
    from dockyard.engine.v1 import engine_pb2 as pb

    request = pb.EventsRequest(filters=filter)
    if since:
        request.since.FromNanoseconds(parse_time(since))
    if until:
        request.until.FromNanoseconds(parse_time(until))

    async def work(stubs: Stubs) -> None:
        async for event in stubs.system.Events(request, timeout=None):
            print(_event_line(event, format), flush=True)

    call("events", work)


def _event_line(event: Any, template: str) -> str:
    from datetime import datetime

    from dockyard.cli import gotemplate

    doc = {
        "Type": event.type,
        "Action": event.action,
        "Actor": {"ID": event.actor_id, "Attributes": dict(event.attributes)},
        "scope": event.scope,
        "time": event.time.seconds,
        "timeNano": event.time.seconds * 10**9 + event.time.nanos,
        "ID": event.actor_id,
        "Status": event.action,
        "From": event.attributes.get("image", ""),
    }
    if template == "json" or template == "{{json .}}":
        legacy = (
            {"status": doc["Status"], "id": doc["ID"], "from": doc["From"]}
            if event.type in ("container", "image")
            else {}
        )  # docker's JSON keeps its old lowercase fields first, for container and image events
        ordered = ("Type", "Action", "Actor", "scope", "time", "timeNano")
        return gotemplate.go_json({**legacy, **{k: doc[k] for k in ordered}})
    if template:
        try:
            return gotemplate.render(template, doc)
        except gotemplate.TemplateError as err:
            die(f"template parsing error: {err}")
    moment = datetime.fromtimestamp(event.time.seconds).astimezone()
    stamp = (
        moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{event.time.nanos:09d}" + moment.strftime("%z")
    )
    stamp = stamp[:-2] + ":" + stamp[-2:]
    attributes = ", ".join(f"{k}={v}" for k, v in sorted(event.attributes.items()))
    return f"{stamp} {event.type} {event.action} {event.actor_id} ({attributes})"


def _template(template: str, doc: dict[str, Any], type_name: str, name: str = "") -> None:
    """`doc` through `template` as docker's info (`name` "") and version ("version") run it:
    a field the Go type `type_name` lacks fails after an empty line, in Go's words (with no
    `type_name`, a missing field is "<no value>")."""
    from dockyard.cli import gotemplate

    data = gotemplate.Context(doc, type_name) if type_name else doc
    try:
        print(gotemplate.render(template, data))
    except gotemplate.TemplateError as err:
        print()
        text = str(err).replace("template: :", f"template: {name}:", 1)
        die(text.replace('executing ""', f'executing "{name}"', 1))


def register(app: typer.Typer) -> None:
    app.command()(version)
    app.command()(info)
    app.command()(events)
    from dockyard.cli import diskusage, prune

    group = typer.Typer(help="Manage the engine", no_args_is_help=True)
    group.command("info")(info)
    group.command("events")(events)
    group.command("df")(diskusage.df)
    group.command("prune")(prune.prune)
    app.add_typer(group, name="system")
