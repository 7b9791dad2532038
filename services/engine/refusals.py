"""dockerd's words for a process the runtime could not start, which scripts match on.

dockerd passes runc's reason through containerd, each adding its own words around it:

    run/start  failed to create shim task: OCI runtime create failed: runc create failed:
               unable to start container process: exec: "x": executable file not found in
               $PATH: unknown
    exec       OCI runtime exec failed: exec failed: unable to start container process: …: unknown

Only the runtime's own reasons are wrapped — the command (`exec: "x": …`) and the working
directory (`chdir to cwd …`); what dockerd finds itself before the runtime runs (a user or group
the container lacks, ids out of range) is left as it is.
"""

from __future__ import annotations

RUNTIME_REASONS = ("exec: ", "chdir to cwd")


def start_failure(reason: str) -> str:
    if not reason.startswith(RUNTIME_REASONS):
        return reason
    return (
        "failed to create shim task: OCI runtime create failed: runc create failed: "
        f"unable to start container process: {reason}: unknown"
    )


def exec_failure(reason: str) -> str:
    if not reason.startswith(RUNTIME_REASONS):
        return reason
    return f"OCI runtime exec failed: exec failed: unable to start container process: {reason}: unknown"
