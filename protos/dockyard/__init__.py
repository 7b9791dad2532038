"""Dockyard: a container engine split into async gRPC services.

This package (from `protos/`) holds what every process shares: the generated API
(`dockyard.<service>.v1`) and `dockyard.api` (errors, their gRPC mapping, the shim framing and
the server bootstrap). The services, the shim and the CLI live in `dockyard.services`,
`dockyard.shim` and `dockyard.cli`.
"""

__version__ = "0.1.0"
