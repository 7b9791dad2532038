"""One build's shared state and what it reports: its options, the engine's clients and the
builder's parts, the results of the stages (as they finish), and the events it streams.

Events (what a client draws; docker's classic builder's words):

    Text       a line of the builder's own ("Step 2/5 : RUN make", " ---> Using cache")
    RunOutput  what a RUN's command printed
    Built      the image, last
    Failed     why the build failed (a RUN's exit code, the Dockerfile line), last
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.services.engine.build.cache import BuildCache
from dockyard.services.engine.build.context import Context
from dockyard.services.engine.build.imagestate import ImageState
from dockyard.services.engine.build.mounting import Mounter
from dockyard.services.engine.build.runstep import RunStep
from dockyard.services.engine.build.stages import Plan
from dockyard.services.engine.clients import Clients
from dockyard.services.engine.clients.images import Platform, RegistryAuth
from dockyard.services.engine.model import HostConfig

SNAPSHOT_PREFIX = "build-"


@dataclass
class BuildOptions:
    tags: list[str] = field(default_factory=list)
    dockerfile: str = "Dockerfile"  # its path inside the context
    build_args: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    pull: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    network: str = ""  # RUN's network: "" (the default bridge), "none", "host"
    auths: dict[str, RegistryAuth] = field(default_factory=dict)  # by registry (config.json keys)
    host: HostConfig = field(default_factory=HostConfig)  # every RUN's container's (runhost.py)
    cache_from: list[str] = field(default_factory=list)  # images that may serve as cache
    platform: str = ""  # the FROMs' platform when they give none ("" = the host's)
    squash: bool = False  # refused: it needs dockerd's experimental mode


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class RunOutput:
    data: bytes


@dataclass(frozen=True)
class Built:
    image_id: str
    names: list[str]


@dataclass(frozen=True)
class Failed:
    message: str
    code: int = 1  # a RUN's exit code
    line: int = 0  # the Dockerfile line of the step that failed


Event = Text | RunOutput | Built | Failed


class StepFailed(Exception):
    """A RUN's command exited non-zero (the build ends with `Failed`)."""

    def __init__(self, message: str, code: int, line: int) -> None:
        super().__init__(message)
        self.message, self.code, self.line = message, code, line


class StageOutput:
    """A stage's events, queued until the executor streams them in Dockerfile order."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()

    def text(self, line: str) -> None:
        self._queue.put_nowait(Text(line if line.endswith("\n") else line + "\n"))

    def output(self, data: bytes) -> None:
        self._queue.put_nowait(RunOutput(data))

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def events(self) -> list[Event] | None:
        """The next event(s), or None once the stage is done."""
        first = await self._queue.get()
        if first is None:
            return None
        found: list[Event] = [first]
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:
                self._queue.put_nowait(None)
                break
            found.append(item)
        return found


@dataclass
class BuildJob:
    id: str  # 16 hex digits: names the build's snapshots ("build-<id>-<n>") and tasks
    options: BuildOptions
    clients: Clients
    cache: BuildCache
    context: Context
    plan: Plan
    mounter: Mounter
    runner: RunStep
    cache_mounts: Path  # RUN --mount=type=cache directories (kept between builds)
    scratch: Path  # the build's own files (removed with it)
    architecture: str = "amd64"
    platform: Platform | None = None  # --platform's: every FROM's that names none
    cache_sources: list[ImageState] | None = None  # --cache-from's images (None: not read yet)
    stages: dict[int, asyncio.Future[ImageState]] = field(default_factory=dict)
    used_args: set[str] = field(default_factory=set)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=itertools.count)

    def snapshot_key(self) -> str:
        return f"{SNAPSHOT_PREFIX}{self.id}-{next(self._counter)}"

    def task_id(self) -> str:
        """A RUN's task (and sandbox) ID: the builder's prefix and 58 random hex digits."""
        return f"{SNAPSHOT_PREFIX}{secrets.token_hex(29)}"

    def lock(self, name: str) -> asyncio.Lock:
        return self.locks.setdefault(name, asyncio.Lock())
