"""What every Dockyard process shares besides the generated API.

- `errors`: the error hierarchy (no gRPC; the shim uses it too)
- `status`: the mapping of those errors to and from gRPC status codes
- `bootstrap`: how a service process starts, listens on its socket and stops
- `paths`, `config`: where things live, and the daemon configuration file
"""
