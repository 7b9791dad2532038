"""`build`'s flags beyond the Dockerfile's: what docker/cli v20.10's cli/command/image/build.go
takes with the classic builder (DOCKER_BUILDKIT=0), and what it does with each.

    the RUN steps' container    -m/--memory, --memory-swap, -c/--cpu-shares, --cpu-period,
                                --cpu-quota, --cpuset-cpus, --cpuset-mems, --ulimit,
                                --shm-size, --add-host, --security-opt, --isolation,
                                --cgroup-parent: a HostConfig the engine gives every RUN's
                                container (dockerd's hostConfigFromOptions), checked there
    the build                   --cache-from, --platform (default $DOCKER_DEFAULT_PLATFORM)
    refused by the CLI          --squash (needs dockerd's experimental mode, which no
                                Dockyard engine has: the CLI's words)
    the CLI's own               --compress (the context sent gzipped), --stream (a
                                deprecation notice on stderr, the context sent as ever)
    BuildKit's, no-ops here     --progress, --secret, --ssh, -o/--output: accepted and
                                ignored, as 20.10's CLI does without BuildKit
"""

from __future__ import annotations

import ipaddress
from typing import Any

import typer
from dockyard.cli import options
from dockyard.cli.usage import Conflict, FlagError

STREAM_DEPRECATED = """DEPRECATED: The experimental --stream flag has been removed and the build context
            will be sent non-streaming. Enable BuildKit instead with DOCKER_BUILDKIT=1
            to stream build context, see https://docs.docker.com/go/buildkit/

"""
"""What 20.10's CLI prints on stderr for --stream (runBuild), word for word."""
SQUASH_REFUSED = (
    '"--squash" is only supported on a Docker daemon with experimental features enabled'
)
"""cmd/docker/docker.go areFlagsSupported: a flag annotated "experimental", no such daemon."""

# The options' declarations, shared by `build` and `image build`/`builder build`.
ADD_HOST = typer.Option(
    [], "--add-host", help="add a host-to-IP line to RUN's /etc/hosts (host:ip)"
)
CACHE_FROM = typer.Option([], "--cache-from", help="images to consider as cache sources")
CGROUP_PARENT = typer.Option("", "--cgroup-parent", help="the parent cgroup of RUN's containers")
CPU_PERIOD = typer.Option(0, "--cpu-period", help="RUN's CPU CFS period (microseconds)")
CPU_QUOTA = typer.Option(0, "--cpu-quota", help="RUN's CPU CFS quota (microseconds)")
CPU_SHARES = typer.Option(0, "-c", "--cpu-shares", help="RUN's CPU shares (relative weight)")
CPUSET_CPUS = typer.Option("", "--cpuset-cpus", help="CPUs RUN may use (0-3, 0,1)")
CPUSET_MEMS = typer.Option("", "--cpuset-mems", help="memory nodes RUN may use (0-3, 0,1)")
MEMORY = typer.Option("", "-m", "--memory", help="RUN's memory limit")
MEMORY_SWAP = typer.Option("", "--memory-swap", help="RUN's memory plus swap (-1: unlimited swap)")
SHM_SIZE = typer.Option("", "--shm-size", help="the size of RUN's /dev/shm")
ULIMIT = typer.Option([], "--ulimit", help="RUN's ulimits: name=soft[:hard]")
SECURITY_OPT = typer.Option(
    [], "--security-opt", help="(refused: the engine takes none for a build, as dockerd on Linux)"
)
ISOLATION = typer.Option(
    "", "--isolation", help="isolation technology (default, the only one on Linux)"
)
PLATFORM = typer.Option(
    "", "--platform", envvar="DOCKER_DEFAULT_PLATFORM", hidden=True, show_envvar=False
)
SQUASH = typer.Option(False, "--squash", hidden=True)
COMPRESS = typer.Option(False, "--compress", help="send the context gzipped")
STREAM = typer.Option(False, "--stream", hidden=True)
PROGRESS = typer.Option("auto", "--progress", hidden=True)
SECRET = typer.Option([], "--secret", hidden=True)
SSH = typer.Option([], "--ssh", hidden=True)
OUTPUT = typer.Option([], "-o", "--output", hidden=True)


def host_config(flags: dict[str, Any]) -> Any:
    """The RUN steps' HostConfig from the flags, their values parsed as docker's CLI parses
    them (a bad one: its words, 125)."""
    from dockyard.engine.v1 import engine_pb2 as pb

    resources = pb.Resources(
        memory=options.size(flags["memory"], "-m, --memory", False) if flags["memory"] else 0,
        memory_swap=options.size(flags["memory_swap"], "--memory-swap")
        if flags["memory_swap"]
        else 0,
        cpu_shares=options.integer(flags["cpu_shares"], "-c, --cpu-shares"),
        cpu_period=options.integer(flags["cpu_period"], "--cpu-period"),
        cpu_quota=options.integer(flags["cpu_quota"], "--cpu-quota"),
        cpuset_cpus=flags["cpuset_cpus"],
        cpuset_mems=flags["cpuset_mems"],
    )
    for text in flags["ulimit"]:
        name, soft, hard = options.ulimit(text)
        resources.ulimits.add(name=name, soft=soft, hard=hard)
    shm = flags["shm_size"]
    return pb.HostConfig(
        resources=resources,
        extra_hosts=[extra_host(value) for value in flags["add_host"]],
        shm_size=options.size(shm, "--shm-size", False) if shm else 0,
        security_opt=slice_values(flags["security_opt"]),
        isolation=flags["isolation"],
        cgroup_parent=flags["cgroup_parent"],
    )


def extra_host(value: str) -> str:
    """docker/cli v20.10 opts.ValidateExtraHost: "name:ip", the address checked (or
    host-gateway)."""
    name, sep, address = value.partition(":")
    if not sep or not name:
        raise FlagError(f'invalid argument "{value}" for "--add-host" flag: ' + _bad_host(value))
    if address != "host-gateway":
        try:
            ipaddress.ip_address(address.strip())  # net.ParseIP: no [brackets] in 20.10
        except ValueError:
            raise FlagError(
                f'invalid argument "{value}" for "--add-host" flag: '
                f'invalid IP address in add-host: "{address}"'
            ) from None
    return value


def _bad_host(value: str) -> str:
    return f'bad format for add-host: "{value}"'


def slice_values(values: list[str]) -> list[str]:
    """A pflag StringSlice's values: each occurrence split at its commas."""
    return [part for value in values for part in value.split(",") if part]


def refuse_unsupported(squash: bool) -> None:
    if squash:
        raise Conflict(SQUASH_REFUSED)


def gzipped(prepared: Any) -> Any:
    """--compress: the context gzipped (docker/cli build.Compress), spooled to learn its size."""
    import gzip
    import shutil
    import tempfile
    from dataclasses import replace

    from dockyard.cli.buildcontext import SPOOL_BYTES

    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
    with gzip.GzipFile(fileobj=spool, mode="wb", mtime=0) as out:
        shutil.copyfileobj(prepared.stream, out)
    size = spool.tell()
    spool.seek(0)
    return replace(prepared, stream=spool, size=size)
