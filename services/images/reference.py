"""Docker image references: parsing, normalisation and the familiar short form.

    busybox                       → docker.io/library/busybox:latest
    localhost:5000/team/app:v1    → localhost:5000/team/app:v1
    busybox@sha256:<64 hex>       → docker.io/library/busybox@sha256:<64 hex>

The grammar is docker's (distribution/reference): the first component is a registry domain
when it has a "." or a ":" or is "localhost"; repository components are lowercase letters and
digits joined by ".", "_", "__" or dashes; a tag is up to 128 word characters, dots and dashes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockyard.api.errors import InvalidArgument

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
MAX_NAME = 255

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN = re.compile(
    r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
    r"(?::[0-9]+)?|\[[0-9a-fA-F:]+\](?::[0-9]+)?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}")


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str  # "library/busybox"
    tag: str = ""
    digest: str = ""

    @property
    def repository(self) -> str:
        """ "docker.io/library/busybox"."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def name(self) -> str:
        """The name an image is recorded under: repository:tag (or @digest when no tag)."""
        return f"{self.repository}:{self.tag}" if self.tag else f"{self.repository}@{self.digest}"


def parse(text: str) -> Reference:
    """Parse and normalise a reference; InvalidArgument with docker's wording when invalid."""
    if not text:
        raise InvalidArgument("invalid reference format")
    remainder, digest = text, ""
    if "@" in remainder:
        remainder, digest = remainder.split("@", 1)
        if not _DIGEST.fullmatch(digest):
            raise InvalidArgument("invalid reference format")
        if digest.startswith("sha256:") and len(digest) != 71:
            raise InvalidArgument("invalid checksum digest length")
    name, tag = remainder, ""
    colon = remainder.rfind(":")
    if colon > remainder.rfind("/"):
        name, tag = remainder[:colon], remainder[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise InvalidArgument("invalid reference format")
    domain, path = _split_domain(name)
    if len(name) > MAX_NAME:
        raise InvalidArgument(
            "invalid reference format: repository name must not be more than 255 characters"
        )
    for component in path.split("/"):
        if not _COMPONENT.fullmatch(component):
            if _COMPONENT.fullmatch(component.lower()):
                raise InvalidArgument("invalid reference format: repository name must be lowercase")
            raise InvalidArgument("invalid reference format")
    if not tag and not digest:
        tag = DEFAULT_TAG
    return Reference(domain, path, tag, digest)


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if not _DOMAIN.fullmatch(first):
            raise InvalidArgument("invalid reference format")
        domain, path = first, rest
    else:
        domain, path = DEFAULT_DOMAIN, name
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    if not path:
        raise InvalidArgument("invalid reference format")
    return domain, path


def familiar(name: str) -> str:
    """docker.io/library/busybox:latest → busybox:latest; other registries stay as they are."""
    if name.startswith(DEFAULT_DOMAIN + "/"):
        name = name[len(DEFAULT_DOMAIN) + 1 :]
        if name.startswith(OFFICIAL_PREFIX):
            name = name[len(OFFICIAL_PREFIX) :]
    return name


def is_name_only(text: str) -> bool:
    """Whether `text` names a repository alone: no tag, no digest (distribution's IsNameOnly)."""
    parsed = parse(text)
    return "@" not in text and not text.endswith(f":{parsed.tag}")


def is_digest_prefix(text: str) -> bool:
    """Whether `text` could be (a prefix of) an image ID: hex, optionally after "sha256:"."""
    bare = text.removeprefix("sha256:")
    return 0 < len(bare) <= 64 and all(c in "0123456789abcdef" for c in bare)
