"""The runtime service: tasks, OCI bundles, one shim per container, reconnection."""
