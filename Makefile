# Dockyard developer tasks. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help install protos lint test test-unit bench
help:  ## this list
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t14

install:  ## apt packages, the venv and the project (editable), as root
	deploy/install.sh

protos:  ## regenerate the committed gRPC/protobuf code from protos/
	$(PY) protos/generate.py

lint:  ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	tools/typecheck.sh

test-unit:  ## unit tests only (no root)
	$(VENV)/bin/pytest tests/unit

test:  ## every test, integration included (root)
	$(VENV)/bin/pytest --integration tests

bench:  ## benchmarks (bench/README.md), beside docker when it is installed
	$(PY) bench/run.py --docs
