"""ADD's URL sources: each file downloaded into a directory of the build's own, as docker's
classic builder fetches them, then copied like a context file.

    download(urls, directory)   the files, named as docker names them, in `directory`

A file is named after the response's Content-Disposition filename, else the last part of the
URL's path ("cannot determine filename from url" when there is none); it is never extracted,
its mode is 0600 (ADD --chmod changes it) and its time the response's Last-Modified, else
now. A status of 400 or more fails the build with it ("Got HTTP status code >= 400: 404 Not
Found", docker's words). Only http and https are fetched; the engine's own network (the
host's) fetches them, as dockerd does, with the engine's proxy variables.

The step's cache key holds each file's name and content, so a rebuild downloads again and
uses the cache while the content is unchanged (the classic builder's behaviour).
"""

from __future__ import annotations

import email.message
import email.utils
import os
import posixpath
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from dockyard.api.errors import InvalidArgument

TIMEOUT_SECONDS = 60
SCHEMES = ("http", "https")


def is_url(source: str) -> bool:
    return "://" in source


def download(urls: list[str], directory: Path) -> list[str]:
    """Fetch every URL into `directory` (made here); the files' names, in order."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return [_fetch(url, directory) for url in urls]


def _fetch(url: str, directory: Path) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise InvalidArgument(f"ADD from a URL: unsupported scheme in {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            name = _filename(url, parts.path, response.headers)
            target = directory / name
            with open(target, "xb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
            modified = response.headers.get("Last-Modified")
    except urllib.error.HTTPError as err:
        raise InvalidArgument(
            f"failed to download {url}: Got HTTP status code >= 400: {err.code} {err.reason}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", None) or err
        raise InvalidArgument(f"failed to download {url}: {reason}") from None
    os.chmod(target, 0o600)
    if modified and (when := _time(modified)) is not None:
        os.utime(target, (when, when))
    return name


def _filename(url: str, path: str, headers: email.message.Message) -> str:
    """Content-Disposition's filename, else the path's last part: a plain name either way."""
    given = headers.get_filename() if headers.get("Content-Disposition") else None
    name = posixpath.basename(given or urllib.parse.unquote(path))
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise InvalidArgument(f"cannot determine filename from url: {url}")
    return name


def _time(header: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None
