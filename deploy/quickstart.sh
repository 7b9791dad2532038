#!/bin/sh
# Installs Dockyard, starts the engine, imports an offline busybox image and runs a container.
set -eu
cd "$(dirname "$0")/.."
deploy/install.sh
dockyard daemon start
tarball=$(mktemp --suffix=.tar)
deploy/busybox-rootfs.sh "$tarball"
dockyard import "$tarball" busybox:latest
rm -f "$tarball"
dockyard run --rm busybox echo "Hello from a Dockyard container"
