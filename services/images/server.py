"""The images service's gRPC adapter (dockyard.images.v1.Images)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dockyard.api.errors import InvalidArgument
from dockyard.images.v1 import images_pb2 as pb
from dockyard.images.v1 import images_pb2_grpc
from dockyard.services.images.archives import Archives
from dockyard.services.images.images import Images, Progress
from dockyard.services.images.imagestore import ImageRecord
from dockyard.services.images.jobs import Job
from dockyard.services.images.pull import Puller
from dockyard.services.images.push import Pusher
from dockyard.services.images.registry import Registries, login_domain
from dockyard.services.images.registry_auth import Credentials
from dockyard.services.images.server_authoring import AuthoringRPCs
from dockyard.services.images.shapes import parse_time
from dockyard.services.images.unpack import chain_ids
from dockyard.types.v1 import types_pb2

Context = Any


class ImagesServicer(AuthoringRPCs, images_pb2_grpc.ImagesServicer):
    def __init__(self, images: Images, registries: Registries) -> None:
        self._images = images
        self._registries = registries
        self._puller = Puller(images, registries)
        self._pusher = Pusher(images, registries)
        self._archives = Archives(images)

    async def Pull(
        self, request: pb.PullRequest, context: Context
    ) -> AsyncIterator[pb.PullProgress]:
        platform = request.platform if request.HasField("platform") else None
        job = self._puller.start(request.ref, platform, request.auth, request.all_tags)
        context.add_done_callback(lambda _: job.cancel())  # the client went away: stop
        async for progress in job.progress():
            yield self._progress(progress)

    async def Push(
        self, request: pb.PushRequest, context: Context
    ) -> AsyncIterator[pb.PullProgress]:
        job = self._pusher.start(request.ref, request.auth)
        context.add_done_callback(lambda _: job.cancel())  # the client went away: stop
        async for progress in job.progress():
            yield self._progress(progress)

    async def Save(self, request: pb.SaveRequest, context: Context) -> AsyncIterator[pb.BlobChunk]:
        async for piece in self._archives.save(list(request.refs)):
            yield pb.BlobChunk(data=piece)

    async def Load(
        self, request_iterator: AsyncIterator[pb.LoadRequest], context: Context
    ) -> AsyncIterator[pb.PullProgress]:
        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                yield message.chunk

        job = Job.start(lambda report: self._archives.load(chunks(), report))
        context.add_done_callback(lambda _: job.cancel())  # the client went away: stop
        async for progress in job.progress():
            yield self._progress(progress)

    async def Login(self, request: pb.LoginRequest, context: Context) -> pb.LoginResponse:
        auth = request.auth
        credentials = Credentials(
            auth.username, auth.password, auth.identity_token, auth.registry_token
        )
        await self._registries.get(login_domain(request.server), credentials).login()
        return pb.LoginResponse(status="Login Succeeded")

    async def Import(
        self, request_iterator: AsyncIterator[pb.ImportRequest], context: Context
    ) -> pb.Image:
        first = await anext(request_iterator, None)
        if first is None or not first.HasField("header"):
            raise InvalidArgument("the first import message must be the header")

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                yield message.chunk

        image = await self._images.import_tarball(first.header.ref, first.header.message, chunks())
        return self.image(image)

    async def Get(self, request: pb.GetImageRequest, context: Context) -> pb.Image:
        return self.image(self._images.get(request.ref))

    async def List(self, request: pb.ListImagesRequest, context: Context) -> pb.ListImagesResponse:
        return pb.ListImagesResponse(
            images=[
                self.image(i) for i in self._images.matching(list(request.filters), request.all)
            ]
        )

    async def Tag(self, request: pb.TagImageRequest, context: Context) -> pb.Image:
        return self.image(self._images.tag(request.source, request.target))

    async def Remove(
        self, request: pb.RemoveImageRequest, context: Context
    ) -> pb.RemoveImageResponse:
        removal = await self._images.remove(
            request.ref,
            request.force,
            set(request.in_use),
            not request.no_prune,
            request.untag_only,
        )
        return pb.RemoveImageResponse(
            untagged=removal.untagged, deleted=removal.deleted, reclaimed=removal.reclaimed
        )

    async def Unpack(
        self, request: pb.UnpackRequest, context: Context
    ) -> AsyncIterator[pb.PullProgress]:
        image = self._images.get(request.ref)
        async for progress in self._images.unpack(image):
            yield self._progress(progress)

    def _progress(self, progress: Progress) -> pb.PullProgress:
        message = pb.PullProgress(
            id=progress.id, status=progress.status, current=progress.current, total=progress.total
        )
        if progress.image is not None:
            message.image.CopyFrom(self.image(progress.image))
        return message

    def image(self, image: ImageRecord) -> pb.Image:
        doc = image.config
        c = doc.get("config") or {}
        history = doc.get("history") or []
        message = pb.Image(
            id=image.id,
            repo_tags=image.names,
            repo_digests=image.repo_digests,
            size=self._images.layer_sizes(image.diff_ids) or image.size,
            os=doc.get("os", ""),
            architecture=doc.get("architecture", ""),
            variant=doc.get("variant", ""),
            config=pb.ImageConfig(
                user=c.get("User") or "",
                env=c.get("Env") or [],
                entrypoint=c.get("Entrypoint") or [],
                cmd=c.get("Cmd") or [],
                working_dir=c.get("WorkingDir") or "",
                labels=c.get("Labels") or {},
                exposed_ports=sorted(c.get("ExposedPorts") or {}),
                volumes=sorted(c.get("Volumes") or {}),
                stop_signal=c.get("StopSignal") or "",
                shell=c.get("Shell") or [],
                args_escaped=bool(c.get("ArgsEscaped")),
                healthcheck=_healthcheck(c.get("Healthcheck")),
            ),
            diff_ids=image.diff_ids,
            layer_sizes=[self._images.store.layer_size(c) for c in chain_ids(image.diff_ids)],
            chain_id=(chain_ids(image.diff_ids) or [""])[-1],
            manifest=types_pb2.Descriptor(
                media_type=image.manifest.media_type,
                digest=image.manifest.digest,
                size=image.manifest.size,
            ),
            author=doc.get("author", ""),
            comment=(history[-1].get("comment", "") if history else ""),
            docker_version=doc.get("docker_version", ""),
            parent=image.parent,
        )
        if doc.get("created"):
            message.created.FromDatetime(parse_time(doc["created"]))
        return message


def _healthcheck(doc: Any) -> pb.Healthcheck | None:
    """The config's Healthcheck (HEALTHCHECK), validated by the schema before it was stored."""
    if not isinstance(doc, dict) or not doc.get("Test"):
        return None
    return pb.Healthcheck(
        test=[str(word) for word in doc["Test"]],
        interval=int(doc.get("Interval") or 0),
        timeout=int(doc.get("Timeout") or 0),
        start_period=int(doc.get("StartPeriod") or 0),
        retries=int(doc.get("Retries") or 0),
    )
