from __future__ import annotations

import pytest
from dockyard.cli.names import familiar, repository_and_tag
from dockyard.cli.render import container_size, go_quote, human_duration, human_size, table


@pytest.mark.parametrize(
    "seconds,text",
    [
        (0.4, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (2 * 3600, "2 hours"),
        (47 * 3600, "47 hours"),
        (3 * 86400, "3 days"),
        (20 * 86400, "2 weeks"),
        (90 * 86400, "3 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_durations_as_docker_prints_them(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    "size,text", [(512, "512B"), (4_260_000, "4.26MB"), (1_234, "1.23kB"), (2e9, "2GB")]
)
def test_sizes_as_docker_prints_them(size: float, text: str) -> None:
    assert human_size(size) == text


@pytest.mark.parametrize(
    "size,text",
    [(512, "512B"), (1_049_000, "1.049MB"), (16_430_000, "16.43MB"), (999_999, "1000kB")],
)
def test_sizes_as_docker_s_system_df_prints_them(size: float, text: str) -> None:
    assert human_size(size, 4) == text  # units.HumanSize: 4 significant digits


@pytest.mark.parametrize(
    "rw,root_fs,text",
    [
        (0, 1_240_000, "0B (virtual 1.24MB)"),
        (1_052_672, 2_292_672, "1.05MB (virtual 2.29MB)"),
        (4096, 0, "4.1kB"),  # nothing known of its image: docker's leaves "virtual" out
    ],
)
def test_ps_size_column_as_docker_s(rw: int, root_fs: int, text: str) -> None:
    assert container_size(rw, root_fs) == text


def test_tables_align_like_tabwriter() -> None:
    out = table([["CONTAINER ID", "IMAGE", "NAMES"], ["abc", "busybox:latest", "x"]])
    assert out == "CONTAINER ID   IMAGE            NAMES\nabc            busybox:latest   x\n"


def test_names() -> None:
    assert familiar("docker.io/library/busybox:latest") == "busybox:latest"
    assert repository_and_tag("docker.io/library/busybox:1") == ("busybox", "1")
    assert repository_and_tag("localhost:5000/a/b:v2") == ("localhost:5000/a/b", "v2")


def test_go_quote_as_strconv_quote() -> None:
    assert go_quote("it's x\"y \\ \t\n\x01\x7f é") == '"it\'s x\\"y \\\\ \\t\\n\\x01\\x7f é"'
    assert go_quote("\u200b\U000e0001") == '"\\u200b\\U000e0001"'
