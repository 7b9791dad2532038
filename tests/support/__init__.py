"""Helpers the tests share: offline busybox rootfs and images, a real registry, an engine."""
