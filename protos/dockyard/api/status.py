"""Maps Dockyard errors onto gRPC status codes and back, at process boundaries only.

Servers install `ErrorInterceptor`: a handler raises a `DockyardError`, the caller receives its
status code, its one-line message and its class name (trailing metadata `dockyard-error`).
Clients dial through `translators()` (see `bootstrap.dial`), which raises that same class
again, so code on either side of a socket handles errors the same way. Anything else a handler
raises is a bug: it is logged with its traceback and reaches the caller as `Internal`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from dockyard.api import errors

log = logging.getLogger(__name__)

ERROR_CLASS_KEY = "dockyard-error"

_CODES: dict[type[errors.DockyardError], grpc.StatusCode] = {
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unimplemented: grpc.StatusCode.UNIMPLEMENTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Cancelled: grpc.StatusCode.CANCELLED,
    errors.Internal: grpc.StatusCode.INTERNAL,
}
_CLASSES = {code: cls for cls, code in _CODES.items()}


def code_of(err: errors.DockyardError) -> grpc.StatusCode:
    """The status code of `err`: that of its nearest ancestor in the table."""
    for cls in type(err).__mro__:
        if cls in _CODES:
            return _CODES[cls]
    return grpc.StatusCode.INTERNAL


def from_rpc_error(err: grpc.RpcError, target: str = "") -> errors.DockyardError:
    """Rebuild the Dockyard error a server raised from the gRPC error a client received."""
    code: grpc.StatusCode = err.code()
    details: str = err.details() or code.name.lower()
    name = ""
    for key, value in err.trailing_metadata() or ():
        if key == ERROR_CLASS_KEY:
            name = value
    cls = errors.by_name(name) or _CLASSES.get(code, errors.Internal)
    if not name and code is grpc.StatusCode.UNAVAILABLE:
        cls = errors.Unreachable  # no server answered: it would have named the class
        details = f"cannot reach {target or 'the service'}: {details}"
    if not name and code is grpc.StatusCode.DEADLINE_EXCEEDED:
        details = f"{target or 'service'} did not answer in time"
    return cls(details)


async def _abort(context: grpc.aio.ServicerContext, err: errors.DockyardError) -> None:
    # a peer this server could not reach is, for this server's caller, Unavailable: the
    # caller did reach this server
    cls = errors.Unavailable if isinstance(err, errors.Unreachable) else type(err)
    await context.abort(
        code_of(err), str(err), trailing_metadata=((ERROR_CLASS_KEY, cls.__name__),)
    )


def _internal(service: str, method: str, exc: BaseException) -> errors.Internal:
    log.exception("%s %s failed", service, method, exc_info=exc)
    return errors.Internal(f"internal error in {service}: {type(exc).__name__}: {exc}")


class ErrorInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Turns what handlers raise into status codes (see the module docstring)."""

    def __init__(self, service: str) -> None:
        self._service = service

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return None
        method = details.method.rsplit("/", 1)[-1]
        if handler.response_streaming:
            behavior = handler.unary_stream or handler.stream_stream
            wrapped: Any = self._wrap_stream(method, behavior)
            factory = (
                grpc.stream_stream_rpc_method_handler
                if handler.request_streaming
                else grpc.unary_stream_rpc_method_handler
            )
        else:
            behavior = handler.unary_unary or handler.stream_unary
            wrapped = self._wrap_unary(method, behavior)
            factory = (
                grpc.stream_unary_rpc_method_handler
                if handler.request_streaming
                else grpc.unary_unary_rpc_method_handler
            )
        return factory(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap_unary(self, method: str, behavior: Any) -> Any:
        async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
            try:
                return await behavior(request, context)
            except errors.DockyardError as err:
                await _abort(context, err)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001 - the process boundary: report, never swallow
                await _abort(context, _internal(self._service, method, exc))

        return handle

    def _wrap_stream(self, method: str, behavior: Any) -> Any:
        async def handle(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            try:
                async for response in behavior(request, context):
                    yield response
            except errors.DockyardError as err:
                await _abort(context, err)
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001 - the process boundary: report, never swallow
                await _abort(context, _internal(self._service, method, exc))

        return handle


class _Translator:
    """Client side: raises the `DockyardError` the server raised instead of `AioRpcError`.

    grpc.aio files each interceptor under one call kind only (the first of the four base
    classes it matches), so there is one subclass per kind; `translators()` makes all four.
    Streaming calls come back as plain async iterators: pass request streams as iterators
    rather than calling `write()` on the call object.
    """

    def __init__(self, target: str) -> None:
        self._target = target

    async def _unary(self, continuation: Any, details: Any, request: Any) -> Any:
        try:
            return await (await continuation(details, request))
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err, self._target) from None

    async def _streaming(self, continuation: Any, details: Any, request: Any) -> Any:
        try:
            return self._stream(await continuation(details, request))
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err, self._target) from None

    async def _stream(self, call: Any) -> AsyncIterator[Any]:
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err, self._target) from None
        finally:
            call.cancel()


class _UnaryUnary(_Translator, grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await self._unary(continuation, details, request)


class _StreamUnary(_Translator, grpc.aio.StreamUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        # grpc.aio awaits what this returns as a call (unlike unary-unary): wrap, not await
        return _TranslatingCall(await continuation(details, requests), self._target)


class _TranslatingCall:
    """A call whose awaiting raises Dockyard errors; everything else is the call's own."""

    def __init__(self, call: Any, target: str) -> None:
        self._call = call
        self._target = target

    def __await__(self) -> Any:
        try:
            return (yield from self._call.__await__())
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err, self._target) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class _UnaryStream(_Translator, grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await self._streaming(continuation, details, request)


class _StreamStream(_Translator, grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await self._streaming(continuation, details, requests)


def translators(target: str) -> list[Any]:
    """The client interceptors that turn gRPC errors back into Dockyard errors."""
    return [kind(target) for kind in (_UnaryUnary, _StreamUnary, _UnaryStream, _StreamStream)]
