"""Registry credentials, kept like docker keeps them: `login` writes `auths` in
`~/.dockyard/config.json` (or `$DOCKYARD_CLI_CONFIG/config.json`); pulls send the entry for the
image's registry. docker's own `~/.docker/config.json` is read too, so a docker login works."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import typer

DOCKER_HUB_KEY = "https://index.docker.io/v1/"


def config_path() -> Path:
    return Path(os.environ.get("DOCKYARD_CLI_CONFIG", "~/.dockyard")).expanduser() / "config.json"


def registry_of(image: str) -> str:
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DOCKER_HUB_KEY


def _load(path: Path) -> dict[str, Any]:
    try:
        found: dict[str, Any] = json.loads(path.read_text())
        return found
    except (OSError, ValueError):
        return {}


def lookup(image: str) -> Any:
    """The RegistryAuth message for `image`'s registry (empty when there are no credentials)."""
    from dockyard.images.v1 import images_pb2

    key = registry_of(image)
    for path in (config_path(), Path("~/.docker/config.json").expanduser()):
        entry = _load(path).get("auths", {}).get(key)
        if entry and entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            return images_pb2.RegistryAuth(username=user, password=password)
        if entry and entry.get("identitytoken"):
            return images_pb2.RegistryAuth(identity_token=entry["identitytoken"])
    return images_pb2.RegistryAuth()


def login(
    server: str = typer.Argument("", metavar="[SERVER]"),
    username: str = typer.Option("", "-u", "--username"),
    password: str = typer.Option("", "-p", "--password"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from stdin"
    ),
) -> None:
    """Store credentials for a registry."""
    import sys

    if password_stdin:
        password = sys.stdin.read().rstrip("\n")
    if not username or not password:
        sys.stderr.write("Error: username and password are required (-u, -p or --password-stdin)\n")
        sys.exit(1)
    path = config_path()
    doc = _load(path)
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    doc.setdefault("auths", {})[server or DOCKER_HUB_KEY] = {"auth": token}
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(".config.json.tmp")
    tmp.write_text(json.dumps(doc, indent="\t"))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    print("Login Succeeded")


def logout(server: str = typer.Argument("", metavar="[SERVER]")) -> None:
    """Forget the credentials for a registry."""
    path = config_path()
    doc = _load(path)
    key = server or DOCKER_HUB_KEY
    if doc.get("auths", {}).pop(key, None) is None:
        print(f"Not logged in to {key}")
        return
    path.write_text(json.dumps(doc, indent="\t"))
    print(f"Removing login credentials for {key}")
