"""The one error hierarchy every Dockyard process raises and catches.

Errors say *who is at fault*, and map one-to-one onto gRPC status codes at process boundaries
(`dockyard.api.status`); a client gets the same class back that the server raised.

    DockyardError
    ├── ClientError                  the request is wrong; retrying it unchanged will not help
    │   ├── NotFound                 no such image, container, snapshot, network ...
    │   ├── AlreadyExists            a name or key is taken
    │   ├── InvalidArgument          malformed input: a reference, a flag value, a layer
    │   │   └── DigestMismatch       content did not hash to the digest it was promised under
    │   ├── FailedPrecondition       the object is in the wrong state for this (rm of a running
    │   │   │                        container, rmi of an image in use)
    │   │   ├── CommandNotFound      the container's executable does not exist (exit 127)
    │   │   └── CommandNotRunnable   it exists but cannot be executed (exit 126)
    │   ├── PermissionDenied         credentials refused, or an operation not allowed
    │   └── Unimplemented            not supported (yet)
    └── ServerError                  something on the server side or beyond it went wrong
        ├── Unavailable              a service or a registry cannot be reached
        │   └── Unreachable          the very peer a client dialled did not answer (raised by
        │                            the client side; a server relays it as Unavailable)
        ├── DeadlineExceeded         it took too long
        ├── ResourceExhausted        out of ports, addresses, disk ...
        ├── Cancelled                the caller went away
        └── Internal                 a bug or an unexpected failure
"""

from __future__ import annotations


class DockyardError(Exception):
    """Base of every error Dockyard raises on purpose. `str(err)` is one clear line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ClientError(DockyardError):
    """The request is at fault."""


class ServerError(DockyardError):
    """The server, or something it depends on, is at fault."""


class NotFound(ClientError):
    pass


class AlreadyExists(ClientError):
    pass


class InvalidArgument(ClientError):
    pass


class DigestMismatch(InvalidArgument):
    pass


class FailedPrecondition(ClientError):
    pass


class CommandNotFound(FailedPrecondition):
    pass


class CommandNotRunnable(FailedPrecondition):
    pass


class PermissionDenied(ClientError):
    pass


class Unimplemented(ClientError):
    pass


class Unavailable(ServerError):
    pass


class Unreachable(Unavailable):
    """The peer this process dialled did not answer: nothing is listening on its socket, or
    the connection broke. Only the caller's side knows this; across another boundary it is
    Unavailable (the server in between was reached)."""


class DeadlineExceeded(ServerError):
    pass


class ResourceExhausted(ServerError):
    pass


class Cancelled(ServerError):
    pass


class Internal(ServerError):
    pass


def by_name(name: str) -> type[DockyardError] | None:
    """The error class called `name`, for rebuilding an error that crossed a process boundary."""
    cls = globals().get(name)
    if isinstance(cls, type) and issubclass(cls, DockyardError):
        return cls
    return None
