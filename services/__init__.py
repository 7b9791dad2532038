"""The gRPC services, one process each: images, snapshots, runtime, network, engine.

Siblings never import each other; they talk through stubs on UNIX sockets.
"""
