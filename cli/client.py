"""Talking to the engine: dialling DOCKYARD_HOST, and turning errors into one line and docker's
exit code. gRPC is imported here, lazily, only by commands that talk to the engine."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

DEFAULT_HOST = "unix:///run/dockyard/dockyard.sock"
ENGINE = "dockyardd"

# verbs whose docker client says a missing object is missing in its own words ("Error: No such
# container: x"), not as the daemon's answer ("Error response from daemon: …")
OWN_NOT_FOUND = {
    "rm": "container",
    "logs": "container",
    "exec": "container",
    "attach": "container",
    "port": "container",
    "rmi": "image",
    "network rm": "network",
    "volume rm": "volume",
}
# the note `run` adds to an error that came once its container existed (docker then points
# to no help: the command line was not at fault)
CREATED = "the container was created"


def host(option: str | None) -> str:
    return option or os.environ.get("DOCKYARD_HOST") or DEFAULT_HOST


def dial(address: str) -> Any:
    """A channel to the engine (call inside a coroutine); errors come back as Dockyard's."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from dockyard.api.bootstrap import dial as dial_address

    target = address if address.startswith("unix:") else f"unix://{address}"
    return dial_address(target, ENGINE, own_connection=True)  # never the spare's old one


def exit_code(err: Exception, verb: str) -> int:
    """docker's: `run` exits 125 when the daemon fails, 126/127 when the command cannot be
    invoked or found; any other verb 1."""
    from dockyard.api import errors

    if verb != "run":
        return 1
    if isinstance(err, errors.CommandNotFound):
        return 127
    if isinstance(err, errors.CommandNotRunnable):
        return 126
    if CREATED in getattr(err, "__notes__", ()):  # a start that failed: docker reads its words
        text = str(err)
        if "executable file not found" in text or "no such file or directory" in text:
            return 127
        if "permission denied" in text or "is a directory" in text:
            return 126
    return 125


def message(err: Exception, address: str, verb: str = "", name: str = "") -> str:
    """One line for `err`; `name` is the object as the user named it, for docker's own "No such
    container: NAME" of the verbs in OWN_NOT_FOUND."""
    from dockyard.api import errors

    if verb in OWN_NOT_FOUND and isinstance(err, errors.NotFound):
        return f"Error: No such {OWN_NOT_FOUND[verb]}: {name}" if name else f"Error: {err}"
    if isinstance(err, errors.Unreachable):  # the engine itself did not answer
        return (
            f"Cannot connect to the Dockyard daemon at {address}. Is the dockyard daemon running?"
        )
    return f"Error response from daemon: {err}"


def fail(err: Exception, verb: str, address: str) -> NoReturn:
    text = message(err, address, verb)
    if verb == "run":  # docker's reportError: "docker: …." and the help for a bad request
        text = f"dockyard: {text.rstrip('.')}."
        if CREATED not in getattr(err, "__notes__", ()):
            text += "\nSee 'dockyard run --help'."
    sys.stderr.write(text + "\n")
    sys.exit(exit_code(err, verb))
