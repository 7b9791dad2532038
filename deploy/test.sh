#!/bin/sh
# Installs everything the tests need and runs them all: unit tests, then integration tests
# (root, real kernel, a real registry on 127.0.0.1 started by the tests).
set -eu
cd "$(dirname "$0")/.."
deploy/install.sh --dev
exec .venv/bin/pytest --integration tests "$@"
