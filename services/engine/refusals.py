"""dockerd's words for a process the runtime could not start, which scripts match on.

dockerd passes runc's reason through containerd, each adding its own words around it:

    run/start  failed to create shim task: OCI runtime create failed: runc create failed:
               unable to start container process: exec: "x": executable file not found in
               $PATH: unknown
    exec       OCI runtime exec failed: exec failed: unable to start container process: …: unknown

A user or group the container lacks is found by dockerd itself, before the runtime: its reason
("unable to find user x: no matching entries in passwd file") is left as it is.
"""

from __future__ import annotations


def start_failure(reason: str) -> str:
    if reason.startswith(("unable to find", "failed to create shim task")):
        return reason
    return (
        "failed to create shim task: OCI runtime create failed: runc create failed: "
        f"unable to start container process: {reason}: unknown"
    )


def exec_failure(reason: str) -> str:
    if reason.startswith(("unable to find", "OCI runtime exec failed")):
        return reason
    return f"OCI runtime exec failed: exec failed: unable to start container process: {reason}: unknown"
