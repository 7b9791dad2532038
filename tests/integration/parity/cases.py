"""The docker-vs-dockyard table: each case's command, and docker 20.10's output recorded from
a real dockerd 20.10.24 (Debian's docker.io) with `record.py`. See `table.py` for how a case
is compared; `test_parity.py` runs them against dockyard.
"""

from __future__ import annotations

from tests.integration.parity.table import Case, Out

SLEEPER = ("run", "-d", "--name", "p-sleeper", "busybox", "sleep", "600")

# -- issue 15 item 4: flag and usage errors, exit codes and texts --------------------------------

USAGE = [
    Case(
        "unknown-flag-run",
        ("run", "--bogus", "busybox"),
        docker=Out(125, stderr="unknown flag: --bogus\nSee 'docker run --help'.\n"),
    ),
    Case(
        "unknown-flag-ps",
        ("ps", "--bogus"),
        docker=Out(125, stderr="unknown flag: --bogus\nSee 'docker ps --help'.\n"),
    ),
    Case(
        "unknown-shorthand",
        ("ps", "-az"),
        docker=Out(125, stderr="unknown shorthand flag: 'z' in -z\nSee 'docker ps --help'.\n"),
    ),
    Case(
        "flag-needs-argument",
        ("run", "-d", "--name"),
        docker=Out(125, stderr="flag needs an argument: --name\nSee 'docker run --help'.\n"),
    ),
    Case(
        "flag-needs-argument-short",
        ("ps", "-n"),
        docker=Out(125, stderr="flag needs an argument: 'n' in -n\nSee 'docker ps --help'.\n"),
    ),
    Case(
        "flag-bad-int",
        ("ps", "-n", "abc"),
        docker=Out(
            125,
            stderr='invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax\nSee \'docker ps --help\'.\n',
        ),
    ),
    Case(
        "flag-bad-cpus",
        ("run", "--cpus", "abc", "busybox"),
        docker=Out(
            125,
            stderr='invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number\nSee \'docker run --help\'.\n',
        ),
    ),
    Case(
        "run-needs-an-image",
        ("run", "--rm"),
        docker=Out(
            1,
            stderr="\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun a command in a new container\n",
        ),
        lines=2,
    ),
    Case(
        "exec-needs-two",
        ("exec", "x"),
        docker=Out(
            1,
            stderr="\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nRun a command in a running container\n",
        ),
        lines=2,
    ),
    Case(
        "logs-takes-one",
        ("logs", "a", "b"),
        docker=Out(
            1,
            stderr="\"docker logs\" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n",
        ),
        lines=2,
    ),
    Case(
        "rename-takes-two",
        ("rename", "a"),
        docker=Out(
            1,
            stderr="\"docker rename\" requires exactly 2 arguments.\nSee 'docker rename --help'.\n\nUsage:  docker rename CONTAINER NEW_NAME\n\nRename a container\n",
        ),
        lines=2,
    ),
    Case(
        "unknown-command",
        ("frob",),
        docker=Out(1, stderr="docker: 'frob' is not a docker command.\nSee 'docker --help'\n"),
    ),
    Case(
        "unknown-subcommand",
        ("container", "frob"),
        docker=Out(
            1,
            stderr="\nUsage:  docker container COMMAND\n\nManage containers\n\nCommands:\n  attach      Attach local standard input, output, and error streams to a running container\n  commit      Create a new image from a container's changes\n  cp          Copy files/folders between a container and the local filesystem\n  create      Create a new container\n  diff        Inspect changes to files or directories on a container's filesystem\n  exec        Run a command in a running container\n  export      Export a container's filesystem as a tar archive\n  inspect     Display detailed information on one or more containers\n  kill        Kill one or more running containers\n  logs        Fetch the logs of a container\n  ls          List containers\n  pause       Pause all processes within one or more containers\n  port        List port mappings or a specific mapping for the container\n  prune       Remove all stopped containers\n  rename      Rename a container\n  restart     Restart one or more containers\n  rm          Remove one or more containers\n  run         Run a command in a new container\n  start       Start one or more stopped containers\n  stats       Display a live stream of container(s) resource usage statistics\n  stop        Stop one or more running containers\n  top         Display the running processes of a container\n  unpause     Unpause all processes within one or more containers\n  update      Update configuration of one or more containers\n  wait        Block until one or more containers stop, then print their exit codes\n\nRun 'docker container COMMAND --help' for more information on a command.\n",
        ),
        lines=2,
    ),
    Case(
        "run-it-without-a-tty",
        ("run", "-it", "busybox", "true"),
        docker=Out(1, stderr="the input device is not a TTY\n"),
        stdin="",
    ),
    Case(
        "exec-it-without-a-tty",
        ("exec", "-it", "p-sleeper", "true"),
        docker=Out(1, stderr="the input device is not a TTY\n"),
        setup=(SLEEPER,),
        stdin="",
    ),
]

MISSING = [
    Case(
        "rm-f-missing",
        ("rm", "-f", "nosuch"),
        docker=Out(0, stderr="Error: No such container: nosuch\n"),
    ),
    Case(
        "rm-missing", ("rm", "nosuch"), docker=Out(1, stderr="Error: No such container: nosuch\n")
    ),
    Case(
        "rm-f-some-missing",
        ("rm", "-f", "p-sleeper", "nosuch"),
        docker=Out(0, stdout="p-sleeper\n", stderr="Error: No such container: nosuch\n"),
        setup=(SLEEPER,),
    ),
    Case(
        "kill-missing",
        ("kill", "nosuch"),
        docker=Out(
            1,
            stderr="Error response from daemon: Cannot kill container: nosuch: No such container: nosuch\n",
        ),
    ),
    Case(
        "stop-missing",
        ("stop", "nosuch"),
        docker=Out(1, stderr="Error response from daemon: No such container: nosuch\n"),
    ),
    Case(
        "start-missing",
        ("start", "nosuch", "nosuch2"),
        docker=Out(
            1,
            stderr="Error response from daemon: No such container: nosuch\nError response from daemon: No such container: nosuch2\nError: failed to start containers: nosuch, nosuch2\n",
        ),
    ),
    Case(
        "rename-missing",
        ("rename", "nosuch", "other"),
        docker=Out(
            1,
            stderr="Error response from daemon: No such container: nosuch\nError: failed to rename container named nosuch\n",
        ),
    ),
    Case(
        "logs-missing",
        ("logs", "nosuch"),
        docker=Out(1, stderr="Error: No such container: nosuch\n"),
    ),
    Case(
        "exec-missing-container",
        ("exec", "nosuch", "true"),
        docker=Out(1, stderr="Error: No such container: nosuch\n"),
    ),
    Case(
        "inspect-missing",
        ("inspect", "nosuch"),
        docker=Out(1, stdout="[]\n", stderr="Error: No such object: nosuch\n"),
    ),
    Case(
        "container-inspect-missing",
        ("container", "inspect", "nosuch"),
        docker=Out(1, stdout="[]\n", stderr="Error: No such container: nosuch\n"),
    ),
    Case(
        "image-inspect-missing",
        ("image", "inspect", "nosuch"),
        docker=Out(1, stdout="[]\n", stderr="Error: No such image: nosuch\n"),
    ),
    Case("rmi-missing", ("rmi", "nosuch"), docker=Out(1, stderr="Error: No such image: nosuch\n")),
    Case(
        "network-rm-missing",
        ("network", "rm", "nosuch"),
        docker=Out(1, stderr="Error: No such network: nosuch\n"),
    ),
]

COMMANDS = [
    Case(
        "exec-missing-command",
        ("exec", "p-sleeper", "nosuch"),
        docker=Out(
            126,
            stdout='OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown\n',
        ),
        setup=(SLEEPER,),
    ),
    Case(
        "exec-not-executable",
        ("exec", "p-sleeper", "/etc/passwd"),
        docker=Out(
            126,
            stdout='OCI runtime exec failed: exec failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown\n',
        ),
        setup=(SLEEPER,),
    ),
    Case(
        "exec-no-such-path",
        ("exec", "p-sleeper", "/no/such"),
        docker=Out(
            126,
            stdout='OCI runtime exec failed: exec failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory: unknown\n',
        ),
        setup=(SLEEPER,),
    ),
    Case(
        "exec-no-such-user",
        ("exec", "-u", "nouser", "p-sleeper", "true"),
        docker=Out(126, stdout="unable to find user nouser: no matching entries in passwd file\n"),
        setup=(SLEEPER,),
    ),
    Case(
        "exec-exit-code",
        ("exec", "p-sleeper", "sh", "-c", "exit 3"),
        docker=Out(3),
        setup=(SLEEPER,),
    ),
    Case(
        "run-missing-command",
        ("run", "--rm", "busybox", "nosuch"),
        docker=Out(
            127,
            stderr='docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown.\n',
        ),
    ),
    Case(
        "run-not-executable",
        ("run", "--rm", "busybox", "/etc/passwd"),
        docker=Out(
            126,
            stderr='docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown.\n',
        ),
    ),
    Case("run-exit-code", ("run", "--rm", "busybox", "sh", "-c", "exit 7"), docker=Out(7)),
    Case(
        "run-bad-restart-policy",
        ("run", "--restart", "bogus", "busybox"),
        docker=Out(
            125,
            stderr="docker: Error response from daemon: invalid restart policy 'bogus'.\nSee 'docker run --help'.\n",
        ),
    ),
    Case(
        "create-no-command",
        ("create", "--name", "p-nocmd", "busybox"),
        docker=Out(1, stderr="Error response from daemon: No command specified\n"),
    ),
]

TWIN = ("create", "--name", "p-twin", "busybox", "true")
BAD = ("create", "--name", "p-bad", "busybox", "nosuch")
COMMANDS += [
    Case(
        "create-name-clash",
        TWIN,
        docker=Out(
            1,
            stderr='Error response from daemon: Conflict. The container name "/p-twin" is already in use by container "42c4469f98dc6e5c3cb55b883a1af56c9975cea48aee754928c93c268a3826da". You have to remove (or rename) that container to be able to reuse that name.\n',
        ),
        setup=(TWIN,),
    ),
    Case(
        "run-name-clash",
        ("run", "--name", "p-twin", "busybox", "true"),
        docker=Out(
            125,
            stderr='docker: Error response from daemon: Conflict. The container name "/p-twin" is already in use by container "41a208319cd0158de744d82e5a0cd560a54afd261d8c73bce74a2d1a2ebfc48c". You have to remove (or rename) that container to be able to reuse that name.\nSee \'docker run --help\'.\n',
        ),
        setup=(TWIN,),
    ),
    Case(
        "start-missing-command",
        ("start", "p-bad"),
        docker=Out(
            1,
            stderr='Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown\nError: failed to start containers: p-bad\n',
        ),
        setup=(BAD,),
    ),
]

TEMPLATES = [
    Case("ps-template-unknown-field", ("ps", "--format", "{{.Nope}}"), docker=Out(1, stderr='failed to execute template: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n')),
    Case("ps-template-position", ("ps", "-a", "--format", "{{.Names}}:{{.Nope}}"), docker=Out(1, stderr='failed to execute template: template: :1:13: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext\n')),
    Case("images-template-unknown-field", ("images", "--format", "x{{.Nope}}"), docker=Out(1, stderr='template parsing error: template: :1:3: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext\n')),
    Case("network-ls-template-unknown-field", ("network", "ls", "--format", "{{.Nope}}"), docker=Out(1, stderr='template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *network.networkContext\n')),
    Case("inspect-template-unknown-key", ("inspect", "-f", "{{.Config.Nope}}", "busybox"), docker=Out(1, stdout='\n', stderr='template parsing error: template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"\n')),
    Case("inspect-template-missing-label", ("inspect", "-f", "{{.Config.Labels.x}}", "busybox"), docker=Out(0, stdout='<no value>\n')),
    Case(
        "inspect-template-no-health",
        ("inspect", "-f", "{{.State.Health.Status}}", "p-sleeper"),
        docker=Out(1, stdout='\n', stderr='template parsing error: template: :1:8: executing "" at <.State.Health.Status>: map has no entry for key "Health"\n'),
        setup=(SLEEPER,),
    ),
]  # fmt: skip

MORE_TEXTS = [
    Case("port-not-published", ("port", "p-sleeper", "80"), docker=Out(1, stderr="Error: No public port '80/tcp' published for p-sleeper\n"), setup=(SLEEPER,)),
    Case("logs-bad-since", ("logs", "--since", "soonish", "p-sleeper"), docker=Out(1, stderr='invalid value for "since": failed to parse value as time or duration: "soonish"\n'), setup=(SLEEPER,)),
    Case("logs-bad-until", ("logs", "--until", "soonish", "p-sleeper"), docker=Out(1, stderr='invalid value for "until": failed to parse value as time or duration: "soonish"\n'), setup=(SLEEPER,)),
    Case("logs-bad-tail-is-all", ("logs", "--tail", "bogus", "p-said"), docker=Out(0, stdout='said\n'), setup=(("run", "--name", "p-said", "busybox", "echo", "said"),)),
    Case("events-bad-since", ("events", "--since", "soonish"), docker=Out(1, stderr='failed to parse value as time or duration: "soonish"\n')),
    Case("events-bad-until", ("events", "--until", "soonish"), docker=Out(1, stderr='failed to parse value as time or duration: "soonish"\n')),
    Case("kill-bad-signal", ("kill", "-s", "BOGUS", "p-sleeper"), docker=Out(1, stderr='Error response from daemon: Invalid signal: BOGUS\n'), setup=(SLEEPER,)),
    Case("version-template-unknown-field", ("version", "--format", "{{.Nope}}"), docker=Out(1, stdout='\n', stderr='template: version:1:2: executing "version" at <.Nope>: can\'t evaluate field Nope in type system.versionInfo\n')),
    Case("system-df-template-unknown-field", ("system", "df", "--format", "{{.Nope}}"), docker=Out(1, stderr='template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.diskUsageImagesContext\n')),
    Case("run-env-file-missing", ("run", "--rm", "--env-file", "/no/such/file", "busybox", "true"), docker=Out(125, stderr="docker: open /no/such/file: no such file or directory.\nSee 'docker run --help'.\n")),
    Case("network-create-predefined", ("network", "create", "bridge"), docker=Out(1, stderr='Error response from daemon: operation is not permitted on predefined bridge network\n')),
    Case("network-create-predefined-none", ("network", "create", "none"), docker=Out(1, stderr='Error response from daemon: operation is not permitted on predefined none network\n')),
]  # fmt: skip

# -- issue 15 item 5: rm -f against a restart policy ---------------------------------------------

REMOVAL = [
    Case(
        "rm-f-a-restarting-container",
        ("rm", "-f", "p-bouncer"),
        docker=Out(0, stdout="p-bouncer\n"),
        setup=(("run", "-d", "--name", "p-bouncer", "--restart", "always", "busybox", "true"),),
    ),
]

# -- issue 15 item 3: run's flags -------------------------------------------------------------

DONOR = ("run", "-d", "--name", "p-donor", "busybox", "sleep", "600")
SHM = ("sh", "-c", "df -k /dev/shm | tail -1")
RUN_FLAGS = [
    Case("shm-default", ("run", "--rm", "busybox", *SHM), docker=Out(0, stdout='shm                      65536         0     65536   0% /dev/shm\n')),
    Case("shm-size", ("run", "--rm", "--shm-size", "1m", "busybox", *SHM), docker=Out(0, stdout='shm                       1024         0      1024   0% /dev/shm\n')),
    Case("shm-size-bad", ("run", "--rm", "--shm-size", "bogus", "busybox", "true"), docker=Out(125, stderr='invalid argument "bogus" for "--shm-size" flag: invalid size: \'bogus\'\nSee \'docker run --help\'.\n')),
    Case("sysctl", ("run", "--rm", "--sysctl", "kernel.shmmax=1000000", "busybox", "cat", "/proc/sys/kernel/shmmax"), docker=Out(0, stdout='1000000\n')),
    Case("sysctl-not-namespaced", ("run", "--rm", "--sysctl", "kernel.foo=1", "busybox", "true"), docker=Out(125, stderr='invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl \'kernel.foo=1\' is not whitelisted\nSee \'docker run --help\'.\n')),
    Case("ipc-not-shareable", ("run", "--rm", "--ipc", "container:p-donor", "busybox", "true"), docker=Out(125, stderr="docker: Error response from daemon: can't join IPC of container fea4ea03999997a9306e6ae3c6f0a12bcf14b19c929d3b88fdf51a01457981de: non-shareable IPC (hint: use IpcMode:shareable for the donor container).\n"), setup=(DONOR,)),
    Case("ipc-bogus", ("run", "--rm", "--ipc", "bogus", "busybox", "true"), docker=Out(125, stderr='docker: Error response from daemon: Invalid IPC mode: bogus.\ntime="2026-12-02T01:27:16Z" level=error msg="error waiting for container: context canceled"\n'), lines=1),
    Case("pid-bogus", ("run", "--rm", "--pid", "bogus", "busybox", "true"), docker=Out(125, stderr="docker: --pid: invalid PID mode.\nSee 'docker run --help'.\n")),
    Case("uts-bogus", ("run", "--rm", "--uts", "bogus", "busybox", "true"), docker=Out(125, stderr="docker: --uts: invalid UTS mode.\nSee 'docker run --help'.\n")),
    Case("uts-host", ("run", "--rm", "--uts", "host", "busybox", "hostname"), docker=Out(0, stdout='vm\n')),
    Case("uts-host-and-hostname", ("run", "--rm", "--uts", "host", "-h", "x", "busybox", "true"), docker=Out(125, stderr="docker: Error response from daemon: conflicting options: hostname and the UTS mode.\nSee 'docker run --help'.\n")),
    Case("device", ("run", "--rm", "--device", "/dev/null:/dev/xnull", "busybox", "stat", "-c", "%t:%T %a %F", "/dev/xnull"), docker=Out(0, stdout='1:3 666 character special file\n')),
    Case("device-bad-mode", ("create", "--device", "/dev/null:/x:rq", "busybox"), docker=Out(125, stderr="docker: bad mode specified: rq.\nSee 'docker create --help'.\n")),
    Case("device-missing", ("run", "--rm", "--device", "/dev/nosuch", "busybox", "true"), docker=Out(127, stderr='docker: Error response from daemon: error gathering device information while adding custom device "/dev/nosuch": no such file or directory.\n'), lines=1),
    Case("group-add", ("run", "--rm", "--group-add", "10", "--group-add", "daemon", "busybox", "id"), docker=Out(0, stdout='uid=0(root) gid=0(root) groups=0(root),1(daemon),10(wheel)\n')),
    Case("group-add-missing", ("run", "--rm", "--group-add", "nosuchgroup", "busybox", "true"), docker=Out(125, stderr='docker: Error response from daemon: Unable to find group nosuchgroup: no matching entries in group file.\n')),
    Case("attach-stdout", ("run", "--rm", "-a", "stdout", "busybox", "sh", "-c", "echo out; echo err >&2"), docker=Out(0, stdout='out\n')),
    Case("attach-stderr", ("run", "--rm", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2"), docker=Out(0, stderr='err\n')),
    Case("attach-bogus", ("run", "--rm", "-a", "bogus", "busybox", "true"), docker=Out(125, stderr='invalid argument "bogus" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR\nSee \'docker run --help\'.\n')),
    Case("attach-and-detach", ("run", "-d", "-a", "stdout", "busybox", "true"), docker=Out(1, stderr='Conflicting options: -a and -d\n')),
    Case("expose-out-of-range", ("run", "--rm", "--expose", "70000", "busybox", "true"), docker=Out(125, stderr='docker: invalid range format for --expose: 70000, error: strconv.ParseUint: parsing "70000": value out of range.\nSee \'docker run --help\'.\n')),
    Case("expose-backwards", ("run", "--rm", "--expose", "90-80", "busybox", "true"), docker=Out(125, stderr="docker: invalid range format for --expose: 90-80, error: Invalid range specified for the Port: 90-80.\nSee 'docker run --help'.\n")),
    Case(
        "expose-ranges-in-ps",
        ("ps", "--format", "{{.Ports}}", "-f", "name=p-exposed"),
        docker=Out(0, stdout='90/tcp, 7000-7001/udp\n'),
        setup=(("run", "-d", "--name", "p-exposed", "--expose", "90", "--expose", "7000-7001/udp", "busybox", "sleep", "600"),),
    ),
    Case(
        "published-ranges",
        ("port", "p-published"),
        docker=Out(0, stdout='53/udp -> 127.0.0.1:18092\n80/tcp -> 127.0.0.1:18090\n81/tcp -> 127.0.0.1:18091\n'),
        setup=(("run", "-d", "--name", "p-published", "-p", "127.0.0.1:18090-18091:80-81", "-p", "127.0.0.1:18092:53/udp", "busybox", "sleep", "600"),),
    ),
    Case(
        "published-ranges-in-ps",
        ("ps", "--format", "{{.Ports}}", "-f", "name=p-published"),
        docker=Out(0, stdout='127.0.0.1:18092->53/udp, 127.0.0.1:18090->80/tcp, 127.0.0.1:18091->81/tcp\n'),
        setup=(("run", "-d", "--name", "p-published", "-p", "127.0.0.1:18090-18091:80-81", "-p", "127.0.0.1:18092:53/udp", "busybox", "sleep", "600"),),
    ),
    Case("publish-uneven-ranges", ("run", "--rm", "-p", "18090-18092:80-81", "busybox", "true"), docker=Out(125, stderr="docker: Invalid ranges specified for container and host Ports: 80-81 and 18090-18092.\nSee 'docker run --help'.\n")),
    Case("publish-bad-port", ("run", "--rm", "-p", "abc", "busybox", "true"), docker=Out(125, stderr="docker: Invalid containerPort: abc.\nSee 'docker run --help'.\n")),
    Case("publish-too-many-colons", ("run", "--rm", "-p", "1:2:3:4", "busybox", "true"), docker=Out(125, stderr="docker: Invalid ip address 1:2: address 1:2:: too many colons in address.\nSee 'docker run --help'.\n")),
    Case("platform-bogus", ("run", "--rm", "--platform", "bogus", "busybox", "true"), docker=Out(125, stderr='docker: error parsing specified platform: "bogus": unknown operating system or architecture: invalid argument.\nSee \'docker run --help\'.\n')),
    Case("workdir-made", ("run", "--rm", "-w", "/new/dir", "busybox", "pwd"), docker=Out(0, stdout='/new/dir\n')),
    Case("workdir-a-file", ("run", "--rm", "-w", "/etc/passwd", "busybox", "pwd"), docker=Out(125, stderr="docker: Error response from daemon: Cannot mkdir: /etc/passwd is not a directory.\nSee 'docker run --help'.\n"), lines=1),
    Case("workdir-relative", ("run", "--rm", "-w", "rel", "busybox", "pwd"), docker=Out(125, stderr="docker: Error response from daemon: the working directory 'rel' is invalid, it needs to be an absolute path.\nSee 'docker run --help'.\n")),
]  # fmt: skip

# -- issue 15 item 2: cleanup verbs (each case's own labels keep it to what it made) ---------

OLD = ("create", "--name", "p-old", "--label", "p=1", "busybox", "true")
KEEP = ("create", "--name", "p-keep", "busybox", "true")
NET = ("network", "create", "--label", "p=1", "p-net")
PRUNE = [
    Case("container-prune-label", ("container", "prune", "-f", "--filter", "label=p=1"), docker=Out(0, stdout='Deleted Containers:\nc4fe1965638a7939d714fd32a6f22edbdfb665e1064d723e36504051179aed06\n\nTotal reclaimed space: 0B\n'), setup=(OLD, KEEP)),
    Case("container-prune-label-not", ("container", "prune", "-f", "--filter", "label!=p"), docker=Out(0, stdout='Deleted Containers:\n690e99114a1d0646fe609f7b39376567a89df987c4d88d140335f7b5356bfff2\n\nTotal reclaimed space: 0B\n'), setup=(OLD, KEEP)),
    Case("container-prune-until", ("container", "prune", "-f", "--filter", "until=1h", "--filter", "label=p=1"), docker=Out(0, stdout='Total reclaimed space: 0B\n'), setup=(OLD,)),
    Case("container-prune-reclaims-what-they-wrote", ("container", "prune", "-f", "--filter", "label=p=2"), docker=Out(0, stdout='Deleted Containers:\n897b1b603177e582dcce8d5538c3da8c92b7cb3ee8aea03739f974519e008766\n\nTotal reclaimed space: 1.049MB\n'), setup=(("run", "--name", "p-writer", "--label", "p=2", "busybox", "sh", "-c", "head -c 1048576 /dev/zero > /big"),)),
    Case("container-prune-bad-filter", ("container", "prune", "-f", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("container-prune-bad-until", ("container", "prune", "-f", "--filter", "until=soon"), docker=Out(1, stderr='Error response from daemon: failed to parse value as time or duration: "soon"\n')),
    Case("container-prune-declined", ("container", "prune"), docker=Out(0, stdout='WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n'), setup=(OLD,), stdin=""),
    Case("network-prune-label", ("network", "prune", "-f", "--filter", "label=p=1"), docker=Out(0, stdout='Deleted Networks:\np-net\n\n'), setup=(NET,), networks=("p-net",)),
    Case("network-prune-until", ("network", "prune", "-f", "--filter", "until=1h", "--filter", "label=p=1"), docker=Out(0), setup=(NET,), networks=("p-net",)),
    Case("network-prune-bad-filter", ("network", "prune", "-f", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("network-prune-declined", ("network", "prune"), docker=Out(0, stdout='WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '), setup=(NET,), stdin="", networks=("p-net",)),
    Case("system-prune-label", ("system", "prune", "-f", "--filter", "label=p=1"), docker=Out(0, stdout='Deleted Containers:\n186d2029c8650f187fc6d9dae1063b610742c1df3525f8c29208d0116407c9a1\n\nDeleted Networks:\np-net\n\nTotal reclaimed space: 0B\n'), setup=(OLD, KEEP, NET), networks=("p-net",)),
    Case("system-prune-bad-filter", ("system", "prune", "-f", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("system-prune-declined", ("system", "prune", "-a", "--filter", "label=p=1"), docker=Out(0, stdout='WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all images without at least one container associated to them\n  - all build cache\n\n  Items to be pruned will be filtered with:\n  - label=p=1\n\nAre you sure you want to continue? [y/N] '), stdin=""),
    Case("image-prune-bad-filter", ("image", "prune", "-f", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("image-prune-bad-until", ("image", "prune", "-f", "--filter", "until=soon"), docker=Out(1, stderr='Error response from daemon: failed to parse value as time or duration: "soon"\n')),
    Case("image-prune-declined", ("image", "prune", "-a"), docker=Out(0, stdout='WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n'), stdin=""),
]  # fmt: skip

# -- issue 15 item 6: listing filters, stats ---------------------------------------------------

A, B, C = (("create", "--name", f"p-{n}", "busybox", "true") for n in "abc")
ON_NET = ("run", "-d", "--name", "p-onnet", "--network", "p-net", "busybox", "sleep", "600")
PORTS = (
    "run",
    "-d",
    "--name",
    "p-ports",
    "-p",
    "127.0.0.1:18290:80",
    "--expose",
    "90",
    "busybox",
    "sleep",
    "600",
)
NAMES = ("--format", "{{.Names}}")
LABELLED = (
    "run",
    "-d",
    "--name",
    "p-labelled",
    "--label",
    "p=1",
    "--label",
    "com.example.my-key=v",
    "busybox",
    "sleep",
    "600",
)
LISTING = [
    Case("ps-filter-network", ("ps", "--filter", "network=p-net", *NAMES), docker=Out(0, stdout='p-onnet\n'), setup=(NET, ON_NET), networks=("p-net",)),
    Case("ps-filter-publish", ("ps", "--filter", "publish=18290", *NAMES), docker=Out(0, stdout='p-ports\n'), setup=(PORTS,)),
    Case("ps-filter-publish-range", ("ps", "--filter", "publish=18000-19000/tcp", "--filter", "expose=80", *NAMES), docker=Out(0, stdout='p-ports\n'), setup=(PORTS,)),
    Case("ps-filter-publish-other-protocol", ("ps", "--filter", "publish=18290/udp", *NAMES), docker=Out(0), setup=(PORTS,)),
    Case("ps-filter-expose", ("ps", "--filter", "expose=85-95", *NAMES), docker=Out(0, stdout='p-ports\n'), setup=(PORTS,)),
    Case("ps-filter-expose-bad", ("ps", "--filter", "expose=abc"), docker=Out(1, stderr='Error response from daemon: error while looking up for expose abc: strconv.ParseUint: parsing "abc": invalid syntax\n')),
    Case("ps-filter-publish-backwards", ("ps", "--filter", "publish=90-80"), docker=Out(1, stderr='Error response from daemon: error while looking up for publish 90-80: Invalid range specified for the Port: 90-80\n')),
    Case("ps-filter-before-since", ("ps", "-a", "--filter", "since=p-a", "--filter", "before=p-c", *NAMES), docker=Out(0, stdout='p-b\n'), setup=(A, B, C)),
    Case("ps-filter-before-missing", ("ps", "--filter", "before=nosuch"), docker=Out(1, stderr='Error response from daemon: no such container nosuch\n')),
    Case("ps-filter-unknown", ("ps", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("ps-filter-bad-status", ("ps", "--filter", "status=bogus"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'status=bogus'\n")),
    Case("network-ls-label", ("network", "ls", "--filter", "label=p=1", "--format", "{{.Name}} {{.Driver}}"), docker=Out(0, stdout='p-net bridge\n'), setup=(NET,), networks=("p-net",)),
    Case("network-ls-labels-and", ("network", "ls", "--filter", "label=p=1", "--filter", "label=q", "--format", "{{.Name}}"), docker=Out(0), setup=(NET,), networks=("p-net",)),
    Case("network-ls-names-or", ("network", "ls", "--filter", "name=p-net", "--filter", "name=host", "--format", "{{.Name}}"), docker=Out(0, stdout='host\np-net\n'), setup=(NET,), networks=("p-net",)),
    Case("network-ls-builtin", ("network", "ls", "--filter", "type=builtin", "--format", "{{.Name}}"), docker=Out(0, stdout='bridge\nhost\nnone\n')),
    Case("network-ls-custom", ("network", "ls", "--filter", "type=custom", "--filter", "label=p", "--format", "{{.Name}}"), docker=Out(0, stdout='p-net\n'), setup=(NET,), networks=("p-net",)),
    Case("network-ls-bad-type", ("network", "ls", "--filter", "type=bogus"), docker=Out(1, stderr="Error response from daemon: invalid filter: 'type'='bogus'\n")),
    Case("network-ls-unknown-filter", ("network", "ls", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("ps-label", ("ps", "--format", '{{.Names}} {{.Label "p"}}|{{.Label "nosuch"}}'), docker=Out(0, stdout='p-labelled 1|\n'), setup=(LABELLED,)),
    Case("ps-label-table", ("ps", "--format", 'table {{.Names}}\t{{.Label "com.example.my-key"}}'), docker=Out(0, stdout='NAMES        my key\np-labelled   v\n'), setup=(LABELLED,)),
    Case("ps-label-table-empty", ("ps", "--format", 'table {{.Names}}\t{{.Label "com.example.my_key"}}'), docker=Out(0, stdout='NAMES     my key\n')),
    Case("ps-label-without-argument", ("ps", "--format", "{{.Label}}"), docker=Out(1, stderr='failed to execute template: template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0\n')),
    Case("ps-label-not-a-string", ("ps", "--format", "{{.Label 1}}"), docker=Out(1, stderr='failed to execute template: template: :1:9: executing "" at <1>: expected string; found 1\n')),
    Case("stats-stopped", ("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.PIDs}}", "p-a"), docker=Out(0, stdout='p-a 0.00% 0B / 0B 0B / 0B 0\n'), setup=(A,)),
    Case("stats-all", ("stats", "--no-stream", "-a", "--format", "{{.Name}} {{.PIDs}}"), docker=Out(0, stdout='p-a 0\n'), setup=(A,)),
    Case("stats-no-trunc", ("stats", "--no-stream", "--no-trunc", "--format", "{{.ID}} {{.Container}} {{.Name}}", "p-sleeper"), docker=Out(0, stdout='d22d7a87071b568cefbce39048df0dcfcbbba24f80933fbb725df5e739be953c p-sleeper p-sleeper\n'), setup=(SLEEPER,)),
    Case("stats-template-unknown-field", ("stats", "--no-stream", "--format", "{{.Nope}}", "p-sleeper"), docker=Out(1, stderr='template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *container.statsContext\n'), setup=(SLEEPER,)),
]  # fmt: skip

TAGGED = ("tag", "busybox", "p-other:1")
COMMITTED = (("create", "--name", "p-base", "busybox", "true"), ("commit", "p-base", "p-newer:1"))
REPO_TAG = ("--format", "{{.Repository}}:{{.Tag}}")
# the images these cases made, and nothing other tests of the session left in its engine (docker
# ORs reference filters; its recorded output had these two images only, so it reads the same)
OURS = ("--filter", "reference=p-newer", "--filter", "reference=busybox")
IMAGES = [
    Case("images-repository", ("images", "busybox", *REPO_TAG), docker=Out(0, stdout='busybox:latest\n'), setup=(TAGGED,), images=("p-other:1",)),
    Case("images-repository-tag", ("images", "p-other:1", *REPO_TAG), docker=Out(0, stdout='p-other:1\n'), setup=(TAGGED,), images=("p-other:1",)),
    Case("images-references-or", ("images", "--filter", "reference=p-other", "--filter", "reference=busybox", *REPO_TAG), docker=Out(0, stdout='busybox:latest\np-other:1\n'), setup=(TAGGED,), images=("p-other:1",)),
    Case("images-since", ("images", "--filter", "since=busybox", *OURS, *REPO_TAG), docker=Out(0, stdout='p-newer:1\n'), setup=COMMITTED, images=("p-newer:1",)),
    Case("images-before", ("images", "--filter", "before=p-newer:1", *OURS, *REPO_TAG), docker=Out(0, stdout='busybox:latest\n'), setup=COMMITTED, images=("p-newer:1",)),
    Case("images-newest-first", ("images", *OURS, *REPO_TAG), docker=Out(0, stdout='p-newer:1\nbusybox:latest\n'), setup=COMMITTED, images=("p-newer:1",)),
    Case("images-before-missing", ("images", "--filter", "before=nosuch"), docker=Out(1, stderr='Error response from daemon: No such image: nosuch:latest\n')),
    Case("images-label", ("images", "--filter", "label=nosuch", *REPO_TAG), docker=Out(0)),
    Case("images-bad-dangling", ("images", "--filter", "dangling=maybe"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'dangling=[maybe]'\n")),
    Case("images-unknown-filter", ("images", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
    Case("volume-ls-bad-dangling", ("volume", "ls", "--filter", "dangling=maybe"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'dangling=[maybe]'\n")),
    Case("volume-ls-unknown-filter", ("volume", "ls", "--filter", "colour=red"), docker=Out(1, stderr="Error response from daemon: Invalid filter 'colour'\n")),
]  # fmt: skip

# -- issue 15 item 1: healthchecks (states that do not depend on timing) ----------------------

WAITING = (
    "run",
    "-d",
    "--name",
    "p-waiting",
    "--health-cmd",
    "true",
    "--health-interval",
    "1h",
    "--health-start-period",
    "1h",
    "busybox",
    "sleep",
    "600",
)
HEALTH = [
    Case("health-starting-filter", ("ps", "--filter", "health=starting", *NAMES), docker=Out(0, stdout='p-waiting\n'), setup=(WAITING,)),
    Case("health-starting-inspect", ("inspect", "-f", "{{.State.Health.Status}} {{.State.Health.FailingStreak}} {{len .State.Health.Log}} {{json .Config.Healthcheck}}", "p-waiting"), docker=Out(0, stdout='starting 0 0 {"Test":["CMD-SHELL","true"],"Interval":3600000000000,"StartPeriod":3600000000000}\n'), setup=(WAITING,)),
    Case("health-none-filter", ("ps", "--filter", "health=none", *NAMES), docker=Out(0, stdout='p-sleeper\n'), setup=(SLEEPER,)),
    Case("health-bad-filter", ("ps", "--filter", "health=bogus"), docker=Out(1, stderr='Error response from daemon: Unrecognised filter value for health: bogus\n')),
    Case("health-bad-interval", ("run", "--rm", "--health-interval", "bogus", "busybox", "true"), docker=Out(125, stderr='invalid argument "bogus" for "--health-interval" flag: time: invalid duration "bogus"\nSee \'docker run --help\'.\n')),
    Case("health-negative-retries", ("run", "--rm", "--health-retries", "-1", "busybox", "true"), docker=Out(125, stderr="docker: --health-retries cannot be negative.\nSee 'docker run --help'.\n")),
    Case("health-conflict", ("run", "--rm", "--no-healthcheck", "--health-cmd", "true", "busybox", "true"), docker=Out(125, stderr="docker: --no-healthcheck conflicts with --health-* options.\nSee 'docker run --help'.\n")),
    Case("health-disabled-inspect", ("inspect", "-f", "{{json .Config.Healthcheck}}", "p-nohealth"), docker=Out(0, stdout='{"Test":["NONE"]}\n'), setup=(("create", "--name", "p-nohealth", "--no-healthcheck", "busybox", "true"),)),
]  # fmt: skip

# -- issue 13 item 5 and issue 15 item 3: --pull, and the run flags not covered above ----------

PULL_AND_FLAGS = [
    Case("run-pull-never-missing", ("run", "--rm", "--pull", "never", "nosuchimage", "true"), docker=Out(125, stderr="docker: Error response from daemon: No such image: nosuchimage:latest.\nSee 'docker run --help'.\n")),
    Case("create-pull-never-missing", ("create", "--pull", "never", "nosuchimage", "true"), docker=Out(1, stderr='Error response from daemon: No such image: nosuchimage:latest\n')),
    Case("run-pull-never-present", ("run", "--rm", "--pull", "never", "busybox", "echo", "hi"), docker=Out(0, stdout='hi\n')),
    Case("pid-host", ("run", "--rm", "--pid", "host", "busybox", "sh", "-c", "test $$ -gt 1 && echo host"), docker=Out(0, stdout='host\n')),
    Case("pid-container", ("run", "--rm", "--pid", "container:p-sleeper", "busybox", "sh", "-c", "ps -o comm | grep -c sleep"), docker=Out(0, stdout='1\n'), setup=(SLEEPER,)),
    Case("pid-container-missing", ("run", "--rm", "--pid", "container:nosuch", "busybox", "true"), docker=Out(125, stderr="docker: Error response from daemon: No such container: nosuch.\nSee 'docker run --help'.\n")),
    Case("ipc-none-has-no-shm", ("run", "--rm", "--ipc", "none", "busybox", "ls", "/dev/shm"), docker=Out(1, stderr='ls: /dev/shm: No such file or directory\n')),
    Case("ipc-none-in-inspect", ("inspect", "-f", "{{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}}", "p-noipc"), docker=Out(0, stdout='none 67108864\n'), setup=(("create", "--name", "p-noipc", "--ipc", "none", "busybox", "true"),)),
    Case("ipc-container-missing", ("run", "--rm", "--ipc", "container:nosuch", "busybox", "true"), docker=Out(125, stderr="docker: Error response from daemon: No such container: nosuch.\nSee 'docker run --help'.\n")),
    Case("sysctl-net", ("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward"), docker=Out(0, stdout='1\n')),
    Case("device-read-only", ("run", "--rm", "--device", "/dev/null:/dev/xnull:r", "busybox", "sh", "-c", "echo x > /dev/xnull"), docker=Out(0)),
    Case("group-add-number", ("run", "--rm", "--group-add", "12345", "busybox", "id", "-G"), docker=Out(0, stdout='0 10 12345\n')),
    Case("attach-upper-case", ("run", "--rm", "-a", "STDOUT", "busybox", "echo", "hi"), docker=Out(0, stdout='hi\n')),
    Case("shm-size-zero-is-default", ("run", "--rm", "--shm-size", "0", "busybox", *SHM), docker=Out(0, stdout='shm                      65536         0     65536   0% /dev/shm\n')),
    Case("shm-size-negative", ("run", "--rm", "--shm-size", "-1", "busybox", "true"), docker=Out(125, stderr='invalid argument "-1" for "--shm-size" flag: invalid size: \'-1\'\nSee \'docker run --help\'.\n')),
    Case("inspect-no-entrypoint", ("inspect", "-f", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", "p-noentry", "p-emptyentry"), docker=Out(0, stdout='null ["true"]\nnull ["true"]\n'), setup=(("create", "--name", "p-noentry", "busybox", "true"), ("create", "--name", "p-emptyentry", "--entrypoint", "", "busybox", "true"))),
    Case("run-flags-in-inspect", ("inspect", "-f", "{{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{.HostConfig.PidMode}} {{json .HostConfig.Devices}} {{json .HostConfig.GroupAdd}}", "p-sleeper"), docker=Out(0, stdout='67108864 private  [] null\n'), setup=(SLEEPER,)),
]  # fmt: skip

LOG_DETAILS = [
    Case(
        "logs-details",
        ("logs", "--details", "p-details"),
        docker=Out(0, stdout=" one\n", stderr=" two\n"),
        setup=(("run", "--name", "p-details", "busybox", "sh", "-c", "echo one; echo two >&2"),),
    ),
    Case(
        "logs-details-labels-env",
        ("logs", "--details", "p-attrs"),
        docker=Out(0, stdout="FOO=bar,Z=a+b%2Fc,b=2,com.a=1 hi\n"),
        setup=(
            (
                "run",
                "--name",
                "p-attrs",
                "--label",
                "com.a=1",
                "--label",
                "b=2",
                "-e",
                "FOO=bar",
                "-e",
                "Z=a b/c",
                "--log-opt",
                "labels=com.a,b,missing",
                "--log-opt",
                "env=FOO,Z",
                "busybox",
                "echo",
                "hi",
            ),
        ),
    ),
    Case(
        "logs-details-regex-tag",
        ("logs", "--details", "p-regex"),
        docker=Out(0, stdout="FOO=bar,FOX=baz,app.x=1,tag=p-regex%2Fx hi\n"),
        setup=(
            (
                "run",
                "--name",
                "p-regex",
                "--label",
                "app.x=1",
                "--label",
                "other=2",
                "-e",
                "FOO=bar",
                "-e",
                "FOX=baz",
                "-e",
                "NO=1",
                "--log-opt",
                "env-regex=^FO",
                "--log-opt",
                "labels-regex=^app",
                "--log-opt",
                "tag={{.Name}}/x",
                "busybox",
                "echo",
                "hi",
            ),
        ),
    ),
    Case(
        "logs-details-regex-with-labels",
        ("logs", "--details", "p-regex2"),
        docker=Out(0, stdout="app.x=1,other=2 hi\n"),
        setup=(
            (
                "run",
                "--name",
                "p-regex2",
                "--label",
                "app.x=1",
                "--label",
                "other=2",
                "--log-opt",
                "labels=other",
                "--log-opt",
                "labels-regex=^app",
                "busybox",
                "echo",
                "hi",
            ),
        ),
    ),
]

# -- HostConfig.NetworkMode: "default" without --network (the bridge network all the same) ----

P_NET = ("network", "create", "p-net")
MODES = (
    ("create", "--name", "p-nm-none", "busybox", "true"),
    ("create", "--name", "p-nm-bridge", "--network", "bridge", "busybox", "true"),
    ("create", "--name", "p-nm-default", "--network", "default", "busybox", "true"),
    ("create", "--name", "p-nm-user", "--network", "p-net", "busybox", "true"),
    ("create", "--name", "p-nm-host", "--network", "host", "busybox", "true"),
    ("create", "--name", "p-nm-null", "--network", "none", "busybox", "true"),
    DONOR,
    ("create", "--name", "p-nm-joiner", "--network", "container:p-donor", "busybox", "true"),
)
MODE_NAMES = (
    "p-nm-none",
    "p-nm-bridge",
    "p-nm-default",
    "p-nm-user",
    "p-nm-host",
    "p-nm-null",
    "p-donor",
    "p-nm-joiner",
)
NETWORK_MODE = [
    Case(
        "network-mode-in-inspect",
        ("inspect", "-f", "{{.Name}} {{.HostConfig.NetworkMode}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}", *MODE_NAMES),
        docker=Out(0, stdout='/p-nm-none default bridge\n/p-nm-bridge bridge bridge\n/p-nm-default default bridge\n/p-nm-user p-net p-net\n/p-nm-host host host\n/p-nm-null none none\n/p-donor default bridge\n/p-nm-joiner container:2b7f30a70cd691b60f572f07cfcbae6e0ae1a74feebcec1a11da69e42f8d52bb \n'),
        setup=(P_NET, *MODES),
        networks=("p-net",),
    ),
    Case(
        "network-mode-ps-networks",
        ("ps", "-a", "--format", "{{.Names}}:{{.Networks}}"),
        docker=Out(0, stdout='p-nm-joiner:\np-donor:bridge\np-nm-null:none\np-nm-host:host\np-nm-user:p-net\np-nm-default:bridge\np-nm-bridge:bridge\np-nm-none:bridge\n'),
        setup=(P_NET, *MODES),
        networks=("p-net",),
    ),
    Case(
        "network-mode-ps-filter-bridge",
        ("ps", "-a", "--filter", "network=bridge", "--format", "{{.Names}}"),
        docker=Out(0, stdout='p-donor\np-nm-default\np-nm-bridge\np-nm-none\n'),
        setup=(P_NET, *MODES),
        networks=("p-net",),
    ),
    Case(
        "network-mode-ps-filter-default",
        ("ps", "-a", "--filter", "network=default", "--format", "{{.Names}}"),
        docker=Out(0),
        setup=(P_NET, *MODES),
        networks=("p-net",),
    ),
    Case(
        "network-mode-ps-filter-host",
        ("ps", "-a", "--filter", "network=host", "--filter", "network=p-net", "--format", "{{.Names}}"),
        docker=Out(0, stdout='p-nm-host\np-nm-user\n'),
        setup=(P_NET, *MODES),
        networks=("p-net",),
    ),
]  # fmt: skip

# -- ps's COMMAND column (the default table's, with -s too): dockerd's quoting of arguments ----

COMMAND_LINES = (
    ("create", "--name", "p-cmd-spaced", "busybox", "sh", "-c", 'echo "a  b" '),
    (
        "create",
        "--name",
        "p-cmd-quotes",
        "busybox",
        "echo",
        "it's",
        'x"y',
        "",
        "tab\tx",
        "back\\slash",
    ),
    ("create", "--name", "p-cmd-short", "busybox", "echo", "a b"),
)
PS_COMMAND = [
    Case("ps-command-quoted", ("ps", "-a", "--format", "table {{.Names}}\t{{.Command}}"), docker=Out(0, stdout='NAMES          COMMAND\np-cmd-short    "echo \'a b\'"\np-cmd-quotes   "echo it\'s x\\"y  tab\\t…"\np-cmd-spaced   "sh -c \'echo \\"a  b\\" \'"\n'), setup=COMMAND_LINES),
    Case("ps-command-quoted-no-trunc", ("ps", "-a", "--no-trunc", "--format", "table {{.Names}}\t{{.Command}}"), docker=Out(0, stdout='NAMES          COMMAND\np-cmd-short    "echo \'a b\'"\np-cmd-quotes   "echo it\'s x\\"y  tab\\tx back\\\\slash"\np-cmd-spaced   "sh -c \'echo \\"a  b\\" \'"\n'), setup=COMMAND_LINES),
]  # fmt: skip

# -- copy-up into a tmpfs-type local volume: dockerd mounts it for the copy and lets it go -----

TMPFS_VOLUME = ("volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "p-tmpfs")
HOLDER = ("run", "-d", "--name", "p-holder", "-v", "p-tmpfs:/held", "busybox", "sleep", "600")
COPY_UP = [
    Case("copy-up-tmpfs-volume-a-container-holds", ("run", "--rm", "-v", "p-tmpfs:/etc", "busybox", "cat", "/etc/group"), docker=Out(0, stdout='root:x:0:\ndaemon:x:1:\nwheel:x:10:root,nobody\nnogroup:x:65534:\n'), setup=(TMPFS_VOLUME, HOLDER), volumes=("p-tmpfs",)),
    Case("copy-up-tmpfs-volume-seen-by-its-holder", ("exec", "p-holder", "cat", "/held/group"), docker=Out(0, stdout='root:x:0:\ndaemon:x:1:\nwheel:x:10:root,nobody\nnogroup:x:65534:\n'), setup=(TMPFS_VOLUME, HOLDER, ("create", "--name", "p-filler", "-v", "p-tmpfs:/etc", "busybox", "true")), volumes=("p-tmpfs",)),
]  # fmt: skip

CASES = [
    *USAGE,
    *MISSING,
    *COMMANDS,
    *TEMPLATES,
    *MORE_TEXTS,
    *REMOVAL,
    *RUN_FLAGS,
    *PRUNE,
    *LISTING,
    *IMAGES,
    *HEALTH,
    *PULL_AND_FLAGS,
    *LOG_DETAILS,
    *NETWORK_MODE,
    *PS_COMMAND,
    *COPY_UP,
]
