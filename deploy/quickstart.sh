#!/bin/sh
# Installs Dockyard, starts the engine, imports an offline busybox image, runs a container, and
# serves a page from a container on a published port of 127.0.0.1.
set -eu
cd "$(dirname "$0")/.."
deploy/install.sh
dockyard daemon start
tarball=$(mktemp --suffix=.tar)
deploy/busybox-rootfs.sh "$tarball"
dockyard import "$tarball" busybox:latest
rm -f "$tarball"
dockyard run --rm busybox echo "Hello from a Dockyard container"
port=${DOCKYARD_QUICKSTART_PORT:-8080}
dockyard rm -f quickstart-web >/dev/null 2>&1 || true
dockyard run -d --name quickstart-web -p "127.0.0.1:$port:80" busybox \
    sh -c 'mkdir -p /www && echo "Hello from a Dockyard web server" > /www/index.html && exec httpd -f -p 80 -h /www'
for _ in $(seq 50); do
    if page=$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null); then
        echo "$page (http://127.0.0.1:$port/, served by container quickstart-web)"
        exit 0
    fi
    sleep 0.1
done
echo "quickstart: no answer on http://127.0.0.1:$port/" >&2
exit 1
