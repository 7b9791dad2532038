"""Talking to the engine: dialling DOCKYARD_HOST, and turning errors into one line and docker's
exit code. gRPC is imported here, lazily, only by commands that talk to the engine."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

DEFAULT_HOST = "unix:///run/dockyard/dockyard.sock"
ENGINE = "dockyardd"

# run-like verbs report engine errors as 125 (docker's "the daemon failed" code)
RUN_VERBS = ("run", "create", "start")


def host(option: str | None) -> str:
    return option or os.environ.get("DOCKYARD_HOST") or DEFAULT_HOST


def dial(address: str) -> Any:
    """A channel to the engine (call inside a coroutine); errors come back as Dockyard's."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from dockyard.api.bootstrap import dial as dial_address

    target = address if address.startswith("unix:") else f"unix://{address}"
    return dial_address(target, ENGINE)


def exit_code(err: Exception, verb: str) -> int:
    from dockyard.api import errors

    if isinstance(err, errors.CommandNotFound):
        return 127
    if isinstance(err, errors.CommandNotRunnable):
        return 126
    return 125 if verb in RUN_VERBS else 1


def message(err: Exception, address: str) -> str:
    from dockyard.api import errors

    if isinstance(err, errors.Unreachable):  # the engine itself did not answer
        return (
            f"Cannot connect to the Dockyard daemon at {address}. Is the dockyard daemon running?"
        )
    return f"Error response from daemon: {err}"


def fail(err: Exception, verb: str, address: str) -> NoReturn:
    prefix = "dockyard: " if verb in RUN_VERBS else ""
    sys.stderr.write(f"{prefix}{message(err, address)}\n")
    sys.exit(exit_code(err, verb))


def usage_error(text: str, verb: str) -> NoReturn:
    sys.stderr.write(f"dockyard {verb}: {text}\n")
    sys.exit(125 if verb in RUN_VERBS else 1)
