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

# -- issue 15 item 5: rm -f against a restart policy ---------------------------------------------

REMOVAL = [
    Case(
        "rm-f-a-restarting-container",
        ("rm", "-f", "p-bouncer"),
        docker=Out(0, stdout="p-bouncer\n"),
        setup=(("run", "-d", "--name", "p-bouncer", "--restart", "always", "busybox", "true"),),
    ),
]

CASES = [*USAGE, *MISSING, *COMMANDS, *TEMPLATES, *REMOVAL]
