"""Where one command's time went, phase by phase, as each process measured it.

    timings = Timings()
    with timings.phase("engine.resolve"):
        ...
    metadata = [(HEADER, timings.encode())]     # the engine's trailing metadata

A phase is a name, when it began and how long it took. Every process of one host reads the
same wall clock (time.time_ns), so phases measured by the CLI, the engine, the runtime and
the shim line up without translation; the CLI shows them relative to its own start.

How phases travel (`dockyard run --timings`, or DOCKYARD_TIMINGS=1 for any command): the CLI
sends the request metadata `dockyard-timings: 1`; a service that sees it records its phases and
returns them, encoded, in the trailing metadata `dockyard-timings` of that call; a service that
called another one for the request (the engine calling the runtime, the runtime asking a shim)
appends the callee's phases to its own, named `<process>.<phase>` (`engine.resolve`,
`runtime.bundle`, `shim.rootfs`). Encoding: `name@start_ns+duration_ns` joined by commas;
names are `[a-z0-9_.-]`. Nothing here imports gRPC: the shim uses it too.

Inside a service, the request's recorder is the context's (a ContextVar, so tasks the request
starts record into it too): the server side sets it up (`recording`, see timings_rpc.py) and
domain code only says what it is doing,

    with timings.phase("engine.snapshot"):
        mounts = await snapshots.prepare(...)

which costs nothing when no one asked. A recorder is closed when its request ends: a task
that outlives the request (an exit watcher started by `run -d`) records nothing more.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field

HEADER = "dockyard-timings"
ASKED = "1"
_NAME = re.compile(r"[a-z0-9_.-]{1,64}")
MAX_PHASES = 256


@dataclass(frozen=True)
class Phase:
    name: str
    start_ns: int  # time.time_ns() when it began
    duration_ns: int

    def encode(self) -> str:
        return f"{self.name}@{self.start_ns}+{self.duration_ns}"


@dataclass
class Timings:
    phases: list[Phase] = field(default_factory=list)
    closed: bool = False  # the request ended: what comes later is no one's

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.time_ns()
        try:
            yield
        finally:
            self.add(name, start, time.time_ns() - start)

    def add(self, name: str, start_ns: int, duration_ns: int) -> None:
        if not _NAME.fullmatch(name):
            raise ValueError(f"bad phase name {name!r}")
        if not self.closed and len(self.phases) < MAX_PHASES:
            self.phases.append(Phase(name, start_ns, max(0, duration_ns)))

    def extend(self, phases: Iterable[Phase], prefix: str = "") -> None:
        for phase in phases:
            self.add(f"{prefix}{phase.name}", phase.start_ns, phase.duration_ns)

    def encode(self) -> str:
        return ",".join(phase.encode() for phase in self.phases)


_current: ContextVar[Timings | None] = ContextVar("dockyard_timings", default=None)


def current() -> Timings | None:
    """The recorder of the request being served, when its caller asked for timings."""
    timings = _current.get()
    return None if timings is None or timings.closed else timings


def phase(name: str) -> AbstractContextManager[None]:
    """Record `name` into the current request's phases (nothing, when none are asked)."""
    timings = current()
    return nullcontext() if timings is None else timings.phase(name)


@contextmanager
def made_current(timings: Timings | None) -> Iterator[None]:
    """`timings` as the current recorder (a client's own, e.g. the CLI's with --timings): the
    unary calls made meanwhile ask their callee for its phases and add them
    (timings_rpc.asking). Nothing changes with None."""
    token = _current.set(timings) if timings is not None else None
    try:
        yield
    finally:
        if token is not None:
            with suppress(ValueError):
                _current.reset(token)


@contextmanager
def recording() -> Iterator[Timings]:
    """A recorder for the request being served, current for it and the tasks it starts;
    closed when the request ends."""
    timings = Timings()
    token = _current.set(timings)
    try:
        yield timings
    finally:
        timings.closed = True
        with suppress(ValueError):  # ended in another context: a generator finalised late
            _current.reset(token)


def decode(text: str) -> list[Phase]:
    """The phases in `text`; ValueError when it is not what `encode` makes."""
    phases = []
    for item in filter(None, text.split(",")):
        name, _, times = item.partition("@")
        start, _, duration = times.partition("+")
        if not _NAME.fullmatch(name) or not start.isdigit() or not duration.isdigit():
            raise ValueError(f"bad timings item {item!r}")
        phases.append(Phase(name, int(start), int(duration)))
    if len(phases) > MAX_PHASES:
        raise ValueError(f"{len(phases)} phases")
    return phases


def render(phases: Iterable[Phase], origin_ns: int) -> str:
    """A table in milliseconds from `origin_ns` (the CLI's start), in the order phases began
    (a `*.total` phase last)."""
    ordered = sorted(phases, key=lambda p: (p.name.endswith(".total"), p.start_ns, -p.duration_ns))
    width = max((len(p.name) for p in ordered), default=5)
    lines = [f"{'PHASE':<{width}}  {'START':>9}  {'TOOK':>9}"]
    for phase in ordered:
        start = (phase.start_ns - origin_ns) / 1e6
        lines.append(f"{phase.name:<{width}}  {start:>6.1f} ms  {phase.duration_ns / 1e6:>6.1f} ms")
    return "\n".join(lines) + "\n"
