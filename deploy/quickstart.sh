#!/bin/sh
# Installs Dockyard, starts the engine, imports an offline busybox image, runs a container,
# builds a web server image from a Dockerfile FROM it, and serves a page from a container of
# that image on a published port of 127.0.0.1.
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
context=$(mktemp -d)
echo "Hello from a Dockyard web server" > "$context/index.html"
printf '%s\n' 'FROM busybox' 'COPY index.html /www/index.html' 'EXPOSE 80' \
    'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]' > "$context/Dockerfile"
dockyard build -t quickstart-web "$context"
rm -rf "$context"
dockyard rm -f quickstart-web >/dev/null 2>&1 || true
dockyard run -d --name quickstart-web -p "127.0.0.1:$port:80" quickstart-web
for _ in $(seq 50); do
    if page=$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null); then
        echo "$page (http://127.0.0.1:$port/, served by container quickstart-web)"
        exit 0
    fi
    sleep 0.1
done
echo "quickstart: no answer on http://127.0.0.1:$port/" >&2
exit 1
