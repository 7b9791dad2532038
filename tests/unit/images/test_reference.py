from __future__ import annotations

import pytest
from dockyard.api.errors import InvalidArgument
from dockyard.services.images.reference import familiar, is_name_only, parse
from dockyard.services.images.registry import _next_page, scheme_for

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "text,expected",
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("team/app", "docker.io/team/app:latest"),
        ("index.docker.io/library/busybox", "docker.io/library/busybox:latest"),
        ("localhost/app", "localhost/app:latest"),
        ("localhost:5000/a/b:v1", "localhost:5000/a/b:v1"),
        ("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest"),
        ("registry.example.com/a_b/c-d.e:T_1.0", "registry.example.com/a_b/c-d.e:T_1.0"),
        (f"busybox@{DIGEST}", f"docker.io/library/busybox@{DIGEST}"),
        (f"busybox:1@{DIGEST}", f"docker.io/library/busybox:1@{DIGEST}"),
    ],
)
def test_normalisation(text: str, expected: str) -> None:
    assert str(parse(text)) == expected


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "invalid reference format"),
        ("Busybox", "repository name must be lowercase"),
        ("busybox:", "invalid reference format"),
        ("bad name", "invalid reference format"),
        ("busybox@sha256:" + "a" * 40, "invalid checksum digest length"),
        ("busybox@sha256:abc", "invalid reference format"),
        ("a" * 256, "must not be more than 255"),
        ("-lead/x", "invalid reference format"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse(text)


def test_familiar() -> None:
    assert familiar("docker.io/library/busybox:latest") == "busybox:latest"
    assert familiar("docker.io/team/app:v1") == "team/app:v1"
    assert familiar("localhost:5000/x:1") == "localhost:5000/x:1"


@pytest.mark.parametrize(
    "host,insecure,scheme",
    [
        ("localhost:5000", (), "http"),
        ("127.0.0.1:5000", (), "http"),
        ("[::1]:5000", (), "http"),
        ("registry.example.com", (), "https"),
        ("registry.lan:5000", ("registry.lan:5000",), "http"),
        ("10.1.2.3:5000", ("10.0.0.0/8",), "http"),
        ("11.1.2.3:5000", ("10.0.0.0/8",), "https"),
    ],
)
def test_plain_http_only_for_loopback_and_insecure(
    host: str, insecure: tuple[str, ...], scheme: str
) -> None:
    assert scheme_for(host, insecure) == scheme


@pytest.mark.parametrize(
    ("text", "name_only"),
    [
        ("busybox", True),
        ("localhost:5000/team/app", True),
        ("busybox:latest", False),
        ("localhost:5000/team/app:v1", False),
        (f"busybox@sha256:{'a' * 64}", False),
    ],
)
def test_a_name_alone_has_neither_tag_nor_digest(text: str, name_only: bool) -> None:
    assert is_name_only(text) is name_only


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ('</v2/app/tags/list?last=b&n=2>; rel="next"', "http://r:5000/v2/app/tags/list?last=b&n=2"),
        (
            '<https://other/v2/app/tags/list?last=b>; rel="next"',
            "https://other/v2/app/tags/list?last=b",
        ),
        ('</v2/app/tags/list?last=b>; rel="prev"', ""),
        ("", ""),
    ],
)
def test_a_tag_lists_next_page_is_its_link_headers_next(link: str, url: str) -> None:
    assert _next_page(link, "http://r:5000") == url
