"""Image verbs: pull, push, images, image inspect/ls/rm/tag/import, tag, rmi, import."""

from __future__ import annotations

import sys
from typing import Any

import typer
from dockyard.cli.engine import Stubs, call, error_line

IMAGES_HEADERS = {
    "Repository": "REPOSITORY",
    "Tag": "TAG",
    "Digest": "DIGEST",
    "ID": "IMAGE ID",
    "CreatedSince": "CREATED",
    "CreatedAt": "CREATED AT",
    "Size": "SIZE",
}
IMAGES_DEFAULT = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"


KNOWN_OS = ("linux", "windows", "darwin", "freebsd")
KNOWN_ARCH = ("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "mips64le")


def parse_platform(text: str) -> Any:
    from dockyard.types.v1 import types_pb2

    if not text:
        return None
    parts = text.split("/")
    if len(parts) > 3 or not (parts[0] in KNOWN_OS or (len(parts) == 1 and parts[0] in KNOWN_ARCH)):
        from dockyard.cli.usage import Refused

        raise Refused(
            f'error parsing specified platform: "{text}": unknown operating system or '
            "architecture: invalid argument"
        )
    if len(parts) == 1 and parts[0] in KNOWN_ARCH:
        parts = ["linux", parts[0]]
    return types_pb2.Platform(
        os=parts[0],
        architecture=parts[1] if len(parts) > 1 else "",
        variant=parts[2] if len(parts) > 2 else "",
    )


def pull(
    image: str = typer.Argument(..., metavar="NAME[:TAG|@DIGEST]"),
    all_tags: bool = typer.Option(
        False, "-a", "--all-tags", help="download all tagged images in the repository"
    ),
    platform: str = typer.Option("", "--platform", help="os/arch[/variant]"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="print only the image name"),
) -> None:
    """Pull an image or a repository from a registry."""
    from dockyard.cli.auth import lookup
    from dockyard.cli.engine import die
    from dockyard.cli.progress import PullPrinter
    from dockyard.images.v1 import images_pb2

    name_only = ":" not in image.rsplit("/", 1)[-1] and "@" not in image
    if all_tags and not name_only:
        die("tag can't be used with --all-tags/-a")  # docker/cli's RunPull, before the daemon
    request = images_pb2.PullRequest(
        ref=image, platform=parse_platform(platform), auth=lookup(image), all_tags=all_tags
    )
    if name_only and not all_tags and not quiet:
        print("Using default tag: latest", flush=True)

    async def work(stubs: Stubs) -> str:
        printer = PullPrinter(sys.stdout)
        final = ""
        async for progress in stubs.images.Pull(request, timeout=None):
            if progress.HasField("image"):
                final = progress.status
            if not quiet:
                printer.show(progress)
        return final

    call("pull", work)
    print(_full_name(image, tagged=not all_tags))


def push(
    image: str = typer.Argument(..., metavar="NAME[:TAG]"),
    all_tags: bool = typer.Option(
        False, "-a", "--all-tags", help="push all tagged images in the repository"
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="print only the image name"),
) -> None:
    """Push an image or a repository to a registry."""
    from dockyard.cli.auth import lookup
    from dockyard.cli.engine import die
    from dockyard.cli.progress import PullPrinter
    from dockyard.images.v1 import images_pb2

    name_only = ":" not in image.rsplit("/", 1)[-1] and "@" not in image
    if all_tags and not name_only:
        die("tag can't be used with --all-tags/-a")  # docker/cli's RunPush
    if name_only and not all_tags and not quiet:
        print("Using default tag: latest", flush=True)

    async def work(stubs: Stubs) -> None:
        printer = PullPrinter(sys.stdout)
        refs = await _local_tags(stubs, image) if all_tags else [image]
        for ref in refs:  # moby's pushV2Repository: each tag in turn, in lexical order
            request = images_pb2.PushRequest(ref=ref, auth=lookup(image))
            async for progress in stubs.images.Push(request, timeout=None):
                said = progress.status.startswith("The push refers to repository")
                if not quiet and not (said and ref != refs[0]):  # said once for them all
                    printer.show(progress)

    call("push", work)
    if quiet:
        print(_full_name(image, tagged=not all_tags))


async def _local_tags(stubs: Stubs, repository: str) -> list[str]:
    """Every tag the repository has here (docker push -a), as full names; NotFound as
    dockerd's when none."""
    from dockyard.api.errors import NotFound
    from dockyard.cli.names import familiar
    from dockyard.images.v1 import images_pb2

    wanted = familiar(_full_name(repository, tagged=False))
    reply = await stubs.images.List(images_pb2.ListImagesRequest())
    tags = sorted(
        {t for i in reply.images for t in i.repo_tags if familiar(t).rpartition(":")[0] == wanted}
    )
    if not tags:
        raise NotFound(f"An image does not exist locally with the tag: {wanted}")
    return tags


def _full_name(name: str, tagged: bool = True) -> str:
    """docker prints the canonical name last: docker.io/library/busybox:latest (the repository
    alone, docker.io/library/busybox, when it is not `tagged`: pull -a)."""
    first = name.split("/", 1)[0]
    has_domain = "/" in name and ("." in first or ":" in first or first == "localhost")
    full = name if has_domain else ("docker.io/" + (name if "/" in name else f"library/{name}"))
    last = full.rsplit("/", 1)[-1]
    return full if ":" in last or "@" in full or not tagged else f"{full}:latest"


def images(
    repository: str = typer.Argument(None, metavar="[REPOSITORY[:TAG]]"),
    all: bool = typer.Option(False, "-a", "--all", help="intermediate images too"),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="only IDs"),
    digests: bool = typer.Option(False, "--digests", help="show digests"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="do not truncate"),
    filter: list[str] = typer.Option([], "-f", "--filter", help="key=value"),
    format: str = typer.Option("", "--format", help="a Go template, or table/json"),
) -> None:
    """List images."""
    from dockyard.cli.listing import format_rows
    from dockyard.images.v1 import images_pb2

    filters = list(filter) + ([f"reference={repository}"] if repository else [])

    async def work(stubs: Stubs) -> list[Any]:
        request = images_pb2.ListImagesRequest(filters=filters, all=all)
        return list((await stubs.images.List(request)).images)

    rows = [row for image in call("images", work) for row in image_rows(image, no_trunc)]
    if quiet:
        seen: list[str] = []
        for row in rows:
            if row["ID"] not in seen:
                seen.append(row["ID"])
                print(row["ID"])
        return
    template = format or (
        IMAGES_DEFAULT.replace("{{.Tag}}", "{{.Tag}}\t{{.Digest}}") if digests else IMAGES_DEFAULT
    )
    sys.stdout.write(format_rows(rows, template, IMAGES_HEADERS, "*formatter.imageContext"))


def image_rows(image: Any, no_trunc: bool) -> list[dict[str, Any]]:
    from dockyard.cli import render
    from dockyard.cli.names import repository_and_tag

    names = [repository_and_tag(t) for t in image.repo_tags] or [("<none>", "<none>")]
    digests = {
        repository_and_tag(d.split("@")[0] + ":x")[0]: d.split("@")[1] for d in image.repo_digests
    }
    return [
        {
            "Repository": repo,
            "Tag": tag,
            "Digest": digests.get(repo, "<none>"),
            "ID": image.id if no_trunc else render.short_id(image.id),
            "CreatedSince": render.human_duration(render.since(image.created)) + " ago",
            "CreatedAt": render.local_time(image.created),
            "Size": render.human_size(image.size),
            "VirtualSize": render.human_size(image.size, 4),  # docker's HumanSize
            "Containers": "N/A",  # docker's list does not count them either
            "SharedSize": "N/A",
            "UniqueSize": "N/A",
        }
        for repo, tag in names
    ]


def tag(source: str, target: str) -> None:
    """Give an image another name."""
    from dockyard.images.v1 import images_pb2

    call(
        "tag",
        lambda stubs: stubs.images.Tag(images_pb2.TagImageRequest(source=source, target=target)),
    )


def rmi(
    images: list[str] = typer.Argument(..., metavar="IMAGE..."),
    force: bool = typer.Option(False, "-f", "--force", help="remove even when in use"),
    no_prune: bool = typer.Option(False, "--no-prune", help="do not delete untagged parents"),
) -> None:
    """Remove images."""
    from dockyard.api.errors import DockyardError
    from dockyard.cli.names import familiar
    from dockyard.images.v1 import images_pb2

    async def work(stubs: Stubs) -> int:
        failures = 0
        for image in images:
            try:
                reply = await stubs.images.Remove(
                    images_pb2.RemoveImageRequest(ref=image, force=force, no_prune=no_prune)
                )
            except DockyardError as err:
                sys.stderr.write(error_line(err, "rmi", image) + "\n")
                failures += 1
                continue
            for name in reply.untagged:
                print(f"Untagged: {familiar(name)}")
            for deleted in reply.deleted:
                print(f"Deleted: {deleted}")
        return failures

    if call("rmi", work):
        sys.exit(1)


def image_inspect(
    names: list[str] = typer.Argument(..., metavar="IMAGE..."),
    format: str = typer.Option("", "-f", "--format", help="a Go template"),
) -> None:
    """Show low-level information about images."""
    from dockyard.cli.listing import show

    show(names, format, "image")


PRUNE_WARNINGS = {
    False: "WARNING! This will remove all dangling images.",
    True: "WARNING! This will remove all images without at least one container associated to them.",
}


def prune(
    all: bool = typer.Option(False, "-a", "--all", help="every unused image, not only dangling"),
    force: bool = typer.Option(False, "-f", "--force", help="do not ask"),
    filter: list[str] = typer.Option([], "--filter", help="until=…, label=…"),
) -> None:
    """Remove unused images."""
    from dockyard.cli.render import human_size
    from dockyard.images.v1 import images_pb2

    if not force and not _confirm(PRUNE_WARNINGS[all]):
        print("Total reclaimed space: 0B")  # as docker 20.10 prints it when declined
        return
    request = images_pb2.PruneImagesRequest(all=all, filters=filter)
    reply = call("image prune", lambda stubs: stubs.images.Prune(request))
    if reply.untagged or reply.deleted:
        from dockyard.cli.names import familiar

        lines = [f"untagged: {familiar(n)}" for n in reply.untagged] + [
            f"deleted: {d}" for d in reply.deleted
        ]
        print("Deleted Images:\n" + "\n".join(lines) + "\n")
    print(f"Total reclaimed space: {human_size(reply.space_reclaimed, 4)}")  # units.HumanSize


def _confirm(warning: str) -> bool:
    """docker's prompt: the warning, then a y/N answer read from stdin (none: no)."""
    sys.stdout.write(f"{warning}\nAre you sure you want to continue? [y/N] ")
    sys.stdout.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def register(app: typer.Typer) -> None:
    from dockyard.cli import archives
    from dockyard.cli.auth import login, logout
    from dockyard.cli.build import build, history

    app.command()(login)
    app.command()(logout)
    app.command()(pull)
    app.command()(push)
    app.command()(images)
    app.command()(tag)
    app.command()(rmi)
    group = typer.Typer(help="Manage images", no_args_is_help=True)
    group.command("ls")(images)
    group.command("list")(images)
    group.command("pull")(pull)
    group.command("push")(push)
    group.command("tag")(tag)
    group.command("rm")(rmi)
    group.command("inspect")(image_inspect)
    group.command("history")(history)
    group.command("prune")(prune)
    group.command("build")(build)
    archives.register(app, group)
    app.add_typer(group, name="image")
