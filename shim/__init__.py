"""The per-container shim: supervises one container and outlives every service.

It stays small: stdlib and protobuf only (a test checks its imports).
"""
