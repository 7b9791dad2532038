#!/bin/sh
# Installs what Dockyard needs on a Debian machine, as root: apt packages, a virtualenv in
# .venv with the project in it, and the commands in /usr/local/bin. Idempotent.
#   deploy/install.sh          engine only: installed (not editable), bytecode compiled
#   deploy/install.sh --dev    editable, and what the tests need (generator, pytest, linters)
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (the engine needs it)" >&2; exit 1; }

# the engine: python, ip and nft for networking, ps for `top`; busybox for the quick-start image;
# gcc and libc6-dev build the `dockyard` command's C client (cli/launcher.c: ~9 ms less per command
# than the python -IS script, which is the fallback without them)
PACKAGES="python3 python3-venv iproute2 nftables procps busybox-static ca-certificates curl gcc libc6-dev"
# the tests: a registry, the external runtimes (--runtime runc|crun), iptables for docker's
# FORWARD policy, mount/umount, docker-compose 1.29 (python3 only, no engine) for the Docker API;
# wrk for the benchmarks, hyperfine for timing commands side by side (docs/performance.md);
# (gcc and libc6-dev, above, also build the static fd poller of test_shim_reach.py); skopeo for
# the image interop tests (what dockyard pushes, another OCI tool pulls, and the other way round)
DEV_PACKAGES="docker-registry runc crun iptables mount docker-compose wrk hyperfine skopeo"
extra=""
[ "${1:-}" = "--dev" ] && extra="$DEV_PACKAGES"
missing=""
for p in $PACKAGES $extra; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# Programs install.sh places itself (no package of theirs is installed). The Docker API tests
# drive a real docker CLI: the machine's own when it has one, else the client alone out of
# Debian's docker.io (installing that package would bring dockerd, containerd and iptables).
FETCHED_PROGRAMS="docker"
if [ "${1:-}" = "--dev" ] && ! command -v docker >/dev/null; then
    tmp=$(mktemp -d)
    (cd "$tmp" && { apt-get download -q docker.io >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get download -q docker.io >/dev/null 2>&1; }; } &&
        dpkg-deb -x docker.io_*.deb extracted)
    install -m 0755 "$tmp/extracted/usr/bin/docker" /usr/local/bin/docker
    rm -rf "$tmp"
fi

# Debian's own python3 (3.11 on bookworm): a venv made from it starts without pyenv's shim.
PYTHON=${PYTHON:-/usr/bin/python3}
if [ -x .venv/bin/python ] && [ "$(readlink -f .venv/bin/python)" != "$(readlink -f "$PYTHON")" ]; then
    "$PYTHON" -m venv --clear .venv  # made from another python (a pyenv shim): make it again
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check --upgrade pip
if [ "${1:-}" = "--dev" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'
else
    # Not editable: the commands start without the editable install's finder, and from
    # bytecode pip compiles now (PYTHONDONTWRITEBYTECODE machines would compile every start).
    .venv/bin/pip install -q --disable-pip-version-check --compile .
fi
# `dockyard` as the C client built for this installation (cli/launcher.c), or without a compiler
# as a `python -IS` script (pip drops a shebang's flags; its own script starts `site`)
.venv/bin/python -m dockyard.cli.entrypoint .venv/bin/dockyard
for cmd in dockyard dockyardd dockyard-images dockyard-snapshots dockyard-runtime \
           dockyard-network dockyard-shim dockyard-dockerapi; do
    ln -sf "$PWD/.venv/bin/$cmd" "/usr/local/bin/$cmd"
done
