"""Timings over gRPC: a server that is asked records the request's phases and returns them; a
client passes the question on and collects what comes back (timings.py has the format).

    server = grpc.aio.server(interceptors=[TimingsInterceptor(), ErrorInterceptor(name)])
    channel = grpc.aio.insecure_channel(address, interceptors=[*translators(t), *asking()])

`TimingsInterceptor`: when a call's metadata has `dockyard-timings: 1`, the handler runs with a
recorder current (`timings.recording`), and the phases it recorded go back in the call's
trailing metadata once it has succeeded (a failed call returns its error, not its phases).

`asking()`: while the current request records, each unary call this process makes asks the
callee for its phases too and adds them to the request's (they are named by the callee's
process already: `runtime.shim`, `shim.setup`). Streaming calls do not ask.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from dockyard.api.timings import ASKED, HEADER, Timings, current, decode, recording


def asked(context: grpc.aio.ServicerContext) -> bool:
    return any(k == HEADER and v == ASKED for k, v in context.invocation_metadata() or ())


class TimingsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Records the phases of the calls that ask for them (see the module docstring)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not any(k == HEADER for k, _ in details.invocation_metadata or ()):
            return handler
        if handler.response_streaming:
            behavior = handler.unary_stream or handler.stream_stream
            wrapped: Any = _recorded_stream(behavior)
            factory = (
                grpc.stream_stream_rpc_method_handler
                if handler.request_streaming
                else grpc.unary_stream_rpc_method_handler
            )
        else:
            behavior = handler.unary_unary or handler.stream_unary
            wrapped = _recorded_unary(behavior)
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


def _recorded_unary(behavior: Any) -> Any:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
        if not asked(context):
            return await behavior(request, context)
        with recording() as timings:
            response = await behavior(request, context)
        _reply(context, timings)
        return response

    return handle


def _recorded_stream(behavior: Any) -> Any:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        if not asked(context):
            async for response in behavior(request, context):
                yield response
            return
        with recording() as timings:
            async for response in behavior(request, context):
                yield response
        _reply(context, timings)

    return handle


def _reply(context: grpc.aio.ServicerContext, timings: Timings) -> None:
    context.set_trailing_metadata(((HEADER, timings.encode()),))


class _Asking(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        timings = current()
        if timings is None:
            return await continuation(details, request)
        call = await continuation(_with_question(details), request)
        response = await call
        collect(timings, await call.trailing_metadata())
        return response


def _with_question(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata(*(details.metadata or ()), (HEADER, ASKED))
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


def collect(timings: Timings, trailing: Any) -> None:
    """Add the phases in `trailing` metadata; a callee's unreadable ones are left out (they
    are a report, never worth failing the call for)."""
    for key, value in trailing or ():
        if key == HEADER:
            try:
                timings.extend(decode(value))
            except ValueError:
                continue


def asking() -> list[Any]:
    """The client interceptors that pass the question on (inside the error translators)."""
    return [_Asking()]
