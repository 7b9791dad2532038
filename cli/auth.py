"""Registry credentials, kept where and as docker keeps them, so docker and dockyard share
logins: `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`).

    {"auths": {"host:5000": {"auth": base64("user:password")}},   credentials in the file
     "credsStore": "pass",                                          or in a helper program,
     "credHelpers": {"host:5000": "ecr-login"}}                     per registry

A helper is `docker-credential-<name>` on PATH, spoken to as docker does: `store` reads
{"ServerURL", "Username", "Secret"} on stdin, `get` reads the server URL and writes
{"Username", "Secret"} (Username "<token>": the secret is an identity token), `erase` reads
the server URL. `login` has the engine check the credentials with the registry first.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
TOKEN_USER = "<token>"


def config_path() -> Path:
    directory = os.environ.get("DOCKER_CONFIG") or os.environ.get("DOCKYARD_CLI_CONFIG")
    return Path(directory or "~/.docker").expanduser() / "config.json"


def registry_of(image: str) -> str:
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return DOCKER_HUB_KEY if first in ("docker.io", "index.docker.io") else first
    return DOCKER_HUB_KEY


def server_key(server: str) -> str:
    """How docker names a registry in config.json: the host, or Docker Hub's v1 URL."""
    host = server.split("://", 1)[-1].split("/", 1)[0]
    if host in ("", "docker.io", "index.docker.io", "registry-1.docker.io"):
        return DOCKER_HUB_KEY
    return host


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _save(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(doc, indent="\t") + "\n")
    tmp.replace(path)


def _helper(doc: dict[str, Any], key: str) -> str:
    helpers = doc.get("credHelpers")
    if isinstance(helpers, dict) and isinstance(helpers.get(key), str):
        return str(helpers[key])
    store = doc.get("credsStore")
    return store if isinstance(store, str) else ""


def _run_helper(helper: str, action: str, data: str) -> str:
    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run(
            [program, action], input=data, capture_output=True, text=True, check=False
        )
    except OSError as err:
        _die(f'error getting credentials - err: exec: "{program}": {err.strerror or err}')
    if done.returncode != 0:
        if "credentials not found" in done.stdout + done.stderr:
            return ""
        _die(f"error {action} credentials - err: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def credentials(server: str) -> tuple[str, str]:
    """(username, secret) stored for `server`; ("", "") when there are none."""
    key = server_key(server)
    doc = _load(config_path())
    helper = _helper(doc, key)
    if helper:
        out = _run_helper(helper, "get", key)
        found = json.loads(out) if out.strip() else {}
        return str(found.get("Username", "")), str(found.get("Secret", ""))
    entry = (doc.get("auths") or {}).get(key) or {}
    if entry.get("identitytoken"):
        return TOKEN_USER, str(entry["identitytoken"])
    if entry.get("auth"):
        user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
        return user, password
    return "", ""


def lookup(image: str) -> Any:
    """The RegistryAuth message for `image`'s registry (empty when there are no credentials)."""
    return auth_for(registry_of(image))


def auth_for(server: str) -> Any:
    """The RegistryAuth message for `server` (empty when there are no credentials)."""
    from dockyard.images.v1 import images_pb2

    user, secret = credentials(server)
    if user == TOKEN_USER:
        return images_pb2.RegistryAuth(identity_token=secret)
    return images_pb2.RegistryAuth(username=user, password=secret)


def known_servers() -> list[str]:
    """Every registry config.json has credentials for (in `auths` or a helper per registry)."""
    doc = _load(config_path())
    auths, helpers = doc.get("auths"), doc.get("credHelpers")
    return sorted(
        {
            *(auths if isinstance(auths, dict) else {}),
            *(helpers if isinstance(helpers, dict) else {}),
        }
    )


def store(server: str, user: str, secret: str) -> None:
    key = server_key(server)
    path = config_path()
    doc = _load(path)
    helper = _helper(doc, key)
    if helper:
        payload = {"ServerURL": key, "Username": user, "Secret": secret}
        _run_helper(helper, "store", json.dumps(payload))
        doc.setdefault("auths", {}).setdefault(key, {})  # docker marks the registry as known
    else:
        token = base64.b64encode(f"{user}:{secret}".encode()).decode()
        doc.setdefault("auths", {})[key] = {"auth": token}
        sys.stderr.write(f"WARNING! Your password will be stored unencrypted in {path}.\n")
    _save(path, doc)


def erase(server: str) -> bool:
    """Forget `server`'s credentials; whether there were some."""
    key = server_key(server)
    path = config_path()
    doc = _load(path)
    known = key in (doc.get("auths") or {})
    helper = _helper(doc, key)
    if helper:
        _run_helper(helper, "erase", key)
    if known:
        del doc["auths"][key]
        _save(path, doc)
    return known or bool(helper)


def _die(text: str) -> Any:
    sys.stderr.write(text + "\n")
    sys.exit(1)


def _ask(username: str, password: str, password_stdin: bool) -> tuple[str, str]:
    if password and not password_stdin:
        sys.stderr.write(
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
        )
    if password_stdin:
        if password:
            _die("Error: --password and --password-stdin are mutually exclusive")
        if not username:
            _die("Error: Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
    if (not username or not password) and not sys.stdin.isatty():
        _die("Error: Cannot perform an interactive login from a non TTY device")
    if not username:
        username = input("Username: ").strip()
    if not password:
        import getpass

        password = getpass.getpass("Password: ")
    if not username or not password:
        _die("Error: Username and password are required")
    return username, password


def login(
    server: str = typer.Argument("", metavar="[SERVER]"),
    username: str = typer.Option("", "-u", "--username"),
    password: str = typer.Option("", "-p", "--password"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from stdin"
    ),
) -> None:
    """Log in to a registry (checked by the registry, then stored as docker stores it)."""
    from dockyard.cli.engine import call
    from dockyard.images.v1 import images_pb2

    username, password = _ask(username, password, password_stdin)
    request = images_pb2.LoginRequest(
        server=server or DOCKER_HUB_KEY,
        auth=images_pb2.RegistryAuth(username=username, password=password),
    )
    reply = call("login", lambda stubs: stubs.images.Login(request))
    store(server or DOCKER_HUB_KEY, username, password)
    print(reply.status or "Login Succeeded")


def logout(server: str = typer.Argument("", metavar="[SERVER]")) -> None:
    """Forget the credentials for a registry."""
    key = server_key(server or DOCKER_HUB_KEY)
    if not erase(key):
        print(f"Not logged in to {key}")
        return
    print(f"Removing login credentials for {key}")
