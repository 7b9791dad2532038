"""Verbs on running containers: exec, attach, pause, unpause, top, stats, update."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import typer
from dockyard.cli import containers as flags
from dockyard.cli import options, runflags
from dockyard.cli.attach import (
    check_tty,
    drain,
    proxy_signals,
    raw_mode,
    read_stdin,
    relay,
    terminal_size,
    watch_size,
)
from dockyard.cli.containers import each
from dockyard.cli.engine import Stubs, call, die

AFTER_CONTAINER = {"allow_interspersed_args": False}


def exec_(
    container: str = typer.Argument(..., metavar="CONTAINER"),
    command: list[str] = typer.Argument(..., metavar="COMMAND [ARG...]"),
    interactive: bool = typer.Option(False, "-i", "--interactive", help="keep stdin open"),
    tty: bool = typer.Option(False, "-t", "--tty", help="allocate a pseudo-terminal"),
    detach: bool = typer.Option(False, "-d", "--detach", help="run in the background"),
    env: list[str] = typer.Option([], "-e", "--env", help="set environment variables"),
    env_file: list[Path] = typer.Option([], "--env-file", help="read environment variables"),
    workdir: str = typer.Option("", "-w", "--workdir", help="working directory"),
    user: str = typer.Option("", "-u", "--user", help="user[:group]"),
    privileged: bool = typer.Option(False, "--privileged", help="every capability"),
    detach_keys: str = typer.Option("", "--detach-keys", help="keys that detach (ctrl-p,ctrl-q)"),
) -> None:
    """Run a command in a running container."""
    from dockyard.engine.v1 import engine_pb2 as pb

    exec_options = pb.ExecOptions(
        id=container,
        cmd=command,
        env=options.env(env, env_file),
        working_dir=workdir,
        user=user,
        tty=tty,
        stdin=interactive,
        detach=detach,
        privileged=privileged,
    )
    if tty:
        width, height = terminal_size()
        exec_options.size.CopyFrom(pb.Resize(width=width, height=height))
    if not detach:
        check_tty(interactive, tty)
    keys = runflags.detach_keys(detach_keys or "ctrl-p,ctrl-q")
    raw = tty and interactive and sys.stdin.isatty()

    async def work(stubs: Stubs) -> int:
        from dockyard.api.errors import CommandNotFound, CommandNotRunnable

        inputs: asyncio.Queue[Any] = asyncio.Queue()
        inputs.put_nowait(pb.ExecInput(options=exec_options))
        with raw_mode(raw):
            if interactive and not detach:
                read_stdin(inputs, raw, pb.ExecInput, keys)
            if raw:
                watch_size(inputs, pb.ExecInput)
            try:
                return await relay(stubs.containers.Exec(drain(inputs), timeout=None))
            except (CommandNotFound, CommandNotRunnable) as err:
                print(err, flush=True)  # on stdout, as docker's (it comes on the exec's stream)
                return 126

    sys.exit(call("exec", work))


def attach(
    container: str,
    no_stdin: bool = typer.Option(False, "--no-stdin", help="do not attach stdin"),
    detach_keys: str = typer.Option("", "--detach-keys", help="keys that detach (ctrl-p,ctrl-q)"),
    sig_proxy: bool = flags.SIG_PROXY,
) -> None:
    """Attach to a running container's output (and input); exit with its code.

    Without a terminal, SIGINT and SIGTERM go to the container (--sig-proxy, as docker's)."""
    from dockyard.engine.v1 import engine_pb2 as pb

    keys = runflags.detach_keys(detach_keys or "ctrl-p,ctrl-q")

    async def work(stubs: Stubs) -> int:
        info = await stubs.containers.Inspect(pb.InspectContainerRequest(id=container))
        stdin = info.config.open_stdin and not no_stdin
        raw = stdin and info.config.tty and sys.stdin.isatty()
        inputs: asyncio.Queue[Any] = asyncio.Queue()
        inputs.put_nowait(
            pb.AttachInput(
                options=pb.AttachOptions(id=container, stdin=stdin, stdout=True, stderr=True)
            )
        )
        if sig_proxy and not info.config.tty:
            proxy_signals(stubs, info.id)
        with raw_mode(raw):
            if stdin:
                read_stdin(inputs, raw, pb.AttachInput, keys)
            if raw:
                watch_size(inputs, pb.AttachInput)
            await relay(stubs.containers.Attach(drain(inputs), timeout=None))
        reply = await stubs.containers.Wait(pb.WaitContainerRequest(id=container), timeout=None)
        return int(reply.status_code)

    sys.exit(call("attach", work))


def pause(containers: list[str] = typer.Argument(..., metavar="CONTAINER...")) -> None:
    """Freeze every process of containers."""
    from dockyard.engine.v1 import engine_pb2 as pb

    each(
        "pause",
        containers,
        lambda stubs, c: stubs.containers.Pause(pb.ContainerRequest(id=c)),
        parallel=True,
    )


def unpause(containers: list[str] = typer.Argument(..., metavar="CONTAINER...")) -> None:
    """Thaw paused containers."""
    from dockyard.engine.v1 import engine_pb2 as pb

    each(
        "unpause",
        containers,
        lambda stubs, c: stubs.containers.Unpause(pb.ContainerRequest(id=c)),
        parallel=True,
    )


def top(container: str, ps_args: list[str] = typer.Argument(None, metavar="[ps OPTIONS]")) -> None:
    """Show the processes of a container (the host's ps)."""
    from dockyard.cli.render import table
    from dockyard.engine.v1 import engine_pb2 as pb

    reply = call(
        "top",
        lambda stubs: stubs.containers.Top(
            pb.TopRequest(id=container, ps_args=" ".join(ps_args or []))
        ),
    )
    sys.stdout.write(table([list(reply.titles), *[list(p.values) for p in reply.processes]]))


def stats(
    containers: list[str] = typer.Argument(None, metavar="[CONTAINER...]"),
    no_stream: bool = typer.Option(False, "--no-stream", help="one sample, then exit"),
    format: str = typer.Option("", "--format", help="a Go template, or table/json"),
    all: bool = typer.Option(False, "-a", "--all", help="stopped containers too"),
    no_trunc: bool = typer.Option(False, "--no-trunc", help="full IDs"),
) -> None:
    """Show containers' resource usage (all running ones by default)."""
    from dockyard.cli import statsview
    from dockyard.engine.v1 import engine_pb2 as pb

    async def work(stubs: Stubs) -> None:
        listing = pb.ListContainersRequest(all=all)
        names = containers or [c.id for c in (await stubs.containers.List(listing)).containers]
        await statsview.show(stubs, names, not no_stream, format, no_trunc)

    call("stats", work)


def update(
    ctx: typer.Context,
    containers: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    memory: str = typer.Option("", "-m", "--memory", help="memory limit (e.g. 256m)"),
    memory_swap: str = typer.Option("", "--memory-swap", help="memory + swap (-1: unlimited swap)"),
    cpus: float = typer.Option(0.0, "--cpus", help="number of CPUs"),
    cpu_shares: int = typer.Option(0, "-c", "--cpu-shares", help="relative CPU weight"),
    cpu_period: int = flags.CPU_PERIOD,
    cpu_quota: int = flags.CPU_QUOTA,
    cpuset_cpus: str = typer.Option("", "--cpuset-cpus", help="CPUs allowed (0-3, 0,1)"),
    pids_limit: int = typer.Option(0, "--pids-limit", help="max processes (-1: unlimited)"),
    memory_reservation: str = typer.Option("", "--memory-reservation", help="memory soft limit"),
    kernel_memory: str = flags.KERNEL_MEMORY,
    cpu_rt_period: int = flags.CPU_RT_PERIOD,
    cpu_rt_runtime: int = flags.CPU_RT_RUNTIME,
    cpuset_mems: str = typer.Option("", "--cpuset-mems", help="memory nodes allowed (0-3, 0,1)"),
    blkio_weight: int = typer.Option(0, "--blkio-weight", help="block IO weight, 10 to 1000"),
    blkio_weight_device: list[str] = flags.BLKIO_WEIGHT_DEVICE,
    device_read_bps: list[str] = flags.READ_BPS,
    device_write_bps: list[str] = flags.WRITE_BPS,
    device_read_iops: list[str] = flags.READ_IOPS,
    device_write_iops: list[str] = flags.WRITE_IOPS,
    restart: str = typer.Option("", "--restart", help="restart policy"),
) -> None:
    """Change resource limits (and the restart policy) of containers.

    As docker's: each container's name as it is updated, then the engine's warnings (a limit
    this host discards); the device weights and throttles are checked and sent, and the engine
    keeps them as dockerd 20.10 does: not at all."""
    from dockyard.engine.v1 import engine_pb2 as pb

    flags_given = [
        ctx.get_parameter_source(p.name or "")
        for p in ctx.command.params
        if p.param_type_name == "option"
    ]
    if not any(s is not None and s.name == "COMMANDLINE" for s in flags_given):
        die("you must provide one or more flags when using this command")
    resources = options.resources(
        memory, memory_swap, cpus, cpu_shares, cpu_period, cpu_quota, cpuset_cpus, pids_limit, []
    )
    options.memory_extras(resources, memory_reservation, -1)
    resources.cpuset_mems = cpuset_mems
    runflags.block_io(resources, locals())
    request = pb.UpdateContainerRequest(resources=resources)
    if restart:
        name, count = options.restart_policy(restart)
        request.restart_policy.CopyFrom(pb.RestartPolicy(name=name, maximum_retry_count=count))
    warnings: list[str] = []

    async def one(stubs: Stubs, c: str) -> None:
        message = pb.UpdateContainerRequest()
        message.CopyFrom(request)
        message.id = c
        warnings.extend((await stubs.containers.Update(message)).warnings)

    try:
        each("update", containers, one)
    finally:
        if warnings:
            print("\n".join(warnings))


def register(app: typer.Typer, group: typer.Typer) -> None:
    for target in (app, group):
        target.command("exec", context_settings=AFTER_CONTAINER)(exec_)
        for command in (attach, pause, unpause, stats, update):
            target.command()(command)
        target.command(context_settings=AFTER_CONTAINER)(top)
