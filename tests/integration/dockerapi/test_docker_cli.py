"""The real docker CLI driving Dockyard through docker.sock, command by command, with the
output and exit codes docker gives."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import urllib.request
from urllib.parse import quote_plus

import pytest

from tests.integration.dockerapi.conftest import Docker, Terminal
from tests.support import images
from tests.support.faults import wait_replaced
from tests.support.registry import Registry, free_port
from tests.support.terminals import until_shown

pytestmark = pytest.mark.integration


def test_version_names_the_server(docker: Docker) -> None:
    out = docker.ok("version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}}")
    assert out.strip() == "1.47 1.24"


def test_pull_images_rmi(docker: Docker, image: str) -> None:
    docker.run("rmi", "-f", image)
    pulled = docker.ok("pull", image)
    assert f"Status: Downloaded newer image for {image}" in pulled
    assert "Digest: sha256:" in pulled
    again = docker.ok("pull", image)
    assert f"Status: Image is up to date for {image}" in again
    listed = docker.ok("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    repo = image.rsplit(":", 1)[0]
    assert f"{repo}:latest " in listed
    image_id = docker.ok("image", "inspect", "-f", "{{.Id}}", image).strip()
    assert image_id.startswith("sha256:")
    docker.ok("tag", image, "dockyard-test/alias:v1")
    assert (
        docker.ok("image", "inspect", "-f", "{{.Id}}", "dockyard-test/alias:v1").strip() == image_id
    )
    out = docker.ok("rmi", "dockyard-test/alias:v1")
    assert "Untagged: dockyard-test/alias:v1" in out


def test_a_pull_the_registry_cannot_serve_is_an_error_response(docker: Docker, image: str) -> None:
    """As dockerd's: nothing streamed before the manifest is found, so the failure is the
    reply's own status and the docker CLI says "Error response from daemon"."""
    missing = image.rsplit(":", 1)[0] + "-nosuch"
    result = docker.run("pull", missing)
    assert (result.returncode, result.stdout) == (1, "Using default tag: latest\n")
    assert result.stderr == (
        f"Error response from daemon: manifest for {missing}:latest not found: "
        "manifest unknown: manifest unknown\n"
    )


def test_run_pulls_a_missing_image_then_runs(docker: Docker, image: str) -> None:
    docker.run("rmi", "-f", image)
    result = docker.run("run", "--rm", image, "echo", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello\n"
    assert f"Unable to find image '{image}' locally" in result.stderr


def test_run_gives_output_streams_and_exit_code(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    result = docker.run("run", "--rm", image, "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_run_reads_stdin_to_its_end(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    result = docker.run("run", "--rm", "-i", image, "sh", "-c", "cat; echo end", input="a\nb\n")
    assert (result.returncode, result.stdout) == (0, "a\nb\nend\n")


def test_a_missing_command_is_127_and_run_rm_leaves_nothing(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    result = docker.run("run", "--rm", "--name", "never", image, "no-such-command")
    assert result.returncode == 127, result.stderr
    assert "executable file not found" in result.stderr
    assert "never" not in docker.ok("ps", "-a", "--format", "{{.Names}}").split()


def test_env_workdir_user_and_hostname(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    out = docker.ok(
        "run", "--rm", "-e", "GREETING=hi", "-w", "/tmp", "-u", "65534", "-h", "box",
        image, "sh", "-c", "echo $GREETING $(pwd) $(id -u) $(hostname)",
    )  # fmt: skip
    assert out == "hi /tmp 65534 box\n"


def test_detached_web_server_on_a_published_port(docker: Docker, web_image: str) -> None:
    port = free_port()
    cid = docker.ok("run", "-d", "--name", "web", "-p", f"{port}:80", web_image).strip()
    assert len(cid) == 64
    body = _get(f"http://127.0.0.1:{port}/hostname")
    assert body.strip() == cid[:12]
    ps = docker.ok("ps", "--format", "{{.Names}}|{{.Ports}}|{{.Status}}")
    assert f"web|0.0.0.0:{port}->80/tcp|Up " in ps
    assert docker.ok("port", "web").strip() == f"80/tcp -> 0.0.0.0:{port}"
    docker.ok("stop", "-t", "1", "web")
    status = docker.ok("inspect", "-f", "{{.State.Status}} {{.State.Running}}", "web")
    assert status.strip() == "exited false"
    docker.ok("rm", "web")
    assert docker.run("inspect", "web").returncode == 1


def _get(url: str) -> str:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered on {url}")


def test_logs_follow_until_the_container_ends(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    script = "for i in 1 2 3; do echo line $i; sleep 0.3; done"
    cid = docker.ok("run", "-d", image, "sh", "-c", script).strip()
    result = docker.run("logs", "-f", cid, timeout=30)
    assert (result.returncode, result.stdout) == (0, "line 1\nline 2\nline 3\n")
    assert docker.ok("logs", "--tail", "1", cid) == "line 3\n"
    stamped = docker.ok("logs", "-t", cid).splitlines()
    assert all(line.split(" ", 1)[1].startswith("line ") for line in stamped)


def test_logs_details_carry_the_log_opts_attributes(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    cid = docker.ok(
        "run",
        "-d",
        "-e",
        "FOO=a b",
        "--label",
        "app=x",
        "--log-opt",
        "env=FOO",
        "--log-opt",
        "labels=app",
        "--log-opt",
        "tag={{.ImageName}}",
        image,
        "echo",
        "hi",
    ).strip()
    docker.ok("wait", cid)
    assert docker.ok("logs", "--details", cid) == f"FOO=a+b,app=x,tag={quote_plus(image)} hi\n"
    bad = docker.run("run", "--log-opt", "tag={{.Bogus}}", image, "true")
    assert bad.returncode == 125 and "invalid log tag template" in bad.stderr, bad.stderr


def test_exec_output_codes_and_inspect_templates(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("run", "-d", "--name", "sleeper", "--label", "k=v", image, "sleep", "300")
    assert docker.ok("exec", "sleeper", "cat", "/etc/hostname").strip()
    assert docker.run("exec", "sleeper", "sh", "-c", "exit 7").returncode == 7
    missing = docker.run("exec", "sleeper", "no-such-command")
    assert missing.returncode == 126
    assert "executable file not found" in missing.stdout + missing.stderr
    assert (
        docker.ok("exec", "-e", "X=1", "-w", "/etc", "sleeper", "sh", "-c", "echo $X $(pwd)")
        == "1 /etc\n"
    )
    fields = docker.ok(
        "inspect", "-f", '{{.Name}} {{.Config.Labels.k}} {{index .Config.Cmd 0}} {{.HostConfig.NetworkMode}}',
        "sleeper",
    )  # fmt: skip
    assert fields.strip() == "/sleeper v sleep default"  # as docker 20.10 shows it
    doc = json.loads(docker.ok("inspect", "sleeper"))[0]
    assert doc["State"]["Running"] and doc["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    docker.ok("rm", "-f", "sleeper")


def test_ps_filters_and_formats(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("create", "--name", "made", "--label", "role=db", image, "true")
    docker.ok("run", "-d", "--name", "up", image, "sleep", "300")
    assert docker.ok("ps", "--format", "{{.Names}}").split() == ["up"]
    assert set(docker.ok("ps", "-a", "--format", "{{.Names}}").split()) >= {"made", "up"}
    assert docker.ok("ps", "-a", "--filter", "label=role=db", "--format", "{{.Names}}").split() == [
        "made"
    ]
    assert docker.ok(
        "ps", "-a", "--filter", "status=created", "--format", "{{.Status}}"
    ).split() == ["Created"]
    assert docker.ok("ps", "-aq", "--filter", "name=^up$") == docker.ok("ps", "-q")
    docker.ok("create", "--name", "both", "--label", "role=db", "--label", "tier=1", image, "true")
    both = ["--filter", "label=role=db", "--filter", "label=tier=1"]  # every label must match
    assert docker.ok("ps", "-a", *both, "--format", "{{.Names}}").split() == ["both"]


def test_restart_policy_and_rename_and_kill(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok(
        "run", "-d", "--name", "flaky", "--restart", "on-failure:2", image, "sh", "-c", "exit 1"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = docker.ok("inspect", "-f", "{{.RestartCount}} {{.State.Status}}", "flaky").split()
        if state == ["2", "exited"]:
            break
        time.sleep(0.2)
    assert state == ["2", "exited"]
    docker.ok("rename", "flaky", "steady")
    assert docker.ok("inspect", "-f", "{{.Name}}", "steady").strip() == "/steady"
    docker.ok("run", "-d", "--name", "target", image, "sleep", "300")
    docker.ok("kill", "target")
    assert docker.ok("wait", "target").strip() == "137"


def test_pause_unpause_top_and_stats(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("run", "-d", "--name", "busy", image, "sleep", "300")
    assert "sleep 300" in docker.ok("top", "busy")
    docker.ok("pause", "busy")
    assert docker.ok("inspect", "-f", "{{.State.Status}}", "busy").strip() == "paused"
    docker.ok("unpause", "busy")
    stats = docker.ok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "busy")
    assert stats.strip() == "busy 1"


def test_run_it_is_a_terminal_with_the_clients_size(
    docker: Docker, image: str, terminal: type[Terminal]
) -> None:
    docker.ok("pull", "-q", image)
    t = terminal("run", "-it", "--rm", image, "sh", rows=29, cols=83)
    t.expect(b"# ")
    t.type(b"stty size; tty\r")
    t.expect(b"29 83")
    t.expect(b"/dev/pts/")
    t.resize(41, 121)
    until_shown(t, b"stty size\r", b"41 121")
    t.type(b"exit 9\r")
    assert t.wait() == 9


def test_exec_it_in_a_running_container(
    docker: Docker, image: str, terminal: type[Terminal]
) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("run", "-d", "--name", "host-of-exec", image, "sleep", "300")
    t = terminal("exec", "-it", "host-of-exec", "sh")
    t.expect(b"# ")
    t.type(b"echo $((6*7))\r")
    t.expect(b"42")
    t.type(b"exit 4\r")
    assert t.wait() == 4


def test_networks_by_name_connect_and_remove(
    docker: Docker, web_image: str, image: str, cleanup: list[tuple[str, str]]
) -> None:
    docker.ok("network", "create", "--subnet", "10.231.7.0/24", "--label", "x=y", "appnet")
    cleanup.append(("network", "appnet"))
    info = json.loads(docker.ok("network", "inspect", "appnet"))[0]
    assert info["IPAM"]["Config"][0]["Subnet"] == "10.231.7.0/24" and info["Labels"] == {"x": "y"}
    assert "appnet" in docker.ok("network", "ls", "--filter", "label=x=y", "--format", "{{.Name}}")
    docker.ok("run", "-d", "--name", "api", "--network", "appnet", web_image)
    got = docker.ok(
        "run", "--rm", "--network", "appnet", image, "wget", "-q", "-O", "-", "http://api/hostname"
    )
    assert got.strip() == docker.ok("inspect", "-f", "{{.Config.Hostname}}", "api").strip()
    docker.ok("create", "--name", "late", image, "true")
    docker.ok("network", "connect", "--alias", "later", "appnet", "late")
    networks = docker.ok("inspect", "-f", "{{json .NetworkSettings.Networks}}", "late")
    assert json.loads(networks)["appnet"]["Aliases"][0] == "later"
    docker.ok("network", "disconnect", "appnet", "late")
    refused = docker.run("network", "rm", "appnet")
    assert refused.returncode == 1 and "active endpoints" in refused.stderr
    docker.ok("rm", "-f", "api", "late")


def test_start_attach_and_container_prune(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    cid = docker.ok("create", image, "echo", "started").strip()
    result = docker.run("start", "-a", cid)
    assert (result.returncode, result.stdout) == (0, "started\n")
    out = docker.ok("container", "prune", "-f")
    assert cid in out
    assert docker.run("inspect", cid).returncode == 1


def test_events_since_and_until(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    since = str(int(time.time()) - 1)
    cid = docker.ok("run", "-d", image, "true").strip()
    docker.ok("wait", cid)
    until = str(int(time.time()) + 1)
    out = docker.ok(
        "events", "--since", since, "--until", until, "--filter", f"container={cid}",
        "--format", "{{.Action}}",
    )  # fmt: skip
    assert out.split()[:3] == ["create", "start", "die"]


def test_system_df_and_info(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    df = docker.ok("system", "df", "--format", "{{.Type}}")
    assert df.split()[:2] == ["Images", "Containers"]
    info = docker.ok("info", "--format", "{{.ServerVersion}} {{.OSType}}")
    assert info.split()[1] == "linux"
    options = docker.ok("info", "--format", "{{json .SecurityOptions}}")
    assert "name=seccomp,profile=default" in json.loads(options)


def test_docker_run_with_a_pipe_closed_early(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    process = subprocess.run(
        [docker.binary, "run", "--rm", "-i", image, "sh", "-c", "head -c 3; echo; echo after"],
        input=b"abcdef",
        capture_output=True,
        env=docker.env,
        timeout=60,
    )
    assert (process.returncode, process.stdout) == (0, b"abc\nafter\n")


def test_system_prune_and_image_prune_by_label(
    docker: Docker, image: str, registry: Registry
) -> None:
    docker.ok("pull", "-q", image)
    stopped = docker.ok("create", image, "true").strip()
    docker.ok("network", "create", "unused-net")
    out = docker.ok("system", "prune", "-f")
    assert stopped in out and "unused-net" in out
    assert docker.run("inspect", stopped).returncode == 1
    labelled = images.busybox_image(Labels={"prune": "me"}, Cmd=["true"])
    images.push(registry, "test/prunable", "v1", labelled)
    docker.ok("pull", "-q", f"{registry.host}/test/prunable:v1")
    out = docker.ok("image", "prune", "-af", "--filter", "label=prune=me")
    assert f"untagged: {registry.host}/test/prunable:v1" in out and "deleted: sha256:" in out
    assert docker.ok("images", "-q", image)  # unlabelled: kept


def test_inspect_finds_a_volume_by_name_and_nothing_else(docker: Docker) -> None:
    docker.ok("volume", "create", "inspectable")
    try:
        found = json.loads(docker.ok("inspect", "inspectable"))[0]
        assert (found["Name"], found["Driver"]) == ("inspectable", "local")
    finally:
        docker.ok("volume", "rm", "inspectable")
    missing = docker.run("inspect", "no-such-object")
    assert missing.returncode == 1 and "No such object: no-such-object" in missing.stderr


def test_the_front_and_the_engine_are_restarted_under_it(docker: Docker, image: str) -> None:
    docker.ok("pull", "-q", image)
    docker.ok("run", "-d", "--name", "survivor", image, "sleep", "300")
    for service in ("dockerapi", "engine"):
        before = docker.engine.service_pid(service)
        os.kill(before, signal.SIGKILL)
        wait_replaced(docker.engine, service, before)  # the front: listened for, not yet started
        assert docker.ok("ps", "--format", "{{.Names}}").split() == ["survivor"]


def test_detach_keys_leave_it_running_and_attach_comes_back(
    docker: Docker, image: str, terminal: type[Terminal]
) -> None:
    docker.ok("pull", "-q", image)
    t = terminal("run", "-it", "--name", "detachable", image, "sh")
    t.expect(b"# ")
    t.type(b"\x10\x11")  # Ctrl-P Ctrl-Q
    assert t.wait() == 0
    assert docker.ok("inspect", "-f", "{{.State.Running}}", "detachable").strip() == "true"
    again = terminal("attach", "detachable")
    again.type(b"echo back $((40+2))\r")
    again.expect(b"back 42")
    again.type(b"exit 3\r")
    assert again.wait() == 3


def test_pull_sends_the_clients_credentials(
    docker: Docker, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.support.registry import PASSWORD, USER

    with Registry.start(tmp_path_factory.mktemp("authreg"), auth="basic") as private:
        images.push(private, "team/tool", "v1", images.busybox_image(Cmd=["echo", "private"]))
        ref = f"{private.host}/team/tool:v1"
        refused = docker.run("pull", ref)
        assert refused.returncode == 1 and "unauthorized" in refused.stderr.lower()
        config = tmp_path_factory.mktemp("authconfig")
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (config / "config.json").write_text(json.dumps({"auths": {private.host: {"auth": token}}}))
        with_login = Docker(docker.binary, docker.engine, config)
        assert with_login.ok("run", "--rm", ref) == "private\n"
        docker.ok("rmi", ref)


def test_import_a_rootfs_tar_from_stdin(
    docker: Docker, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.support.rootfs import rootfs_tar

    tar = tmp_path_factory.mktemp("import") / "rootfs.tar"
    tar.write_bytes(rootfs_tar())
    with tar.open("rb") as stdin:
        imported = subprocess.run(
            [docker.binary, "import", "-m", "from a pipe", "-", "imported:one"],
            stdin=stdin,
            capture_output=True,
            text=True,
            env=docker.env,
            timeout=120,
        )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("sha256:")
    assert docker.ok("run", "--rm", "imported:one", "echo", "ran") == "ran\n"
    docker.ok("rmi", "imported:one")


def test_create_for_another_platform_pulls_that_platform(
    docker: Docker, registry: Registry
) -> None:
    ref = f"{registry.host}/test/multi:latest"
    docker.ok("pull", "-q", ref)
    assert docker.ok("image", "inspect", "-f", "{{.Architecture}}", ref).strip() == "amd64"
    result = docker.run("create", "--platform", "linux/arm64", "--name", "armed", ref)
    assert result.returncode == 0, result.stderr
    assert "Unable to find image" in result.stderr  # the amd64 one did not match: pulled
    image = docker.ok("inspect", "-f", "{{.Image}}", "armed").strip()
    assert docker.ok("image", "inspect", "-f", "{{.Architecture}}", image).strip() == "arm64"
    docker.ok("rm", "armed")
    docker.ok("rmi", "-f", ref)


def test_images_lists_dangling_ones_without_all(
    docker: Docker, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.support.rootfs import rootfs_tar

    tar = tmp_path_factory.mktemp("nameless") / "rootfs.tar"
    tar.write_bytes(rootfs_tar())
    nameless = docker.ok("import", str(tar)).strip()  # no name, no digest: dangling
    assert nameless in docker.ok("images", "--no-trunc", "-q").split()  # listed without -a
    assert nameless in docker.ok("images", "--no-trunc", "-q", "--filter", "dangling=true")
    docker.ok("rmi", nameless)


def test_pull_all_tags_pulls_every_tag_of_the_repository(
    clients: Docker, registry: Registry
) -> None:
    """docker pull -a sends the repository's name alone: dockerd pulls each tag it lists."""
    repository = f"{registry.host}/test/docker-alltags"
    images.push(registry, "test/docker-alltags", "a1", images.busybox_image(Env=["T=a1"]))
    images.push(registry, "test/docker-alltags", "b2", images.busybox_image(Env=["T=b2"]))
    try:
        out = clients.ok("pull", "-a", repository)
        assert "a1: Pulling from test/docker-alltags\n" in out
        assert "b2: Pulling from test/docker-alltags\n" in out
        assert f"Status: Downloaded newer image for {repository}\n" in out
        tags = clients.ok("images", "--format", "{{.Tag}}", repository).split()
        assert sorted(tags) == ["a1", "b2"]
    finally:
        clients.run("rmi", f"{repository}:a1", f"{repository}:b2")


def test_network_create_flags_through_the_api(
    docker: Docker, cleanup: list[tuple[str, str]]
) -> None:
    """docker network create's body (Attachable, Scope, IPAM Driver/Options/AuxiliaryAddresses,
    ConfigOnly, ConfigFrom) taken and shown as dockerd 20.10's; a swarm's scope refused."""
    docker.ok(
        "network", "create", "--config-only", "--subnet", "10.231.9.0/24",
        "--aux-address", "spare=10.231.9.9", "--ipam-opt", "o=1", "apicfg",
    )  # fmt: skip
    cleanup.append(("network", "apicfg"))
    docker.ok("network", "create", "--attachable", "--config-from", "apicfg", "apinet")
    cleanup.append(("network", "apinet"))  # removed first
    info = json.loads(docker.ok("network", "inspect", "apinet"))[0]
    assert (info["Attachable"], info["Scope"], info["ConfigFrom"]) == (
        True, "local", {"Network": "apicfg"},
    )  # fmt: skip
    assert info["IPAM"] == {
        "Driver": "default",
        "Options": {"o": "1"},
        "Config": [{"Subnet": "10.231.9.0/24", "AuxiliaryAddresses": {"spare": "10.231.9.9"}}],
    }
    assert json.loads(docker.ok("network", "inspect", "apicfg"))[0]["ConfigOnly"] is True
    refused = docker.run("network", "create", "--scope", "swarm", "apiswarm")
    assert (refused.returncode, refused.stderr) == (
        1,
        "Error response from daemon: cannot create a swarm scoped network when swarm is not "
        "active\n",
    )


def test_run_link_and_rm_link(docker: Docker, image: str) -> None:
    """docker run --link (HostConfig.Links) and docker rm --link (DELETE
    /containers/PARENT/ALIAS?link=1, a slash in the name), with docker's words."""
    docker.ok("run", "-d", "--name", "dl-db", "-e", "PW=x", image, "sleep", "300")
    out = docker.ok(
        "run", "--name", "dl-web", "--link", "dl-db:db", image, "sh", "-c", "echo $DB_ENV_PW; cat /etc/hosts"
    )  # fmt: skip
    assert out.startswith("x\n") and "\tdb " in out
    links = docker.ok("inspect", "-f", "{{json .HostConfig.Links}}", "dl-web").strip()
    assert links == '["/dl-db:/dl-web/db"]'
    assert docker.ok("rm", "--link", "dl-web/db") == "dl-web/db\n"
    assert docker.ok("inspect", "-f", "{{json .HostConfig.Links}}", "dl-web").strip() == "null"
    gone = docker.run("rm", "-l", "dl-web/db")
    # the engine's 404, in each client's words: 20.10 says its own "Error: No such
    # container: …", 28.x relays the daemon's message after "Error response from daemon: "
    assert gone.returncode == 1
    assert gone.stderr in (
        "Error: No such container: dl-web/db\n",
        "Error response from daemon: No such container: dl-web/db\n",
    )
    docker.ok("rm", "-f", "dl-db", "dl-web")
