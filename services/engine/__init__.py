"""The engine (dockyardd): containers, orchestration of the other services, the CLI API."""
