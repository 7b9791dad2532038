"""The `dockyard` command line: a thin client of the engine's gRPC API, verbs as docker's."""
