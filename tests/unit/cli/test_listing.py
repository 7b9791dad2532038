"""ps's table: a template of plain fields between tabs (the default one) prints without the
template engine, exactly as the engine prints it."""

from __future__ import annotations

import pytest
from dockyard.cli import listing

ROWS = [
    {"ID": "0123456789ab", "Image": "busybox", "Command": '"sleep 600"', "Status": "Up 1 second",
     "Ports": "", "Names": "web", "RunningFor": "2 seconds ago", "Size": "0B"},
    {"ID": "ba9876543210", "Image": "127.0.0.1:5000/x:1", "Command": '"sh -c \'a\tb\'"',
     "Status": "Exited (0) 3 hours ago", "Ports": "0.0.0.0:80->80/tcp", "Names": "a-much-longer-name",
     "RunningFor": "3 hours ago", "Size": "1.2kB (virtual 4MB)"},
]  # fmt: skip


@pytest.mark.parametrize(
    "template",
    [
        listing.PS_DEFAULT,
        listing.PS_DEFAULT + "\t{{.Size}}",
        "table {{.Names}}\t{{ .Status }}",
        "table {{.ID}}",
    ],
)
def test_plain_columns_print_as_the_template_does(
    template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = listing.format_rows(ROWS, template, listing.PS_HEADERS, listing.PS_CONTEXT)
    assert listing._plain_columns(template[len("table") :].strip(), listing.PS_HEADERS)
    monkeypatch.setattr(listing, "_plain_columns", lambda body, headers: [])
    assert fast == listing.format_rows(ROWS, template, listing.PS_HEADERS, listing.PS_CONTEXT)
    assert fast.splitlines()[0].startswith(("CONTAINER ID", "NAMES"))


@pytest.mark.parametrize(
    "body", ["{{.Names}} {{.Status}}", "{{.Names}}\t{{.Nope}}", "{{.Names | upper}}", "x"]
)
def test_anything_else_goes_through_the_template(body: str) -> None:
    assert listing._plain_columns(body, listing.PS_HEADERS) == []
