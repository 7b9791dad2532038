"""`logs --details`: the attributes docker's json-file driver gives each line of a container.

They come from the container's log opts: `labels` and `env` (comma-separated names of its
labels and environment variables), `labels-regex` and `env-regex` (those whose name matches),
and `tag` (a template over the container's and image's names and IDs). `--details` prints them
before each line, sorted by name, each `name=value` query-escaped, joined by commas, then a
space; a container with none gets the space alone. They are worked out when the log is read:
docker writes them into every line of its file, but they only depend on what the container was
created with.
"""

from __future__ import annotations

import re
import urllib.parse

from dockyard.api import errors
from dockyard.services.engine.model import Container

OPTS = ("labels", "labels-regex", "env", "env-regex", "tag")
TAG_FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
TAG_FIELDS = ("ID", "FullID", "Name", "ImageID", "ImageFullID", "ImageName", "DaemonName")


def check(opts: dict[str, str]) -> None:
    """Refuse, at create, log opts of these five that could not be worked out."""
    for key in ("labels-regex", "env-regex"):
        if key in opts:
            try:
                re.compile(opts[key])
            except re.error as err:
                raise errors.InvalidArgument(f"invalid {key} '{opts[key]}': {err}") from None
    tag = opts.get("tag", "")
    unknown = [f for f in TAG_FIELD.findall(tag) if f not in TAG_FIELDS]
    if unknown or "{{" in TAG_FIELD.sub("", tag):
        raise errors.InvalidArgument(
            f"invalid log tag template '{tag}': only "
            + ", ".join("{{." + f + "}}" for f in TAG_FIELDS)
            + " are supported"
        )


def attributes(container: Container, image_name: str) -> dict[str, str]:
    opts = container.host_config.log_config.config
    labels = container.config.labels
    env = dict(e.split("=", 1) for e in container.config.env if "=" in e)
    found: dict[str, str] = {}
    found |= {k: labels[k] for k in _names(opts.get("labels", "")) if k in labels}
    if opts.get("labels-regex"):
        found |= {k: v for k, v in labels.items() if re.search(opts["labels-regex"], k)}
    found |= {k: env[k] for k in _names(opts.get("env", "")) if k in env}
    if opts.get("env-regex"):
        found |= {k: v for k, v in env.items() if re.search(opts["env-regex"], k)}
    if opts.get("tag"):
        found["tag"] = _tag(opts["tag"], container, image_name)
    return found


def prefix(container: Container, image_name: str) -> bytes:
    """What `--details` puts before each of the container's lines."""
    pairs = sorted(attributes(container, image_name).items())
    text = ",".join(f"{_escaped(k)}={_escaped(v)}" for k, v in pairs)
    return f"{text} ".encode()


def _names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def _escaped(text: str) -> str:
    return urllib.parse.quote_plus(text, safe="")


def _tag(template: str, container: Container, image_name: str) -> str:
    image_id = container.image.removeprefix("sha256:")
    fields = {
        "ID": container.short_id,
        "FullID": container.id,
        "Name": container.name.removeprefix("/"),
        "ImageID": image_id[:12],
        "ImageFullID": container.image,
        "ImageName": image_name,
        "DaemonName": "dockyard",
    }
    return TAG_FIELD.sub(lambda m: fields[m.group(1)], template)
