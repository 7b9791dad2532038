"""One stage of a build, step by step: its base (an image, pulled when missing or asked; another
stage; scratch), the base's ONBUILD triggers, then each instruction — from the cache when its
key is there (and its layer snapshot still is), else done and cached.

    ARG            the stage's build args (a given --build-arg wins over the default)
    RUN            a container on the step's snapshot (`runstep.py`), its changes a layer
    COPY, ADD      written into the step's snapshot (`copystep.py`), its changes a layer
    WORKDIR        the config (`metadata.py`), its directory made in a layer (`configstep.py`)
    anything else  the config and history only (`metadata.py`), in an intermediate container
                   of docker's on a miss (`configstep.py`)

Every step, ARG included, then leaves an image (`stepimage.py`), as docker's classic builder
commits one: " ---> <id>" is its short ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dockyard.api import errors
from dockyard.api.tasks import finish
from dockyard.services.engine.build import (
    cache,
    cachefrom,
    configstep,
    copystep,
    createdby,
    metadata,
    remote,
    shellwords,
    stepimage,
)
from dockyard.services.engine.build.dockerfile import parse
from dockyard.services.engine.build.imagestate import (
    DEFAULT_SHELL,
    ImageState,
    Layer,
    StepResult,
    chain_id,
    from_image,
    history,
    scratch,
    with_default_path,
)
from dockyard.services.engine.build.instructions import (
    Arg,
    BuildLabel,
    Copy,
    Instruction,
    Run,
    Value,
    parse_node,
)
from dockyard.services.engine.build.job import BuildJob, StageOutput, StepFailed
from dockyard.services.engine.build.layers import commit_layer
from dockyard.services.engine.build.runstep import RunRequest, default_stubs, network_mode
from dockyard.services.engine.build.runvolumes import MountSet
from dockyard.services.engine.build.stages import Stage
from dockyard.services.engine.clients.images import Image, Platform, RegistryAuth
from dockyard.services.engine.clients.snapshots import Mount

Make = Callable[[], Awaitable[StepResult]]
DOCKER_HUB = "https://index.docker.io/v1/"


@dataclass
class RunPlan:
    """A RUN step with its words expanded: what its cache key and its container take."""

    step: Run
    argv: list[str]
    seen: dict[str, str]  # the build args its environment gets (those ENV does not set)
    workdir: str
    network: str
    mounts: MountSet


def _of_platform(image: Image, platform: Platform | None) -> bool:
    if platform is None:
        return True
    return (image.os, image.architecture) == (platform.os, platform.architecture) and (
        not platform.variant or image.variant == platform.variant
    )


def short(key: str) -> str:
    return key.removeprefix("sha256:").removeprefix("image:sha256:")[:12]


class StageRunner:
    def __init__(self, job: BuildJob, numbers: dict[int, int], total: int) -> None:
        self._job = job
        self._numbers = numbers  # id(instruction) -> its step number
        self._total = total

    async def run(self, stage: Stage, out: StageOutput) -> ImageState:
        self._announce(stage.origin, out)
        state = await self._base(stage, out)
        args: dict[str, str] = {}
        state = await self._triggers(state, args, out)
        out.text(f" ---> {short(state.image_id)}")  # after the triggers, as docker's
        for step in stage.steps:
            self._announce(step, out)
            state = await self.step(step, state, args, out)
            out.text(f" ---> {short(state.image_id)}")
        return state

    def _announce(self, instruction: Instruction, out: StageOutput) -> None:
        number = self._numbers.get(id(instruction))
        if number is not None:
            out.text(f"Step {number}/{self._total} : {instruction.text}")

    # -- the base ---------------------------------------------------------------------------

    async def _base(self, stage: Stage, out: StageOutput) -> ImageState:
        if stage.base_stage is not None:
            built = await self._job.stages[stage.base_stage]
            return replace(built, cmd_set=False, base_id="")
        platform = self._platform(stage)
        if stage.base.lower() == "scratch":
            if platform is None or platform == Platform("linux", self._job.architecture):
                return scratch("scratch", self._job.architecture)
            if platform.os != "linux":  # moby's GetImageAndReleasableLayer: IsOSSupported
                raise errors.InvalidArgument("operating system is not supported")
            return scratch(f"scratch:{platform.os}/{platform.architecture}", platform.architecture)
        image = await self.image(stage.base, out, platform)
        return with_default_path(await self.image_state(image))

    def _platform(self, stage: Stage) -> Platform | None:
        """FROM --platform's, or build --platform's (None: neither given, any local image of
        that name will do)."""
        if not stage.platform:
            return self._job.platform
        os_, _, rest = stage.platform.partition("/")
        architecture, _, variant = rest.partition("/")
        if not os_ or not architecture or "/" in variant:
            raise errors.InvalidArgument(
                f"FROM --platform={stage.platform}: a platform is os/arch[/variant]"
            )
        return Platform(os_, architecture, variant)

    async def image(self, ref: str, out: StageOutput, platform: Platform | None = None) -> Image:
        """The image `ref` names: pulled when missing (or of another platform than
        `platform`, when one is asked for), or always with --pull."""
        images = self._job.clients.images
        async with self._job.lock(f"pull {ref}"):
            if not self._job.options.pull:
                with contextlib.suppress(errors.NotFound):
                    image = await images.get(ref)
                    if _of_platform(image, platform):
                        return image
            final: Image | None = None
            async for progress in images.pull(ref, self._auth(ref), platform):
                if progress.status and progress.status not in ("Downloading", "Extracting"):
                    out.text(
                        f"{progress.id}: {progress.status}" if progress.id else progress.status
                    )
                final = progress.image or final
            return final or await images.get(ref)

    def _auth(self, ref: str) -> RegistryAuth:
        return self._job.options.auths.get(registry_key(ref)) or RegistryAuth()

    async def image_state(self, image: Image) -> ImageState:
        if image.manifest is None or not image.manifest.digest:
            raise errors.FailedPrecondition(f"image {image.id} has no manifest to build on")
        images = self._job.clients.images
        config = await images.read_blob(image.id)
        manifest = await images.read_blob(image.manifest.digest)
        return from_image(image.id, config, manifest)

    async def _triggers(
        self, state: ImageState, args: dict[str, str], out: StageOutput
    ) -> ImageState:
        triggers = list(state.config.get("OnBuild") or [])
        if not triggers:
            return state
        state = replace(state, config={**state.config, "OnBuild": None})
        out.text(f"# Executing {len(triggers)} build trigger{'s' if len(triggers) > 1 else ''}")
        for trigger in triggers:
            for node in parse(trigger).nodes:
                state = await self.step(parse_node(node), state, args, out)
        return state

    # -- one step ---------------------------------------------------------------------------

    async def step(
        self, step: Instruction, state: ImageState, args: dict[str, str], out: StageOutput
    ) -> ImageState:
        env = metadata.expansion_env(state, args)
        escape = self._job.plan.escape
        if isinstance(step, Arg):
            self._declare(step, args, env)
            declared = metadata.declared(step, state, env, escape)
            return await self._config_step(step, state, declared, out)
        if isinstance(step, BuildLabel):
            return await self._config_step(step, state, metadata.build_label(step, state), out)
        if isinstance(step, Run):
            return await self._run(step, state, args, env, out)
        if isinstance(step, Copy):
            return await self._copy(step, state, env, out)
        result = metadata.apply(step, state, env, escape)
        after = await self._config_step(step, state, result, out)
        return replace(after, cmd_set=True) if step.node.command == "cmd" else after

    async def _config_step(
        self, step: Instruction, state: ImageState, result: StepResult, out: StageOutput
    ) -> ImageState:
        """A step that changes the config (and history) only, or WORKDIR: done in an
        intermediate container on a miss, as docker's (`configstep.py`)."""
        described: dict[str, Any] = {
            "meta": step.text,
            "config": result.config,
            "author": result.author,
        }
        workdir = isinstance(step, Value) and step.kind == "workdir"
        if workdir:
            described["mkdir"] = True  # its directory is made in a layer

        async def make() -> StepResult:
            done = await configstep.intermediate(self._job, state, result, workdir, out)
            self._record_chain(state, done.layer)
            return done

        return await self._cached(state, described, out, make, result)

    def _declare(self, step: Arg, args: dict[str, str], env: dict[str, str]) -> None:
        given = self._job.options.build_args
        for name, default in step.pairs:
            if name in given:
                args[name] = given[name]
                self._job.used_args.add(name)
            elif default is not None:
                args[name] = shellwords.word(default, env, self._job.plan.escape)
            elif name in self._job.plan.meta_env:
                args[name] = self._job.plan.meta_env[name]

    async def _cached(
        self,
        state: ImageState,
        described: dict[str, Any],
        out: StageOutput,
        make: Make,
        probe: StepResult,
    ) -> ImageState:
        """The step from the cache (or, with --cache-from, from a source image: `probe` is
        what its result will look like), else made by `make`."""
        key = cache.key(state.key, described)
        if not self._job.options.no_cache:
            hit = await self._hit(state, key, probe)
            if hit is not None and await self._usable(state, hit):
                out.text(" ---> Using cache")
                return await self._commit(state, state.apply(key, hit), True)
        result = await make()
        self._job.cache.put(key, result)
        return await self._commit(state, state.apply(key, result), False)

    async def _commit(self, before: ImageState, after: ImageState, cached: bool) -> ImageState:
        """The step's image, made on the image `before` is."""
        clients = self._job.clients
        image_id = await stepimage.commit(clients, after, before.image_id, cached)
        return replace(after, image_id=image_id)

    async def _hit(self, state: ImageState, key: str, probe: StepResult) -> StepResult | None:
        if not self._job.options.cache_from:
            return self._job.cache.get(key)
        async with self._job.lock("cache sources"):
            if self._job.cache_sources is None:
                refs = self._job.options.cache_from
                images = self._job.clients.images
                self._job.cache_sources = await cachefrom.sources(
                    refs, images.get, self.image_state
                )
        return cachefrom.match(state, probe, self._job.cache_sources)

    async def _usable(self, state: ImageState, hit: StepResult) -> bool:
        """A cached layer is used only while its snapshot is there."""
        if hit.layer is None:
            return True
        diff_ids = [layer.diff_id for layer in state.layers] + [hit.layer.diff_id]
        return await self._job.clients.snapshots.exists(chain_id(diff_ids))

    # -- RUN --------------------------------------------------------------------------------

    async def _run(
        self,
        step: Run,
        state: ImageState,
        args: dict[str, str],
        env: dict[str, str],
        out: StageOutput,
    ) -> ImageState:
        escape = self._job.plan.escape
        workdir = state.config.get("WorkingDir") or "/"
        plan = RunPlan(
            step,
            run_argv(step, state),
            {k: v for k, v in args.items() if k not in state.env()},
            workdir,
            network_mode(step.network or self._job.options.network),
            MountSet(self._job, [shellwords.word(m, env, escape) for m in step.mounts], workdir),
        )
        if step.security and step.security != "sandbox":
            raise errors.InvalidArgument(f"RUN --security={step.security} is not supported")
        described = {
            "run": plan.argv,
            "args": plan.seen,
            "mounts": await plan.mounts.describe(self, out),
            "network": plan.network,
        }
        probe = StepResult(state.config, history(createdby.run(plan.argv, plan.seen), False))
        return await self._cached(
            state, described, out, lambda: self._execute(plan, state, out), probe
        )

    async def _execute(self, plan: RunPlan, state: ImageState, out: StageOutput) -> StepResult:
        """The RUN's container on a new snapshot, and its changes made a layer."""
        key = self._job.snapshot_key()
        rootfs = await self._job.clients.snapshots.prepare(key, state.chain_id)
        try:
            request = await self._container(plan, state, key, rootfs, out)
            out.text(f"Removing intermediate container {request.hostname}")
            layer = await commit_layer(
                self._job.clients, key, _diff_ids(state), default_stubs(request)
            )
            self._record_chain(state, layer)
        except BaseException:
            with contextlib.suppress(errors.DockyardError):
                await self._job.clients.snapshots.remove(key)
            raise
        created_by = createdby.run(plan.argv, plan.seen)
        return StepResult(state.config, history(created_by, empty=layer is None), layer)

    async def _container(
        self, plan: RunPlan, state: ImageState, key: str, rootfs: list[Mount], out: StageOutput
    ) -> RunRequest:
        """Run the command to its end (StepFailed unless it exits 0)."""
        env = [*(state.config.get("Env") or []), *(f"{k}={v}" for k, v in plan.seen.items())]
        async with plan.mounts.mounted(key) as oci_mounts:
            request = RunRequest(
                self._job.task_id(),
                plan.argv,
                env,
                rootfs,
                state.config.get("User") or "",
                plan.workdir,
                plan.network,
                oci_mounts,
                self._job.options.host,
            )
            out.text(f" ---> Running in {request.hostname}")
            code = await self._job.runner.run(request, out.output)
        if code != 0:
            argv, step = plan.argv, plan.step
            shown = " ".join(argv) if step.shell_form else str(argv).replace("'", '"')
            message = f"The command '{shown}' returned a non-zero code: {code}"
            raise StepFailed(message, code, step.line)
        return request

    # -- COPY, ADD --------------------------------------------------------------------------

    async def _copy(
        self, step: Copy, state: ImageState, env: dict[str, str], out: StageOutput
    ) -> ImageState:
        workdir = state.config.get("WorkingDir") or "/"
        prepared = copystep.prepare(step, env, workdir, self._job.plan.escape)
        if prepared.urls:
            downloads = self._job.scratch / f"add-{secrets.token_hex(8)}"
            try:
                return await self._copy_prepared(
                    step, state, prepared, await self._fetched(prepared, downloads), out
                )
            finally:
                await finish(asyncio.to_thread(shutil.rmtree, downloads, True))
        source = await self.source(
            shellwords.word(step.source_stage, env, self._job.plan.escape), out
        )
        return await self._copy_prepared(step, state, prepared, source, out)

    async def _fetched(
        self, prepared: copystep.PreparedCopy, directory: Path
    ) -> copystep.CopySource:
        """ADD's URLs downloaded into `directory`, which is then the step's context."""
        names = await asyncio.to_thread(remote.download, prepared.urls, directory)
        prepared.patterns = names
        return copystep.CopySource(context=directory, remote=True)

    async def _copy_prepared(
        self,
        step: Copy,
        state: ImageState,
        prepared: copystep.PreparedCopy,
        source: copystep.CopySource,
        out: StageOutput,
    ) -> ImageState:
        digest = ""
        if source.context is not None and prepared.patterns:
            digest = await copystep.digest_context(prepared, source.context)
        described = prepared.describe(source, digest)

        async def make() -> StepResult:
            key = self._job.snapshot_key()
            await self._job.clients.snapshots.prepare(key, state.chain_id)
            try:
                await copystep.write(
                    self._job.clients, self._job.mounter, key, state, prepared, source
                )
                layer = await commit_layer(self._job.clients, key, _diff_ids(state), [])
                self._record_chain(state, layer)
            except BaseException:
                with contextlib.suppress(errors.DockyardError):
                    await self._job.clients.snapshots.remove(key)
                raise
            created_by = prepared.created_by(state.config, described)
            return StepResult(state.config, history(created_by, empty=layer is None), layer)

        probe = StepResult(
            state.config, history(prepared.created_by(state.config, described), False)
        )
        return await self._cached(state, described, out, make, probe)

    def _record_chain(self, state: ImageState, layer: Layer | None) -> None:
        """A layer snapshot the build committed, for `builder prune` to find."""
        if layer is not None:
            diff_ids = [*_diff_ids(state), layer.diff_id]
            self._job.cache.add_chain(chain_id(diff_ids), len(diff_ids))

    async def source(self, ref: str, out: StageOutput) -> copystep.CopySource:
        """The context (no --from), a stage (by name or index), or an image."""
        if not ref:
            return copystep.CopySource(context=self._job.context.directory)
        found = self._job.plan.stage(ref, len(self._job.plan.stages))
        if found is not None:
            if found.index not in self._job.stages:
                raise errors.InvalidArgument(f"stage {ref} is not built before it is used")
            return copystep.CopySource(state=await self._job.stages[found.index])
        if ref.lower() == "scratch":
            return copystep.CopySource(state=scratch("scratch", self._job.architecture))
        try:
            image = await self.image(ref, out)
        except errors.DockyardError as err:
            raise type(err)(f"invalid from flag value {ref}: {err}") from None
        return copystep.CopySource(state=await self.image_state(image))


def registry_key(ref: str) -> str:
    """The registry `ref` is pulled from, as docker's config.json names it."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return DOCKER_HUB if first in ("docker.io", "index.docker.io") else first
    return DOCKER_HUB


def run_argv(step: Run, state: ImageState) -> list[str]:
    """RUN's command: the exec form as given; the shell form through SHELL (a heredoc alone
    is the script; a heredoc after a command is handed to the shell as written)."""
    if not step.shell_form:
        return list(step.command)
    shell = list(state.config.get("Shell") or DEFAULT_SHELL)
    command = step.command[0]
    if step.heredocs:
        words = command.split()
        if (
            len(step.heredocs) == 1
            and len(words) == 1
            and words[0].lstrip("0123456789").startswith("<<")
        ):
            return [*shell, step.heredocs[0].body]
        bodies = "".join(f"{doc.body}{doc.name}\n" for doc in step.heredocs)
        command = f"{command}\n{bodies}"
    return [*shell, command]


def _diff_ids(state: ImageState) -> list[str]:
    return [layer.diff_id for layer in state.layers]
