#!/bin/sh
# Installs everything the tests need and runs them all: lint and types, unit tests, then
# integration tests (root, real kernel, a real registry on 127.0.0.1 started by the tests).
set -eu
cd "$(dirname "$0")/.."
deploy/install.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
tools/typecheck.sh
exec .venv/bin/pytest --integration tests "$@"
