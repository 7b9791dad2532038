"""Container verbs: run, create, start, ps, logs, stop, kill, rm, restart, rename, wait."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path
from typing import Any

import typer
from dockyard.cli import cidfiles, healthflags, options, runflags
from dockyard.cli.engine import Stubs, call, error_line
from dockyard.cli.healthflags import (
    HEALTH_CMD,
    HEALTH_INTERVAL,
    HEALTH_RETRIES,
    HEALTH_START_PERIOD,
    HEALTH_TIMEOUT,
    NO_HEALTHCHECK,
)

AFTER_IMAGE = {"allow_interspersed_args": False}
PARALLEL = 50  # names worked on at once by stop, kill, rm, pause, unpause (docker's figure)

# Options shared by `run` and `create` (typer reads them from the defaults).
RM = typer.Option(False, "--rm", help="remove the container when it exits")
INTERACTIVE = typer.Option(False, "-i", "--interactive", help="keep stdin open")
TTY = typer.Option(False, "-t", "--tty", help="allocate a pseudo-terminal")
NAME = typer.Option("", "--name", help="the container's name")
ENV = typer.Option([], "-e", "--env", help="set environment variables")
ENV_FILE = typer.Option([], "--env-file", help="read environment variables from a file")
WORKDIR = typer.Option("", "-w", "--workdir", help="working directory inside the container")
USER = typer.Option("", "-u", "--user", help="user[:group] to run as")
HOSTNAME = typer.Option("", "-h", "--hostname", help="the container's host name")
DOMAINNAME = typer.Option("", "--domainname", help="the container's NIS domain name")
MAC_ADDRESS = typer.Option("", "--mac-address", help="the MAC address of eth0 (92:d0:c6:0a:29:33)")
USERNS = typer.Option("", "--userns", help="user namespace to use (host)")
ISOLATION = typer.Option("", "--isolation", help="isolation technology (default)")
STORAGE_OPT = typer.Option(
    [], "--storage-opt", help="storage driver options (none on overlay/ext4)"
)
GPUS = typer.Option([], "--gpus", help="GPU devices to add ('all': every GPU)")
VOLUME_DRIVER = typer.Option("", "--volume-driver", help="volume driver (local)")
CGROUP_PARENT = typer.Option("", "--cgroup-parent", help="optional parent cgroup for the container")
LINK = typer.Option([], "--link", help="add link to another container (NAME[:ALIAS])")
LINK_LOCAL_IP = typer.Option([], "--link-local-ip", help="container IPv4/IPv6 link-local addresses")
QUIET = typer.Option(False, "-q", "--quiet", help="no pull output")
ENTRYPOINT = typer.Option(None, "--entrypoint", help="override the image's entrypoint")
NETWORK = typer.Option(
    "", "--network", "--net", help="bridge | none | host | NETWORK | container:NAME"
)
PUBLISH = typer.Option([], "-p", "--publish", help="[ip:][hostPort:]containerPort[/udp]")
PUBLISH_ALL = typer.Option(False, "-P", "--publish-all", help="publish every exposed port")
NETWORK_ALIAS = typer.Option(
    [], "--network-alias", "--net-alias", help="more DNS names on the network"
)
IP = typer.Option("", "--ip", help="the container's IPv4 address on the network")
IP6 = typer.Option("", "--ip6", help="the container's IPv6 address (no network here has IPv6)")
DNS = typer.Option([], "--dns", help="nameservers instead of the host's")
DNS_SEARCH = typer.Option([], "--dns-search", help="DNS search domains")
DNS_OPTION = typer.Option([], "--dns-option", "--dns-opt", help="resolv.conf options")
ADD_HOST = typer.Option([], "--add-host", help="NAME:IP lines for /etc/hosts")
PLATFORM = typer.Option("", "--platform", help="os/arch[/variant] of the image to pull")
PULL = typer.Option(
    "missing", "--pull", help='pull the image before running ("always"|"missing"|"never")'
)
LABEL = typer.Option([], "-l", "--label", help="set metadata")
LABEL_FILE = typer.Option([], "--label-file", help="read labels from a file")
RESTART = typer.Option("", "--restart", help="no | on-failure[:N] | always | unless-stopped")
LOG_DRIVER = typer.Option("", "--log-driver", help="json-file | none")
LOG_OPT = typer.Option([], "--log-opt", help="log driver options (max-size, max-file)")
STOP_SIGNAL = typer.Option("", "--stop-signal", help="signal to stop the container")
STOP_TIMEOUT = typer.Option(None, "--stop-timeout", help="seconds to wait before killing")
RUNTIME = typer.Option("", "--runtime", help="OCI runtime (dockyard, runc, crun)")
MEMORY = typer.Option("", "-m", "--memory", help="memory limit (e.g. 256m)")
MEMORY_SWAP = typer.Option("", "--memory-swap", help="memory + swap limit (-1: unlimited swap)")
CPUS = typer.Option(0.0, "--cpus", help="number of CPUs")
CPU_SHARES = typer.Option(0, "-c", "--cpu-shares", help="relative CPU weight")
CPU_PERIOD = typer.Option(0, "--cpu-period", help="CFS period (microseconds)")
CPU_QUOTA = typer.Option(0, "--cpu-quota", help="CFS quota (microseconds)")
CPUSET = typer.Option("", "--cpuset-cpus", help="CPUs allowed (0-3, 0,1)")
PIDS_LIMIT = typer.Option(0, "--pids-limit", help="max processes (-1: unlimited)")
KERNEL_MEMORY = typer.Option("", "--kernel-memory", help="kernel memory limit (discarded)")
CPU_RT_PERIOD = typer.Option(0, "--cpu-rt-period", help="CPU real-time period (microseconds)")
CPU_RT_RUNTIME = typer.Option(0, "--cpu-rt-runtime", help="CPU real-time runtime (microseconds)")
BLKIO_WEIGHT = typer.Option(0, "--blkio-weight", help="block IO weight, 10 to 1000 (0: none)")
BLKIO_WEIGHT_DEVICE = typer.Option([], "--blkio-weight-device", help="a device's: PATH:WEIGHT")
READ_BPS = typer.Option([], "--device-read-bps", help="read rate from a device: PATH:RATE")
WRITE_BPS = typer.Option([], "--device-write-bps", help="write rate to a device: PATH:RATE")
READ_IOPS = typer.Option([], "--device-read-iops", help="reads per second: PATH:COUNT")
WRITE_IOPS = typer.Option([], "--device-write-iops", help="writes per second: PATH:COUNT")
CPUSET_MEMS = typer.Option("", "--cpuset-mems", help="memory nodes allowed (0-3, 0,1)")
MEMORY_RESERVATION = typer.Option("", "--memory-reservation", help="memory soft limit")
MEMORY_SWAPPINESS = typer.Option(-1, "--memory-swappiness", help="swappiness 0 to 100 (-1: host's)")
OOM_KILL_DISABLE = typer.Option(False, "--oom-kill-disable", help="disable the OOM killer")
OOM_SCORE_ADJ = typer.Option(0, "--oom-score-adj", help="the OOM killer's bias (-1000 to 1000)")
ULIMIT = typer.Option(
    [], "--ulimit", help="name=soft[:hard] (never above the engine's own hard limit)"
)
CAP_ADD = typer.Option([], "--cap-add", help="add Linux capabilities")
CAP_DROP = typer.Option([], "--cap-drop", help="drop Linux capabilities")
PRIVILEGED = typer.Option(False, "--privileged", help="every capability and device, no confinement")
SECURITY_OPT = typer.Option([], "--security-opt", help="no-new-privileges, seccomp=unconfined|FILE")
READ_ONLY = typer.Option(False, "--read-only", help="mount the root filesystem read-only")
TMPFS = typer.Option([], "--tmpfs", help="mount a tmpfs: PATH[:OPTIONS]")
VOLUME = typer.Option(
    [], "-v", "--volume", help="NAME:PATH, /host/path:PATH or PATH, [:ro|rw,z,nocopy,...]"
)
MOUNT = typer.Option([], "--mount", help="type=volume|bind|tmpfs,source=…,target=…[,readonly,…]")
VOLUMES_FROM = typer.Option([], "--volumes-from", help="the mounts of CONTAINER[:ro|rw]")
INIT = typer.Option(False, "--init", help="run a small reaper as pid 1")
SHM_SIZE = typer.Option("", "--shm-size", help="size of /dev/shm (64m by default)")
IPC = typer.Option("", "--ipc", help="private | shareable | host | none | container:NAME")
PID = typer.Option(
    "", "--pid", help="host | container:NAME (a pid namespace of its own by default)"
)
UTS = typer.Option("", "--uts", help="host (a host name of its own by default)")
CGROUPNS = typer.Option(
    "", "--cgroupns", help="host | private (a cgroup namespace of its own by default)"
)
SYSCTL = typer.Option([], "--sysctl", help="namespaced kernel parameters: KEY=VALUE")
DEVICE = typer.Option([], "--device", help="a host device: HOST[:CONTAINER][:rwm]")
DEVICE_CGROUP_RULE = typer.Option([], "--device-cgroup-rule", help="a device rule: c 1:3 rwm")
GROUP_ADD = typer.Option([], "--group-add", help="more groups to join (names or ids)")
CIDFILE = typer.Option("", "--cidfile", help="write the container ID to the file")
ATTACH = typer.Option([], "-a", "--attach", help="attach to STDIN, STDOUT or STDERR")
EXPOSE = typer.Option([], "--expose", help="expose a port or a range of ports")


def create_request(image: str, command: list[str] | None, **flags: Any) -> Any:
    from dockyard.cli import mountflags
    from dockyard.engine.v1 import engine_pb2 as pb

    binds, anonymous = mountflags.volumes(flags["volume"])
    streams = runflags.attach_streams(flags["attach"], bool(flags.get("detach")))
    bindings = runflags.published(flags["publish"])
    config = pb.ContainerConfig(
        image=image,
        hostname=flags["hostname"],
        domainname=flags["domainname"],
        mac_address=runflags.mac_address(flags["mac_address"]),
        user=flags["user"],
        tty=flags["tty"],
        open_stdin=flags["interactive"],
        stdin_once=flags["interactive"],
        attach_stdin="stdin" in streams if streams else flags["interactive"],
        attach_stdout="stdout" in streams if streams else not flags.get("detach"),
        attach_stderr="stderr" in streams if streams else not flags.get("detach"),
        exposed_ports=_exposed(flags["expose"], bindings),
        env=options.env(flags["env"], flags["env_file"]),
        working_dir=flags["workdir"],
        labels=options.labels(flags["label"], flags["label_file"]),
        stop_signal=flags["stop_signal"],
        volumes=anonymous,
    )
    if command:
        config.cmd.values.extend(command)
    if flags["entrypoint"] is not None:
        config.entrypoint.SetInParent()
        if flags["entrypoint"]:
            config.entrypoint.values.append(flags["entrypoint"])
    check = healthflags.healthcheck(flags)
    if check is not None:
        config.healthcheck.CopyFrom(check)
    if flags["stop_timeout"] is not None:
        config.stop_timeout = options.integer(
            flags["stop_timeout"], "--stop-timeout", options.INT32
        )
    policy, retries = options.restart_policy(flags["restart"])
    resources = options.resources(
        flags["memory"],
        flags["memory_swap"],
        flags["cpus"],
        flags["cpu_shares"],
        flags["cpu_period"],
        flags["cpu_quota"],
        flags["cpuset_cpus"],
        flags["pids_limit"],
        flags["ulimit"],
    )
    resources.oom_kill_disable = flags["oom_kill_disable"]
    resources.cpuset_mems = flags["cpuset_mems"]
    runflags.block_io(resources, flags)
    resources.oom_score_adj = options.integer(flags["oom_score_adj"], "--oom-score-adj")
    options.memory_extras(resources, flags["memory_reservation"], flags["memory_swappiness"])
    host = pb.HostConfig(
        resources=resources,
        cap_add=flags["cap_add"],
        cap_drop=flags["cap_drop"],
        privileged=flags["privileged"],
        security_opt=_security_opts(flags["security_opt"]),
        read_only=flags["read_only"],
        tmpfs=options.tmpfs(flags["tmpfs"]),
        binds=binds,
        mounts=[mountflags.mount(m) for m in flags["mount"]],
        volumes_from=flags["volumes_from"],
        network_mode=flags["network"],
        port_bindings=bindings,
        publish_all_ports=flags["publish_all"],
        dns=flags["dns"],
        dns_search=flags["dns_search"],
        dns_options=flags["dns_option"],
        extra_hosts=options.extra_hosts(flags["add_host"]),
        auto_remove=flags["rm"],
        runtime=flags["runtime"],
        log_config=pb.LogConfig(
            type=flags["log_driver"], config=options.key_values(flags["log_opt"], "log-opt")
        ),
        restart_policy=pb.RestartPolicy(name=policy, maximum_retry_count=retries),
    )
    if flags["init"]:
        host.init = True
    _namespaces_and_devices(host, flags)
    host.links.extend(runflags.links(flags["link"]))
    request = pb.CreateContainerRequest(name=flags["name"], config=config, host_config=host)
    mode = flags["network"] or "bridge"
    endpoint_links = runflags.endpoint_links(flags["network"], list(host.links))
    if flags["network_alias"] or flags["ip"] or flags["ip6"] or flags["link_local_ip"]:
        request.networks.add(
            network=mode,
            aliases=flags["network_alias"],
            ipv4_address=flags["ip"],
            ipv6_address=flags["ip6"],
            link_local_ips=flags["link_local_ip"],
            links=endpoint_links,
        )
    elif endpoint_links:
        request.networks.add(network=mode, links=endpoint_links)
    return request


def _exposed(expose: list[str], bindings: list[Any]) -> list[str]:
    """--expose's ports and the published ones, as docker's CLI puts both in ExposedPorts."""
    ports = runflags.exposed(expose) + [b.container_port for b in bindings]
    return sorted(set(ports), key=ports.index)


def _namespaces_and_devices(host: Any, flags: dict[str, Any]) -> None:
    """--shm-size, --ipc, --pid, --uts, --cgroupns, --sysctl, --device, --group-add,
    --cidfile."""
    from dockyard.engine.v1 import engine_pb2 as pb

    if flags["shm_size"]:
        host.shm_size = options.size(flags["shm_size"], "--shm-size", unlimited=False)
    host.ipc_mode = flags["ipc"]
    host.pid_mode = runflags.namespace_mode(flags["pid"], "pid")
    host.uts_mode = runflags.namespace_mode(flags["uts"], "uts")
    host.cgroupns_mode = runflags.cgroupns_mode(flags["cgroupns"])
    host.sysctls.update(runflags.sysctls(flags["sysctl"]))
    for value in flags["device"]:
        source, target, permissions = runflags.device(value)
        host.devices.append(
            pb.DeviceMapping(
                path_on_host=source, path_in_container=target, cgroup_permissions=permissions
            )
        )
    host.group_add.extend(flags["group_add"])
    host.device_cgroup_rules.extend(map(runflags.device_cgroup_rule, flags["device_cgroup_rule"]))
    host.userns_mode = runflags.userns_mode(flags["userns"])
    host.isolation = flags["isolation"]
    host.storage_opt.update(runflags.storage_opts(flags["storage_opt"]))
    host.volume_driver = flags["volume_driver"]
    host.cgroup_parent = flags["cgroup_parent"]
    host.device_requests.extend(runflags.gpus(value) for value in flags["gpus"])
    if flags["cidfile"]:
        host.container_id_file = cidfiles.claim(flags["cidfile"])


def _security_opts(values: list[str]) -> list[str]:
    """`seccomp=FILE` is sent as the file's JSON, as docker's CLI does."""
    out = []
    for value in values:
        key, sep, rest = value.partition("=")
        if key == "seccomp" and sep and rest != "unconfined" and not rest.lstrip().startswith("{"):
            try:
                rest = Path(rest).read_text()
            except OSError as err:
                from dockyard.cli.engine import die

                die(f"opening seccomp profile ({rest}) failed: {err.strerror or err}", 125)
        out.append(f"{key}{sep}{rest}")
    return out


def create(
    image: str = typer.Argument(..., metavar="IMAGE"),
    command: list[str] = typer.Argument(None, metavar="[COMMAND] [ARG...]"),
    rm: bool = RM,
    interactive: bool = INTERACTIVE,
    tty: bool = TTY,
    name: str = NAME,
    env: list[str] = ENV,
    env_file: list[Path] = ENV_FILE,
    workdir: str = WORKDIR,
    user: str = USER,
    hostname: str = HOSTNAME,
    domainname: str = DOMAINNAME,
    entrypoint: str = ENTRYPOINT,
    network: str = NETWORK,
    publish: list[str] = PUBLISH,
    publish_all: bool = PUBLISH_ALL,
    network_alias: list[str] = NETWORK_ALIAS,
    ip: str = IP,
    ip6: str = IP6,
    mac_address: str = MAC_ADDRESS,
    link: list[str] = LINK,
    link_local_ip: list[str] = LINK_LOCAL_IP,
    dns: list[str] = DNS,
    dns_search: list[str] = DNS_SEARCH,
    dns_option: list[str] = DNS_OPTION,
    add_host: list[str] = ADD_HOST,
    platform: str = PLATFORM,
    pull: str = PULL,
    label: list[str] = LABEL,
    label_file: list[Path] = LABEL_FILE,
    restart: str = RESTART,
    log_driver: str = LOG_DRIVER,
    log_opt: list[str] = LOG_OPT,
    stop_signal: str = STOP_SIGNAL,
    stop_timeout: int = STOP_TIMEOUT,
    health_cmd: str = HEALTH_CMD,
    health_interval: str = HEALTH_INTERVAL,
    health_timeout: str = HEALTH_TIMEOUT,
    health_retries: int = HEALTH_RETRIES,
    health_start_period: str = HEALTH_START_PERIOD,
    no_healthcheck: bool = NO_HEALTHCHECK,
    runtime: str = RUNTIME,
    memory: str = MEMORY,
    memory_swap: str = MEMORY_SWAP,
    cpus: float = CPUS,
    cpu_shares: int = CPU_SHARES,
    cpu_period: int = CPU_PERIOD,
    cpu_quota: int = CPU_QUOTA,
    cpuset_cpus: str = CPUSET,
    pids_limit: int = PIDS_LIMIT,
    cpuset_mems: str = CPUSET_MEMS,
    kernel_memory: str = KERNEL_MEMORY,
    cpu_rt_period: int = CPU_RT_PERIOD,
    cpu_rt_runtime: int = CPU_RT_RUNTIME,
    blkio_weight: int = BLKIO_WEIGHT,
    blkio_weight_device: list[str] = BLKIO_WEIGHT_DEVICE,
    device_read_bps: list[str] = READ_BPS,
    device_write_bps: list[str] = WRITE_BPS,
    device_read_iops: list[str] = READ_IOPS,
    device_write_iops: list[str] = WRITE_IOPS,
    memory_reservation: str = MEMORY_RESERVATION,
    memory_swappiness: int = MEMORY_SWAPPINESS,
    oom_kill_disable: bool = OOM_KILL_DISABLE,
    oom_score_adj: int = OOM_SCORE_ADJ,
    ulimit: list[str] = ULIMIT,
    cap_add: list[str] = CAP_ADD,
    cap_drop: list[str] = CAP_DROP,
    privileged: bool = PRIVILEGED,
    security_opt: list[str] = SECURITY_OPT,
    read_only: bool = READ_ONLY,
    tmpfs: list[str] = TMPFS,
    volume: list[str] = VOLUME,
    mount: list[str] = MOUNT,
    volumes_from: list[str] = VOLUMES_FROM,
    init: bool = INIT,
    shm_size: str = SHM_SIZE,
    ipc: str = IPC,
    pid: str = PID,
    uts: str = UTS,
    cgroupns: str = CGROUPNS,
    sysctl: list[str] = SYSCTL,
    device: list[str] = DEVICE,
    device_cgroup_rule: list[str] = DEVICE_CGROUP_RULE,
    group_add: list[str] = GROUP_ADD,
    cidfile: str = CIDFILE,
    attach: list[str] = ATTACH,
    expose: list[str] = EXPOSE,
    quiet: bool = QUIET,
    userns: str = USERNS,
    isolation: str = ISOLATION,
    storage_opt: list[str] = STORAGE_OPT,
    gpus: list[str] = GPUS,
    volume_driver: str = VOLUME_DRIVER,
    cgroup_parent: str = CGROUP_PARENT,
) -> None:
    """Create a container without starting it; print its ID."""
    flags = dict(locals())
    from dockyard.api.errors import NotFound
    from dockyard.cli.attach import pull_if_missing

    policy = runflags.pull_policy(flags.pop("pull"))
    quiet = flags.pop("quiet")
    request = create_request(**flags)

    from dockyard.cli.images import parse_platform

    async def work(stubs: Stubs) -> str:
        if policy == "missing" and not platform:  # docker's: create, and pull only if refused
            try:
                return created(await stubs.containers.Create(request))
            except NotFound as err:
                if not str(err).startswith("No such image"):
                    raise
        if policy != "never":
            await pull_if_missing(stubs, image, parse_platform(platform), policy == "always", quiet)
        return created(await stubs.containers.Create(request))

    with cidfile_for(request) as write:
        container_id = call("create", work)
        write(container_id)
    print(container_id)


DETACH = typer.Option(False, "-d", "--detach", help="run in the background, print the ID")
TIMINGS = typer.Option(False, "--timings", help="print where this run's time went (stderr)")
DETACH_KEYS = typer.Option("", "--detach-keys", help="keys that detach (ctrl-p,ctrl-q)")
SIG_PROXY = typer.Option(
    True, "--sig-proxy/--no-sig-proxy", help="pass received signals on to the container"
)


def created(reply: Any) -> str:
    """The new container's id, after the engine's warnings on stderr (docker's "WARNING: ")."""
    for warning in reply.warnings:
        sys.stderr.write(f"WARNING: {warning}\n")
    return str(reply.id)


def cidfile_for(request: Any) -> Any:
    """--cidfile: the file claimed (made empty) by create_request, written once the container
    is, and removed when none was made (docker's)."""
    return cidfiles.writer(request.host_config.container_id_file)


def run(**flags: Any) -> None:
    """Create and start a container, attached to its output (or detached with -d)."""
    from dockyard.cli import timings
    from dockyard.cli.attach import check_tty, run_stream
    from dockyard.cli.images import parse_platform

    if flags.pop("timings"):
        timings.enable()
    keys = runflags.detach_keys(flags.pop("detach_keys") or "ctrl-p,ctrl-q")
    if not flags["detach"]:
        check_tty(flags["interactive"], flags["tty"])
    policy = runflags.pull_policy(flags.pop("pull"))
    quiet, sig_proxy = flags.pop("quiet"), flags.pop("sig_proxy") and not flags["tty"]
    request = create_request(**flags)
    target = parse_platform(flags["platform"])
    detach, interactive, tty = flags["detach"], flags["interactive"], flags["tty"]
    with cidfile_for(request) as write:
        code = call(
            "run",
            lambda stubs: run_stream(
                stubs,
                request,
                detach,
                interactive,
                tty,
                target,
                keys,
                write,
                policy,
                quiet=quiet,
                sig_proxy=sig_proxy,
            ),
        )
    sys.exit(code)


def _run_signature() -> None:
    """`run` takes every option of `create` (declared once, there), -d and --timings."""
    parameters = list(inspect.signature(create).parameters.values())
    detach = inspect.Parameter("detach", inspect.Parameter.KEYWORD_ONLY, default=DETACH)
    timings = inspect.Parameter("timings", inspect.Parameter.KEYWORD_ONLY, default=TIMINGS)
    keys = inspect.Parameter("detach_keys", inspect.Parameter.KEYWORD_ONLY, default=DETACH_KEYS)
    proxy = inspect.Parameter("sig_proxy", inspect.Parameter.KEYWORD_ONLY, default=SIG_PROXY)
    run.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters[:2]]
        + [detach, timings, keys, proxy]
        + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters[2:]],
        return_annotation=None,
    )
    run.__annotations__ = {
        **create.__annotations__,
        "detach": "bool",
        "timings": "bool",
        "detach_keys": "str",
        "sig_proxy": "bool",
    }


_run_signature()


def start(
    containers: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    attach: bool = typer.Option(False, "-a", "--attach", help="attach to the output and wait"),
    interactive: bool = typer.Option(False, "-i", "--interactive", help="attach stdin"),
    detach_keys: str = typer.Option("", "--detach-keys", help="keys that detach (ctrl-p,ctrl-q)"),
) -> None:
    """Start stopped or created containers."""
    from dockyard.cli.attach import start_attached, start_interactive
    from dockyard.cli.engine import die
    from dockyard.cli.usage import Refused
    from dockyard.engine.v1 import engine_pb2 as pb

    if attach or interactive:  # the daemon's check of the attach's keys, in its words
        try:
            keys = runflags.detach_keys(detach_keys or "ctrl-p,ctrl-q")
        except Refused as err:
            die(f"Error response from daemon: {err}")
    if interactive:
        sys.exit(call("start", lambda stubs: start_interactive(stubs, containers[0], keys)))
    if attach:
        sys.exit(call("start", lambda stubs: start_attached(stubs, containers[0])))
    each(
        "start",
        containers,
        lambda stubs, c: stubs.containers.Start(pb.StartContainerRequest(id=c)),
        summary="failed to start containers: {names}",
    )


def each(
    verb: str,
    names: list[str],
    action: Any,
    echo: bool = True,
    missing_ok: bool = False,
    summary: str = "",
    parallel: bool = False,
) -> None:
    """Apply `action` to every name, printing each that worked and one line per failure; then,
    as docker, `summary` ("failed to start containers: {names}") naming those that failed.
    With `missing_ok` (rm -f), a name that is not there is said but is no failure. With
    `parallel` (stop, kill, rm, pause, unpause: docker's parallelOperation), up to `PARALLEL`
    names are worked on at once, and their lines still come in the order of the names."""
    from dockyard.api.errors import DockyardError, NotFound

    async def work(stubs: Stubs) -> list[str]:
        limit = asyncio.Semaphore(PARALLEL if parallel else 1)

        async def one(name: str) -> None:
            async with limit:
                await action(stubs, name)

        tasks = [asyncio.ensure_future(one(name)) for name in names]
        failed = []
        for name, task in zip(names, tasks, strict=True):
            try:
                await task
                if echo:
                    print(name, flush=True)
            except DockyardError as err:
                sys.stderr.write(error_line(err, verb, name) + "\n")
                if not (missing_ok and isinstance(err, NotFound)):
                    failed.append(name)
        return failed

    failed = call(verb, work)
    if failed and summary:
        sys.stderr.write("Error: " + summary.format(names=", ".join(failed)) + "\n")
    if failed:
        sys.exit(1)


def stop(
    containers: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    time: int = typer.Option(None, "-t", "--time", "--timeout", help="seconds before SIGKILL"),
    signal: str = typer.Option("", "-s", "--signal", help="signal to send (default: the image's)"),
) -> None:
    """Stop running containers (the stop signal, then SIGKILL after the timeout)."""
    from dockyard.engine.v1 import engine_pb2 as pb

    if time is not None:
        options.integer(time, "--time", options.INT32)

    def request(c: str) -> Any:
        return pb.StopContainerRequest(id=c, timeout=time, signal=signal)

    each(
        "stop",
        containers,
        lambda stubs, c: stubs.containers.Stop(request(c)),
        parallel=True,
    )


def restart(
    containers: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    time: int = typer.Option(None, "-t", "--time", "--timeout", help="seconds before SIGKILL"),
    signal: str = typer.Option("", "-s", "--signal", help="signal to send (default: the image's)"),
) -> None:
    """Restart containers."""
    from dockyard.engine.v1 import engine_pb2 as pb

    if time is not None:
        options.integer(time, "--time", options.INT32)

    def request(c: str) -> Any:
        return pb.StopContainerRequest(id=c, timeout=time, signal=signal)

    each("restart", containers, lambda stubs, c: stubs.containers.Restart(request(c)))


def kill(
    containers: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    signal: str = typer.Option("KILL", "-s", "--signal", help="signal to send"),
) -> None:
    """Send a signal (SIGKILL by default) to running containers."""
    from dockyard.engine.v1 import engine_pb2 as pb

    each(
        "kill",
        containers,
        lambda stubs, c: stubs.containers.Kill(pb.KillContainerRequest(id=c, signal=signal)),
        parallel=True,
    )


def rm(
    containers: list[str] = typer.Argument(..., metavar="CONTAINER..."),
    force: bool = typer.Option(False, "-f", "--force", help="kill a running container first"),
    volumes: bool = typer.Option(
        False, "-v", "--volumes", help="remove the container's anonymous volumes too"
    ),
    link: bool = typer.Option(False, "-l", "--link", help="remove the specified link"),
) -> None:
    """Remove containers."""
    from dockyard.engine.v1 import engine_pb2 as pb

    def request(c: str) -> Any:
        return pb.RemoveContainerRequest(id=c, force=force, volumes=volumes, link=link)

    each(
        "rm",
        containers,
        lambda stubs, c: stubs.containers.Remove(request(c)),
        missing_ok=force,
        parallel=True,
    )


def rename(container: str, new_name: str) -> None:
    """Rename a container."""
    from dockyard.engine.v1 import engine_pb2 as pb

    each(
        "rename",
        [container],
        lambda stubs, c: stubs.containers.Rename(pb.RenameContainerRequest(id=c, name=new_name)),
        echo=False,
        summary="failed to rename container named {names}",
    )


def wait(containers: list[str] = typer.Argument(..., metavar="CONTAINER...")) -> None:
    """Wait for containers to stop; print their exit codes."""
    from dockyard.engine.v1 import engine_pb2 as pb

    async def one(stubs: Stubs, c: str) -> None:
        reply = await stubs.containers.Wait(pb.WaitContainerRequest(id=c), timeout=None)
        print(reply.status_code, flush=True)

    each("wait", containers, one, echo=False)


def register(app: typer.Typer) -> None:
    from dockyard.cli import listing, logs

    app.command(context_settings=AFTER_IMAGE)(run)
    app.command(context_settings=AFTER_IMAGE)(create)
    for command in (start, stop, restart, kill, rm, rename, wait):
        app.command()(command)
    app.command("ps")(listing.ps)
    app.command("logs")(logs.logs)
    app.command("inspect")(listing.inspect)
    group = typer.Typer(help="Manage containers", no_args_is_help=True)
    group.command("ls")(listing.ps)
    group.command("list")(listing.ps)
    group.command("inspect")(listing.inspect_containers)
    group.command("logs")(logs.logs)
    group.command("run", context_settings=AFTER_IMAGE)(run)
    group.command("create", context_settings=AFTER_IMAGE)(create)
    for command in (start, stop, restart, kill, rm, rename, wait):
        group.command()(command)
    from dockyard.cli import archives, build, copying, networks, operations, prune

    group.command("prune")(prune.container_prune)
    for twin in (build.commit, build.diff, archives.export, networks.port):
        group.command()(twin)  # top-level verbs of their own too, as docker's
    operations.register(app, group)
    copying.register(app, group)
    app.add_typer(group, name="container")
