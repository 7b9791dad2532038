"""The build context the CLI sends: a tar as docker's CLI makes it (docker's pkg/archive over
Go's archive/tar), so the "Sending build context" size is docker's for the same directory."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from dockyard.cli.buildcontext import prepare


def test_a_dockerfile_alone_is_the_2048_bytes_dockers_tar_makes(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox\n")
    os.utime(dockerfile, (1_700_000_000.75, 1_700_000_000.75))  # a fraction of a second
    prepared = prepare(str(tmp_path), "")
    with prepared.stream:
        data = prepared.stream.read()
    assert prepared.size == len(data) == 2048  # header, one data block, two zero blocks
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        (member,) = tar.getmembers()
    assert (member.name, member.mtime, member.pax_headers) == ("Dockerfile", 1_700_000_000, {})
