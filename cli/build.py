"""Build verbs: build, commit, diff (and `image build`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from dockyard.cli import buildflags
from dockyard.cli.engine import Stubs, call, die

CHUNK = 1 << 20


def build(
    context: str = typer.Argument(..., metavar="PATH | -"),
    tags: list[str] = typer.Option([], "-t", "--tag", help="name[:tag] for the image"),
    file: str = typer.Option("", "-f", "--file", help="the Dockerfile (default PATH/Dockerfile)"),
    build_arg: list[str] = typer.Option([], "--build-arg", help="set a build-time variable"),
    target: str = typer.Option("", "--target", help="the build stage to build"),
    no_cache: bool = typer.Option(False, "--no-cache", help="do not use the cache"),
    pull: bool = typer.Option(False, "--pull", help="always pull the base images"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="print only the image ID"),
    label: list[str] = typer.Option([], "--label", help="set metadata on the image"),
    iidfile: str = typer.Option("", "--iidfile", help="write the image ID to this file"),
    network: str = typer.Option("", "--network", help="RUN's network: default, none, host"),
    rm: bool = typer.Option(True, "--rm", help="(intermediate containers are always removed)"),
    force_rm: bool = typer.Option(False, "--force-rm", help="(always, as --rm)"),
    add_host: list[str] = buildflags.ADD_HOST,
    cache_from: list[str] = buildflags.CACHE_FROM,
    cgroup_parent: str = buildflags.CGROUP_PARENT,
    cpu_period: int = buildflags.CPU_PERIOD,
    cpu_quota: int = buildflags.CPU_QUOTA,
    cpu_shares: int = buildflags.CPU_SHARES,
    cpuset_cpus: str = buildflags.CPUSET_CPUS,
    cpuset_mems: str = buildflags.CPUSET_MEMS,
    memory: str = buildflags.MEMORY,
    memory_swap: str = buildflags.MEMORY_SWAP,
    shm_size: str = buildflags.SHM_SIZE,
    ulimit: list[str] = buildflags.ULIMIT,
    security_opt: list[str] = buildflags.SECURITY_OPT,
    isolation: str = buildflags.ISOLATION,
    platform: str = buildflags.PLATFORM,
    squash: bool = buildflags.SQUASH,
    compress: bool = buildflags.COMPRESS,
    stream: bool = buildflags.STREAM,
    progress: str = buildflags.PROGRESS,
    secret: list[str] = buildflags.SECRET,
    ssh: list[str] = buildflags.SSH,
    output: list[str] = buildflags.OUTPUT,
) -> None:
    """Build an image from a Dockerfile."""
    from dockyard.cli import buildcontext
    from dockyard.cli.render import human_size
    from dockyard.engine.v1 import engine_pb2 as pb

    flags = dict(locals())
    buildflags.refuse_unsupported(squash)
    host_config = buildflags.host_config(flags)
    if stream:
        sys.stderr.write(buildflags.STREAM_DEPRECATED)
    try:
        prepared = buildcontext.prepare(context, file)
    except buildcontext.ContextError as err:
        die(str(err))
    if compress:
        prepared = buildflags.gzipped(prepared)
    options = pb.BuildOptions(
        tags=tags,
        dockerfile=prepared.dockerfile,
        build_args=_build_args(build_arg),
        target=target,
        no_cache=no_cache,
        pull=pull,
        labels=_labels(label),
        network_mode=network,
        auths=_auths(),
        host_config=host_config,
        cache_from=buildflags.slice_values(cache_from),
        platform=platform,
    )
    if not quiet and context != "-":
        print(f"Sending build context to Dockyard daemon  {human_size(prepared.size)}", flush=True)

    image_id = _stream(options, prepared.stream, quiet)
    if quiet:
        print(image_id)
    if iidfile:
        _write_id(iidfile, image_id)


def _stream(options: Any, context: Any, quiet: bool) -> str:
    """Send the options and the context; show what the build prints; its image ID (a failed
    step: its message and exit code)."""
    from dockyard.engine.v1 import engine_pb2 as pb

    async def requests() -> Any:
        yield pb.BuildInput(options=options)
        while data := context.read(CHUNK):
            yield pb.BuildInput(context=data)

    async def work(stubs: Stubs) -> tuple[str, Any]:
        from dockyard.api.errors import ClientError

        image_id, error, started = "", None, False
        try:
            async for output in stubs.builds.Build(requests(), timeout=None):
                kind = output.WhichOneof("msg")
                started = started or kind in ("stream", "output")
                if kind in ("stream", "output") and not quiet:
                    _show(output, kind)
                elif kind == "image_id":
                    image_id = output.image_id
                elif kind == "error":
                    error = output.error
        except ClientError as err:
            if not started:
                raise  # before any step: dockerd's HTTP error, "Error response from daemon:"
            error = pb.BuildError(message=err.message, code=1)  # in its stream: the message
        return image_id, error

    image_id, error = call("build", work)
    if error is not None:
        where = f" (Dockerfile line {error.line})" if error.line else ""
        die(f"{error.message}{where}", error.code or 1)
    return image_id


def _show(output: Any, kind: str) -> None:
    if kind == "stream":
        sys.stdout.write(output.stream)
        sys.stdout.flush()
    else:
        sys.stdout.buffer.write(output.output)
        sys.stdout.buffer.flush()


def _build_args(values: list[str]) -> dict[str, str]:
    """--build-arg K=V; "K" alone takes K from our environment (left out when unset)."""
    found = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if sep:
            found[key] = rest
        elif key in os.environ:
            found[key] = os.environ[key]
    return found


def _auths() -> dict[str, Any]:
    """Every registry's credentials we know (as docker's CLI sends them with a build)."""
    from dockyard.cli import auth

    found = {server: auth.auth_for(server) for server in auth.known_servers()}
    return {server: creds for server, creds in found.items() if creds.ByteSize()}


def _labels(values: list[str]) -> dict[str, str]:
    return {key: rest for key, _, rest in (v.partition("=") for v in values)}


def _write_id(path: str, image_id: str) -> None:
    try:
        Path(path).write_text(image_id)
    except OSError as err:
        die(f"failed to write the image ID to {path}: {(err.strerror or str(err)).lower()}")


def commit(
    container: str = typer.Argument(..., metavar="CONTAINER"),
    reference: str = typer.Argument("", metavar="[REPOSITORY[:TAG]]"),
    author: str = typer.Option("", "-a", "--author", help='author ("Name <email>")'),
    change: list[str] = typer.Option([], "-c", "--change", help="apply a Dockerfile instruction"),
    message: str = typer.Option("", "-m", "--message", help="commit message"),
    pause: bool = typer.Option(True, "--pause/--no-pause", help="pause the container meanwhile"),
) -> None:
    """Create a new image from a container's changes."""
    from dockyard.engine.v1 import engine_pb2 as pb

    request = pb.CommitRequest(
        container=container,
        reference=reference,
        comment=message,
        author=author,
        changes=change,
        no_pause=not pause,
    )
    reply = call("commit", lambda stubs: stubs.builds.Commit(request, timeout=None))
    print(reply.id)


def diff(container: str = typer.Argument(..., metavar="CONTAINER")) -> None:
    """Inspect changes to files or directories on a container's filesystem."""
    from dockyard.engine.v1 import engine_pb2 as pb

    request = pb.ContainerRequest(id=container)
    reply = call("diff", lambda stubs: stubs.containers.Changes(request))
    for change in reply.changes:
        print(f"{change.kind} {change.path}")


HISTORY_HEADERS = {
    "ID": "IMAGE",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "CreatedBy": "CREATED BY",
    "Size": "SIZE",
    "Comment": "COMMENT",
}
HISTORY_DEFAULT = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
CREATED_BY_WIDTH = 45


def history(
    image: str = typer.Argument(..., metavar="IMAGE"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="only the IDs"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="do not truncate"),
    human: bool = typer.Option(
        True, "-H/--human=false", "--human", help="sizes and dates for humans"
    ),
    format: str = typer.Option("", "--format", help="a Go template, or table/json"),
) -> None:
    """Show the history of an image."""
    from dockyard.cli.listing import format_rows
    from dockyard.images.v1 import images_pb2

    request = images_pb2.GetImageRequest(ref=image)
    reply = call("history", lambda stubs: stubs.images.History(request))
    rows = [_history_row(entry, no_trunc, human) for entry in reply.entries]
    if quiet:
        for row in rows:
            print(row["ID"])
        return
    template = format or HISTORY_DEFAULT
    sys.stdout.write(format_rows(rows, template, HISTORY_HEADERS, "*image.historyContext"))


def _history_row(entry: Any, no_trunc: bool, human: bool) -> dict[str, Any]:
    from dockyard.cli import render
    from google.protobuf.timestamp_pb2 import Timestamp

    created_by = entry.created_by.replace("\t", " ").replace("\n", " ")
    if not no_trunc and len(created_by) > CREATED_BY_WIDTH:
        created_by = created_by[: CREATED_BY_WIDTH - 1] + "…"
    identifier = entry.id if no_trunc or entry.id == "<missing>" else render.short_id(entry.id)
    stamped = entry.HasField("created")
    return {
        "ID": identifier,
        "CreatedSince": (render.human_duration(render.since(entry.created)) + " ago")
        if stamped and human
        else (render.rfc3339(entry.created) if stamped else "N/A"),
        "CreatedAt": render.rfc3339(Timestamp(seconds=entry.created.seconds)) if stamped else "",
        "CreatedBy": created_by,
        "Size": render.human_size(entry.size) if human else str(entry.size),
        "Comment": entry.comment,
    }


PRUNE_WARNINGS = {  # docker/cli 20.10's builder prune asks on one line
    False: "WARNING! This will remove all dangling build cache. Are you sure you want to continue?",
    True: "WARNING! This will remove all build cache. Are you sure you want to continue?",
}


def builder_prune(
    all: bool = typer.Option(False, "-a", "--all", help="(the whole cache is pruned either way)"),
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
    filter: list[str] = typer.Option([], "--filter", help="until=DURATION (e.g. 24h), label=…"),
    keep_storage: str = typer.Option("", "--keep-storage", help="disk space to keep for cache"),
) -> None:
    """Remove the build cache."""
    from dockyard.cli import options
    from dockyard.cli.render import human_size
    from dockyard.engine.v1 import engine_pb2 as pb

    keep = options.size(keep_storage, "--keep-storage", unlimited=False) if keep_storage else 0
    reclaimed = 0
    if force or _confirmed(PRUNE_WARNINGS[all]):
        request = pb.PruneBuildCacheRequest(all=all, filters=filter, keep_storage=keep)
        reply = call("builder prune", lambda stubs: stubs.builds.Prune(request, timeout=None))
        reclaimed = reply.space_reclaimed
    print(f"Total reclaimed space: {human_size(reclaimed, 4)}")  # units.HumanSize


def _confirmed(question: str) -> bool:
    """docker's PromptForConfirmation: the question and [y/N] on one line; no answer is no."""
    sys.stdout.write(f"{question} [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().rstrip("\r\n").lower() == "y"


def register(app: typer.Typer) -> None:
    app.command()(build)
    app.command()(commit)
    app.command()(diff)
    app.command()(history)
    group = typer.Typer(help="Manage builds", no_args_is_help=True)
    group.command("build")(build)
    group.command("prune")(builder_prune)
    app.add_typer(group, name="builder")
