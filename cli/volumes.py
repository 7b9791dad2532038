"""`volume create|ls|inspect|rm|prune`, as docker's."""

from __future__ import annotations

import sys
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call, die, error_line

app = typer.Typer(help="Manage volumes", no_args_is_help=True)

LS_HEADERS = {"Driver": "DRIVER", "Name": "VOLUME NAME", "Mountpoint": "MOUNTPOINT"}


@app.command("create")
def create(
    name: str = typer.Argument("", metavar="[VOLUME]"),
    driver: str = typer.Option("local", "-d", "--driver", help="volume driver (local)"),
    label: list[str] = typer.Option([], "--label", help="set metadata"),
    opt: list[str] = typer.Option([], "-o", "--opt", help="driver options: type, device, o"),
    name_option: str = typer.Option("", "--name", help="the volume's name", hidden=True),
) -> None:
    """Create a volume; print its name."""
    from dockyard.cli import options
    from dockyard.volumes.v1 import volumes_pb2 as pb

    if name and name_option:  # docker's, even when they agree
        die("conflicting options: either specify --name or provide positional arg, not both")
    request = pb.CreateVolumeRequest(
        name=name or name_option,
        driver=driver,
        options=options.key_values(opt, "opt"),
        labels=options.key_values(label, "label"),
    )

    async def work(stubs: Stubs) -> str:
        return str((await stubs.volumes.Create(request)).name)

    print(call("volume create", work))


@app.command("ls")
def ls(
    quiet: bool = typer.Option(False, "-q", "--quiet", help="only names"),
    format: str = typer.Option("", "--format", help="a Go template, table or json"),
    filter: list[str] = typer.Option(
        [], "-f", "--filter", help="dangling=true|false, driver=…, label=…, name=…"
    ),
) -> None:
    """List volumes."""
    from dockyard.cli.listing import format_rows
    from dockyard.engine.v1 import engine_pb2 as pb

    async def work(stubs: Stubs) -> list[Any]:
        request = pb.ListVolumesRequest(filters=filter)
        return list((await stubs.volumes.List(request)).volumes)

    rows = [_row(v) for v in call("volume ls", work)]
    if quiet:
        print("".join(f"{r['Name']}\n" for r in rows), end="")
        return
    template = format or "table {{.Driver}}\t{{.Name}}"
    print(format_rows(rows, template, LS_HEADERS, "*formatter.volumeContext"), end="")


def _row(v: Any) -> dict[str, Any]:
    return {
        "Name": v.name,
        "Driver": v.driver,
        "Scope": "local",
        "Mountpoint": v.mountpoint,
        "Labels": ",".join(f"{k}={val}" for k, val in sorted(v.labels.items())),
        "Links": "N/A",
        "Size": "N/A",
    }


@app.command("inspect")
def inspect(
    volumes: list[str] = typer.Argument(..., metavar="VOLUME..."),
    format: str = typer.Option("", "-f", "--format", help="a Go template"),
) -> None:
    """Show volumes as docker's JSON."""
    from dockyard.api.errors import NotFound
    from dockyard.cli.listing import print_docs
    from dockyard.volumes.v1 import volumes_pb2 as pb

    async def work(stubs: Stubs) -> tuple[list[dict[str, Any]], int]:
        found, failures = [], 0
        for name in volumes:
            try:
                found.append(
                    volume_json(await stubs.volumes.Inspect(pb.GetVolumeRequest(name=name)))
                )
            except NotFound as err:
                sys.stderr.write(error_line(err) + "\n")
                failures += 1
        return found, failures

    docs, failures = call("volume inspect", work)
    print_docs(docs, format, failures)


def volume_json(v: Any) -> dict[str, Any]:
    """docker's volume JSON (docker volume inspect, GET /volumes/NAME)."""
    from dockyard.cli import render

    doc: dict[str, Any] = {
        "CreatedAt": render.rfc3339(v.created).split(".")[0].removesuffix("Z") + "Z",  # seconds
        "Driver": v.driver,
        "Labels": dict(v.labels) or None,
        "Mountpoint": v.mountpoint,
        "Name": v.name,
        "Options": dict(v.options) or None,
        "Scope": "local",
    }
    if v.HasField("usage"):
        doc["UsageData"] = {"Size": v.usage.size, "RefCount": v.usage.ref_count}
    return doc


@app.command("rm")
def rm(
    volumes: list[str] = typer.Argument(..., metavar="VOLUME..."),
    force: bool = typer.Option(False, "-f", "--force", help="no error for a missing volume"),
) -> None:
    """Remove volumes (not one a container uses)."""
    from dockyard.api.errors import DockyardError
    from dockyard.engine.v1 import engine_pb2 as pb

    async def work(stubs: Stubs) -> int:
        failures = 0
        for name in volumes:
            try:
                await stubs.volumes.Remove(pb.RemoveVolumeRequest(name=name, force=force))
                print(name, flush=True)
            except DockyardError as err:
                sys.stderr.write(error_line(err) + "\n")
                failures += 1
        return failures

    if call("volume rm", work):
        sys.exit(1)


@app.command("prune")
def prune(
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
    all: bool = typer.Option(False, "-a", "--all", help="named volumes too, not only anonymous"),
    filter: list[str] = typer.Option([], "--filter", help="label=…, label!=…"),
) -> None:
    """Remove the volumes no container uses (anonymous ones, or all with -a)."""
    what = "all local volumes" if all else "anonymous local volumes"
    if not force and not confirm(
        f"WARNING! This will remove {what} not used by at least one container."
    ):
        print("Total reclaimed space: 0B")  # as docker 20.10 prints it when declined
        return
    removed, reclaimed = call("volume prune", lambda stubs: prune_volumes(stubs, all, filter))
    if removed:
        print("Deleted Volumes:\n" + "".join(f"{name}\n" for name in removed))
    from dockyard.cli import render

    print(f"Total reclaimed space: {render.human_size(reclaimed, 4)}")  # units.HumanSize


async def prune_volumes(
    stubs: Stubs, everything: bool, filters: list[str]
) -> tuple[list[str], int]:
    from dockyard.engine.v1 import engine_pb2 as pb

    reply = await stubs.volumes.Prune(pb.PruneVolumesRequest(all=everything, filters=filters))
    return list(reply.removed), int(reply.space_reclaimed)


def confirm(warning: str) -> bool:
    """docker's prompt, answered on stdin (no answer, as at its end, is no)."""
    sys.stdout.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="volume")
