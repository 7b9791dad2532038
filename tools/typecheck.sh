#!/bin/sh
# mypy (strict; see pyproject.toml) over the installed layout of the `dockyard` namespace, which
# four source trees make (setup.py): laid out in a temporary directory first, as it installs.
set -eu
cd "$(dirname "$0")/.."
layout=$(mktemp -d)
trap 'rm -rf "$layout"' EXIT
cp -r protos/dockyard "$layout/dockyard"
cp -r services "$layout/dockyard/services"
cp -r shim "$layout/dockyard/shim"
cp -r cli "$layout/dockyard/cli"
find "$layout" -name __pycache__ -prune -exec rm -rf {} +
cd "$layout"
MYPYPATH="$layout" "$OLDPWD/.venv/bin/mypy" --config-file "$OLDPWD/pyproject.toml" --cache-dir "$OLDPWD/.mypy_cache" \
    -p dockyard.api -p dockyard.shim -p dockyard.services -p dockyard.cli
