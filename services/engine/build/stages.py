"""The stage graph of a Dockerfile: which stages there are, what each builds on, and which a
build needs.

    ARG VERSION=1                       global ("meta") args: only FROM lines see them,
    FROM busybox:${VERSION} AS build    and a stage's own `ARG VERSION` imports the value
    RUN make
    FROM busybox                        stage 1, unnamed
    COPY --from=build /out /app         depends on `build` (by name, or by index: --from=0)

A stage depends on the stage its FROM names, and on those its `COPY --from` and
`RUN --mount=...,from=` name; a name no earlier stage has is an image. The target is the
last stage, or the one `--target` names; only the stages it needs (transitively) are built,
each once, and those that do not need each other may build at once (`executor.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dockyard.api.errors import InvalidArgument
from dockyard.services.engine.build import shellwords
from dockyard.services.engine.build.dockerfile import Dockerfile, ParseError
from dockyard.services.engine.build.instructions import (
    Arg,
    Copy,
    From,
    Instruction,
    Run,
    parse_node,
)


@dataclass
class Stage:
    index: int
    origin: From
    base: str  # the FROM image, meta args expanded (a stage name or an image reference)
    steps: list[Instruction] = field(default_factory=list)
    base_stage: int | None = None  # the stage FROM names, if it names one
    platform: str = ""  # FROM --platform, meta args expanded ("" = the host's)
    deps: set[int] = field(default_factory=set)  # every stage this one needs

    @property
    def name(self) -> str:
        return self.origin.name

    @property
    def label(self) -> str:
        """How errors and output refer to the stage."""
        return self.name or f"stage-{self.index}"


@dataclass
class Plan:
    meta_args: list[Arg]
    meta_env: dict[str, str]  # their values (build args given win over defaults)
    stages: list[Stage]
    escape: str = "\\"

    def stage(self, ref: str, before: int) -> Stage | None:
        """The stage `ref` names (by name, or by index) among the first `before` stages."""
        if ref.isdigit():
            index = int(ref)
            if index >= before:
                raise InvalidArgument(
                    f"invalid from flag value {ref}: refers to current or future build stage"
                )
            return self.stages[index]
        for stage in self.stages[:before]:
            if stage.name and stage.name == ref.lower():
                return stage
        return None

    def target(self, name: str) -> Stage:
        if not name:
            return self.stages[-1]
        for stage in self.stages:
            if stage.name == name.lower():
                return stage
        raise InvalidArgument(f'target stage "{name}" could not be found')

    def needed(self, target: Stage) -> list[Stage]:
        """`target` and every stage it needs, in Dockerfile order."""
        wanted, todo = set(), [target.index]
        while todo:
            index = todo.pop()
            if index not in wanted:
                wanted.add(index)
                todo.extend(self.stages[index].deps)
        return [s for s in self.stages if s.index in wanted]


def platform_args(architecture: str, os: str = "linux") -> dict[str, str]:
    """BuildKit's automatic args, the build's and the target's platform (the host's): every
    FROM sees them, a stage that declares `ARG TARGETARCH` gets its value."""
    values = {"PLATFORM": f"{os}/{architecture}", "OS": os, "ARCH": architecture, "VARIANT": ""}
    return {f"{side}{k}": v for side in ("BUILD", "TARGET") for k, v in values.items()}


def plan(
    dockerfile: Dockerfile,
    build_args: Mapping[str, str],
    automatic: Mapping[str, str] | None = None,
) -> Plan:
    """The stages of `dockerfile` and their dependencies (ParseError for a malformed one);
    `automatic` args (`platform_args`) are there before the first line, build args win."""
    instructions = [parse_node(node) for node in dockerfile.nodes]
    meta: list[Arg] = []
    stages: list[Stage] = []
    automatic = automatic or {}
    env = {**automatic, **{k: v for k, v in build_args.items() if k in automatic}}
    result = Plan(meta, env, stages, dockerfile.escape)
    for instruction in instructions:
        if isinstance(instruction, From):
            _add_stage(result, instruction)
        elif not stages:
            if not isinstance(instruction, Arg):
                raise ParseError(
                    instruction.line,
                    f"{instruction.node.command.upper()} before the first FROM: "
                    "no build stage in current context",
                )
            meta.append(instruction)
            _declare(result.meta_env, instruction, build_args, dockerfile.escape)
        else:
            stages[-1].steps.append(instruction)
            _add_deps(result, stages[-1], instruction)
    if not stages:
        raise InvalidArgument("the Dockerfile has no FROM instruction: no build stage")
    return result


def _declare(env: dict[str, str], arg: Arg, build_args: Mapping[str, str], escape: str) -> None:
    for name, default in arg.pairs:
        if name in build_args:
            env[name] = build_args[name]
        elif default is not None:
            env[name] = shellwords.word(default, env, escape)


def _add_stage(plan: Plan, origin: From) -> None:
    stages = plan.stages
    base = shellwords.word(origin.image, plan.meta_env, plan.escape)
    if not base:
        raise ParseError(origin.line, f"base name ({origin.image}) should not be blank")
    if origin.name and any(s.name == origin.name for s in stages):
        raise ParseError(origin.line, f"duplicate name {origin.name}")
    stage = Stage(len(stages), origin, base)
    stage.platform = shellwords.word(origin.platform, plan.meta_env, plan.escape)
    found = plan.stage(base, len(stages)) if not base.isdigit() else None
    if found is not None:
        stage.base_stage = found.index
        stage.deps.add(found.index)
    stages.append(stage)


def _add_deps(plan: Plan, stage: Stage, instruction: Instruction) -> None:
    for ref in _sources(instruction, plan):
        found = plan.stage(ref, stage.index)
        if found is not None:
            stage.deps.add(found.index)


def _sources(instruction: Instruction, plan: Plan) -> list[str]:
    """The stages or images an instruction reads from (meta args expanded)."""
    refs = []
    if isinstance(instruction, Copy) and instruction.source_stage:
        refs.append(instruction.source_stage)
    if isinstance(instruction, Run):
        for spec in instruction.mounts:
            for option in spec.split(","):
                key, _, value = option.partition("=")
                if key.strip().lower() == "from" and value:
                    refs.append(value)
    return [shellwords.word(r, plan.meta_env, plan.escape) for r in refs]
