"""The shim's server: one select loop serving the runtime's requests for one container.

It routes the stdio of every process it supervises (the init, and execs) — output to the
json-file log and attached streams, stdin from them — reaps them, answers waits once a process
has exited *and* its output has drained, and exits after `delete`. Single-threaded: `selectors`,
a SIGCHLD wake-up pipe, and blocking sends with a timeout (a stalled client is dropped, never
allowed to stall the container). Requests and responses: protos/dockyard/runtime/shim/v1.

A stream is identified by (client, stream id): an attach stream listens to the init; an exec
stream is the exec's own (`exec_started`, its output, then `exit`); stdin, resize and
close_stdin requests act on the process of the stream they arrive on.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import signal
import socket
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.api import framing, timings
from dockyard.api import syscalls as sc
from dockyard.runtime.shim.v1 import shim_pb2 as pb
from dockyard.shim.logfile import JsonLog
from dockyard.shim.process import Process
from dockyard.shim.resources import ResourceError
from dockyard.shim.task import Task, TaskError
from google.protobuf.message import DecodeError

SEND_TIMEOUT = 5.0
READ_CHUNK = 64 * 1024


@dataclass(eq=False)
class Client:
    sock: socket.socket
    decoder: framing.Decoder = field(default_factory=framing.Decoder)


class Server:
    def __init__(self, task: Task, listener: socket.socket) -> None:
        self.task = task
        self.selector = selectors.DefaultSelector()
        self.clients: dict[int, Client] = {}
        self.owners: dict[int, Process] = {}  # stdio fd → its process
        self.streams: dict[tuple[object, int], Process] = {}  # attach/exec stream → process
        self.done = False
        self._wakeup_r, wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wakeup_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(self._wakeup_r, selectors.EVENT_READ, self._on_signal)
        self.selector.register(listener, selectors.EVENT_READ, self._on_accept)

    def serve(self) -> None:
        while not self.done:
            for key, events in self.selector.select():
                key.data(key.fileobj, events)

    # -- connections --------------------------------------------------------------------------

    def _on_accept(self, listener: socket.socket, _: int) -> None:
        sock, _addr = listener.accept()
        sock.settimeout(SEND_TIMEOUT)
        self.clients[sock.fileno()] = Client(sock)
        self.selector.register(sock, selectors.EVENT_READ, self._on_client)

    def _on_client(self, sock: socket.socket, _: int) -> None:
        client = self.clients[sock.fileno()]
        try:
            data = sock.recv(READ_CHUNK)
            frames = client.decoder.feed(data) if data else None
        except (OSError, framing.FrameError):
            frames = None
        if frames is None:
            self._drop(client)
            return
        for frame in frames:
            request = _parse(frame.payload)
            if request is None:  # not a request at all: the peer is broken or hostile
                self._drop(client)
                return
            self._dispatch(client, frame.stream, request)
            if client.sock.fileno() < 0:  # dropped while answering
                return

    def _drop(self, client: Client) -> None:
        fd = client.sock.fileno()
        if fd in self.clients:
            self.selector.unregister(client.sock)
            del self.clients[fd]
        for process in self._processes():
            process.drop_listener(lambda listener: listener[0] is client)
        self.streams = {k: v for k, v in self.streams.items() if k[0] is not client}
        client.sock.close()

    def _send(self, listener: tuple[object, int], response: pb.Response, end: bool = False) -> None:
        client, stream = listener
        assert isinstance(client, Client)
        try:
            client.sock.sendall(
                framing.encode(stream, response.SerializeToString(), framing.END if end else 0)
            )
        except OSError:
            self._drop(client)

    def _processes(self) -> list[Process]:
        return [self.task.init, *self.task.execs.values()]

    # -- requests -----------------------------------------------------------------------------

    def _dispatch(self, client: Client, stream: int, request: pb.Request) -> None:
        """Run one request; whatever goes wrong is that request's answer, never the shim's end
        (the container's life depends on this process)."""
        op = request.WhichOneof("op")
        listener = (client, stream)
        handler = getattr(self, f"_op_{op}", None) if op else None
        if handler is None:  # an empty frame, or an op this shim does not know
            self._refuse(listener, "InvalidArgument", f"unknown or empty request ({op or 'none'})")
            return
        try:
            with timings.recording() if request.timings else contextlib.nullcontext():
                handler(listener, request)
        except (TaskError, ResourceError, OSError, ValueError) as err:
            self._refuse(listener, _kind(err), str(err))
        except Exception as err:  # noqa: BLE001 - logged, answered; the shim goes on
            traceback.print_exc()
            self._refuse(listener, "Internal", f"the shim failed to {op}: {err}")

    def _refuse(self, listener: tuple[object, int], kind: str, message: str) -> None:
        self._send(listener, pb.Response(error=pb.Error(kind=kind, message=message)), end=True)
        self._maybe_done(self.task.init)  # a failed start is an exit

    def _reply_state(self, listener: tuple[object, int]) -> None:
        recorder = timings.current()  # the request asked for its phases
        response = pb.Response(state=self.state(), timings=recorder.encode() if recorder else "")
        self._send(listener, response, end=True)

    def state(self) -> pb.State:
        status = {"new": "created"}.get(self.task.status, self.task.status)
        state = pb.State(pid=self.task.pid, status=status)
        if self.task.status == "stopped" and self.task.init.exit is not None:
            state.exit.CopyFrom(_exit(self.task.init))
        return state

    def _op_create(self, listener: tuple[object, int], request: pb.Request) -> None:
        if self.task.status != "new":
            raise TaskError("AlreadyExists", f"task {self.task.id} already created")
        create = request.create
        if create.log_path:
            self.task.init.log = JsonLog(create.log_path, create.log_max_size, create.log_max_files)
        self.task.create(list(create.rootfs), create.terminal, create.stdin)
        if create.terminal and create.width and create.height:
            self.task.init.stdio.resize(create.width, create.height)
        self._watch(self.task.init)
        self._reply_state(listener)

    def _op_start(self, listener: tuple[object, int], request: pb.Request) -> None:
        self.task.start()
        self._reply_state(listener)

    def _op_kill(self, listener: tuple[object, int], request: pb.Request) -> None:
        if self.task.status == "stopped":
            raise TaskError("FailedPrecondition", f"task {self.task.id} is not running")
        self.task.kill(request.kill.signal, request.kill.all)
        self._reply_state(listener)

    def _op_state(self, listener: tuple[object, int], request: pb.Request) -> None:
        self._reply_state(listener)

    def _op_wait(self, listener: tuple[object, int], request: pb.Request) -> None:
        if self.task.status == "stopped":
            self._send(listener, pb.Response(exit=_exit(self.task.init)), end=True)
        else:
            self.task.init.waits.append(listener)

    def _op_delete(self, listener: tuple[object, int], request: pb.Request) -> None:
        if self.task.status in ("running", "paused") and self.task.init.exit is None:
            raise TaskError(
                "FailedPrecondition", f"cannot delete task {self.task.id}: it is {self.task.status}"
            )
        self.task.cleanup()  # a created init, still waiting for start, is killed with the rest
        self._reply_state(listener)
        self.done = True

    def _op_attach(self, listener: tuple[object, int], request: pb.Request) -> None:
        init = self.task.init
        self._send(listener, pb.Response(attached=True))
        if self.task.status == "stopped" or (self.task.status != "new" and not init.open_outputs):
            self._send(listener, pb.Response(), end=True)
            return
        init.attaches[listener] = request.attach.stdin
        self.streams[listener] = init

    def _op_exec(self, listener: tuple[object, int], request: pb.Request) -> None:
        spec = request.exec
        wanted = json.loads(spec.process)
        if spec.terminal and spec.width and spec.height:  # OCI's process.consoleSize
            wanted["consoleSize"] = {"width": spec.width, "height": spec.height}
        process = self.task.exec(spec.exec_id, wanted, spec.terminal, spec.stdin)
        self._watch(process)
        self._send(listener, pb.Response(exec_started=process.pid), end=spec.detach)
        if not spec.detach:
            process.attaches[listener] = spec.stdin
            process.waits.append(listener)
            self.streams[listener] = process

    def _op_stdin(self, listener: tuple[object, int], request: pb.Request) -> None:
        process = self.streams.get(listener)
        if process is not None and process.attaches.get(listener) and not process.stdin_closing:
            process.queue_stdin(request.stdin)
            self._flush_stdin(process)

    def _op_close_stdin(self, listener: tuple[object, int], request: pb.Request) -> None:
        process = self.streams.get(listener)
        if process is not None and process.attaches.get(listener):
            process.stdin_closing = True
            self._flush_stdin(process)

    def _op_resize(self, listener: tuple[object, int], request: pb.Request) -> None:
        process = self.streams.get(listener, self.task.init)
        process.stdio.resize(request.resize.width, request.resize.height)

    def _op_pause(self, listener: tuple[object, int], request: pb.Request) -> None:
        self.task.pause()
        self._reply_state(listener)

    def _op_resume(self, listener: tuple[object, int], request: pb.Request) -> None:
        self.task.resume()
        self._reply_state(listener)

    def _op_update(self, listener: tuple[object, int], request: pb.Request) -> None:
        self.task.update(json.loads(request.update))
        self._reply_state(listener)

    def _op_stats(self, listener: tuple[object, int], request: pb.Request) -> None:
        self._send(listener, pb.Response(stats=pb.Stats(**self.task.stats())), end=True)

    def _op_pids(self, listener: tuple[object, int], request: pb.Request) -> None:
        self._send(listener, pb.Response(pids=pb.Pids(pids=self.task.pids())), end=True)

    # -- stdio ----------------------------------------------------------------------------------

    def _watch(self, process: Process) -> None:
        process.output_started()
        for fd in process.stdio.outputs():
            self.owners[fd] = process
            self._interest(fd, read=True, write=False)
        if process.stdio.stdin is not None:
            self.owners[process.stdio.stdin] = process

    def _on_stdio(self, fd: int, events: int) -> None:
        process = self.owners[fd]
        if events & selectors.EVENT_WRITE:
            self._flush_stdin(process)
        if events & selectors.EVENT_READ and fd in process.open_outputs:
            self._on_output(process, fd)

    def _on_output(self, process: Process, fd: int) -> None:
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as err:  # EIO: the pty's last slave closed
            if err.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self._output_closed(process, fd)
            return
        process.record(data, fd)
        stream = process.stream_of(fd)
        response = pb.Response(stderr=data) if stream == "stderr" else pb.Response(stdout=data)
        for listener in list(process.attaches):
            self._send(listener, response)

    def _output_closed(self, process: Process, fd: int) -> None:
        ended = process.output_ended(fd)
        self._interest(
            fd, read=False, write=bool(process.stdin_buffer) and fd == process.stdio.master
        )
        if ended and process is self.task.init:
            for listener in list(process.attaches):
                self._send(listener, pb.Response(), end=True)
            process.attaches.clear()
        self._maybe_done(process)

    def _flush_stdin(self, process: Process) -> None:
        fd = process.stdio.input()
        if fd is None:
            return
        flushed = process.flush_stdin()
        self._interest(fd, read=fd in process.open_outputs, write=not flushed)

    def _interest(self, fd: int, read: bool, write: bool) -> None:
        """Watch `fd` for reading and/or writing (or not at all), whatever it was before."""
        events = (selectors.EVENT_READ if read else 0) | (selectors.EVENT_WRITE if write else 0)
        registered = fd in self.selector.get_map()
        if not events:
            if registered:
                self.selector.unregister(fd)
        elif registered:
            self.selector.modify(fd, events, self._on_stdio)
        else:
            self.selector.register(fd, events, self._on_stdio)

    # -- exits ----------------------------------------------------------------------------------

    def _on_signal(self, fd: int, _: int) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(fd, 512)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for process in self._processes():
                if process.pid == pid and process.exit is None:
                    process.reaped(status)
                    if process is self.task.init:
                        self.task.init_exited()
                    self._maybe_done(process)

    def _maybe_done(self, process: Process) -> None:
        if not process.done or process.finished:
            return
        process.finished = True
        if process is self.task.init:
            self.task.stopped()
        response = pb.Response(exit=_exit(process))
        for listener in process.waits:
            self._send(listener, response, end=True)
        process.waits.clear()
        process.attaches.clear()
        self.streams = {k: v for k, v in self.streams.items() if v is not process}
        for fd in [f for f, owner in self.owners.items() if owner is process]:
            if fd in self.selector.get_map():
                self.selector.unregister(fd)
            del self.owners[fd]
        if process is not self.task.init:
            process.stdio.close()


def _parse(payload: bytes) -> pb.Request | None:
    request = pb.Request()
    try:
        request.ParseFromString(payload)
    except DecodeError:
        return None
    return request


def _kind(err: Exception) -> str:
    if isinstance(err, TaskError):
        return err.kind
    if isinstance(err, ResourceError | ValueError):
        return "InvalidArgument"
    return "Internal"


def _exit(process: Process) -> pb.Exit:
    record = process.exit
    assert record is not None
    return pb.Exit(exit_code=record.code, exited_at_ns=record.at_ns, oom_killed=record.oom_killed)


def serve(task_id: str, bundle: Path, listener: socket.socket) -> None:
    """Serve one container. The shim is non-dumpable (nothing without CAP_SYS_PTRACE reads its
    memory or takes its fds, and every child starts so) and a child subreaper: the processes
    spawn.py starts, and an external runtime's, are reparented to it and reaped here."""
    from dockyard.shim import oci

    linux = sc.Linux()
    linux.prctl(sc.PR_SET_DUMPABLE, 0)
    linux.prctl(sc.PR_SET_CHILD_SUBREAPER, 1)
    runtime = oci.runtime_of(bundle)
    if runtime:  # an external OCI runtime runs the bundle
        task: Task = oci.OciTask(task_id, bundle, runtime)
    else:
        task = Task(task_id, bundle)
    Server(task, listener).serve()
