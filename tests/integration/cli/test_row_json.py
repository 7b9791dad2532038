"""`--format '{{json .}}'` (and `--format json`) of the list commands as docker 20.10's CLI
prints them: each row's keys sorted (docker marshals a row through a map), with the keys its
row types have (recorded from docker 20.10.24's client against dockerd 20.10.24)."""

from __future__ import annotations

import json

import pytest

from tests.support.engine import Engine

pytestmark = pytest.mark.integration

KEYS = {
    "images": "Containers CreatedAt CreatedSince Digest ID Repository SharedSize Size Tag "
    "UniqueSize VirtualSize",
    "network ls": "CreatedAt Driver ID IPv6 Internal Labels Name Scope",
    "volume ls": "Driver Labels Links Mountpoint Name Scope Size",
    "history": "Comment CreatedAt CreatedBy CreatedSince ID Size",
    "ps -a": "Command CreatedAt ID Image Labels LocalVolumes Mounts Names Networks Ports "
    "RunningFor Size State Status",
}


def test_rows_in_json_have_dockers_keys_in_order(engine: Engine, busybox: str) -> None:
    engine.ok("volume", "create", "row-json")
    engine.ok("create", "--name", "row-json", busybox, "true")
    try:
        for verb, keys in KEYS.items():
            for form in ("{{json .}}", "json"):
                args = [*verb.split(), "--format", form] + ([busybox] if verb == "history" else [])
                first = json.loads(engine.ok(*args).splitlines()[0])
                assert list(first) == keys.split(), (verb, form)
        created = engine.ok("history", "--format", "{{.CreatedAt}}", busybox).split()[0]
        assert created.endswith("Z") and "." not in created  # seconds, as docker's
    finally:
        engine.ok("rm", "row-json")
        engine.ok("volume", "rm", "row-json")


def test_an_unknown_field_names_the_row_type(engine: Engine, busybox: str) -> None:
    engine.ok("volume", "create", "row-field")  # a row to run the template on
    for args, kind in (
        (("volume", "ls"), "*formatter.volumeContext"),
        (("history", busybox), "*image.historyContext"),
    ):
        result = engine.cli(*args, "--format", "{{.Nope}}")
        assert result.returncode == 1
        assert f"can't evaluate field Nope in type {kind}" in result.stderr
    engine.ok("volume", "rm", "row-field")
