"""The shim's server: one select loop serving the runtime's requests for one container.

It owns the container's stdio (pipes, or a pty master), writes its json-file log, fans output
out to attached streams and stdin in, reaps the init, answers waits once the process has
exited and its output has drained, and exits after `delete`. Single-threaded: `selectors`, a
SIGCHLD wake-up pipe and blocking sends with a timeout (a stalled client is dropped, never
allowed to stall the container). Requests and responses: protos/dockyard/runtime/shim/v1.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import selectors
import signal
import socket
import struct
import termios
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.api import framing
from dockyard.runtime.shim.v1 import shim_pb2 as pb
from dockyard.shim.logfile import JsonLog
from dockyard.shim.task import Task, TaskError

SEND_TIMEOUT = 5.0
READ_CHUNK = 64 * 1024


@dataclass
class Client:
    sock: socket.socket
    decoder: framing.Decoder = field(default_factory=framing.Decoder)
    attaches: dict[int, bool] = field(default_factory=dict)  # stream → forwards stdin
    waits: set[int] = field(default_factory=set)


class Server:
    def __init__(self, task: Task, listener: socket.socket) -> None:
        self.task = task
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.clients: dict[int, Client] = {}
        self.log: JsonLog | None = None
        self.open_outputs: set[int] = set()
        self.stdin_buffer = b""
        self.stdin_closing = False
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
            request = pb.Request()
            request.ParseFromString(frame.payload)
            self._dispatch(client, frame.stream, request)

    def _drop(self, client: Client) -> None:
        fd = client.sock.fileno()
        if fd in self.clients:
            self.selector.unregister(client.sock)
            del self.clients[fd]
        client.sock.close()

    def _send(self, client: Client, stream: int, response: pb.Response, end: bool = False) -> None:
        try:
            client.sock.sendall(
                framing.encode(stream, response.SerializeToString(), framing.END if end else 0)
            )
        except OSError:
            self._drop(client)

    # -- requests -----------------------------------------------------------------------------

    def _dispatch(self, client: Client, stream: int, request: pb.Request) -> None:
        op = request.WhichOneof("op")
        try:
            handler = getattr(self, f"_op_{op}")
            handler(client, stream, request)
        except TaskError as err:
            self._send(
                client,
                stream,
                pb.Response(error=pb.Error(kind=err.kind, message=str(err))),
                end=True,
            )
            self._maybe_stopped()  # a failed start is an exit
        except OSError as err:
            self._send(
                client,
                stream,
                pb.Response(error=pb.Error(kind="Internal", message=str(err))),
                end=True,
            )

    def _reply_state(self, client: Client, stream: int) -> None:
        self._send(client, stream, pb.Response(state=self.state()), end=True)

    def state(self) -> pb.State:
        status = {"new": "created"}.get(self.task.status, self.task.status)
        state = pb.State(pid=self.task.pid, status=status)
        if self.task.status == "stopped" and self.task.exit is not None:
            state.exit.CopyFrom(self._exit())
        return state

    def _exit(self) -> pb.Exit:
        record = self.task.exit
        assert record is not None
        return pb.Exit(
            exit_code=record.code, exited_at_ns=record.at_ns, oom_killed=record.oom_killed
        )

    def _op_create(self, client: Client, stream: int, request: pb.Request) -> None:
        if self.task.status != "new":
            raise TaskError("AlreadyExists", f"task {self.task.id} already created")
        create = request.create
        if create.log_path:
            self.log = JsonLog(create.log_path, create.log_max_size, create.log_max_files)
        self.task.create(list(create.rootfs), create.terminal, create.stdin)
        for fd in (self.task.stdio.stdout, self.task.stdio.stderr, self.task.stdio.master):
            if fd is not None:
                self.open_outputs.add(fd)
                self.selector.register(fd, selectors.EVENT_READ, self._on_stdio)
        self._reply_state(client, stream)

    def _op_start(self, client: Client, stream: int, request: pb.Request) -> None:
        self.task.start()
        self._reply_state(client, stream)

    def _op_kill(self, client: Client, stream: int, request: pb.Request) -> None:
        if self.task.status == "stopped":
            raise TaskError("FailedPrecondition", f"task {self.task.id} is not running")
        self.task.kill(request.kill.signal, request.kill.all)
        self._reply_state(client, stream)

    def _op_state(self, client: Client, stream: int, request: pb.Request) -> None:
        self._reply_state(client, stream)

    def _op_wait(self, client: Client, stream: int, request: pb.Request) -> None:
        if self.task.status == "stopped":
            self._send(client, stream, pb.Response(exit=self._exit()), end=True)
        else:
            client.waits.add(stream)

    def _op_delete(self, client: Client, stream: int, request: pb.Request) -> None:
        if self.task.status in ("created", "running"):
            raise TaskError(
                "FailedPrecondition", f"cannot delete task {self.task.id}: it is {self.task.status}"
            )
        self.task.cleanup()
        self._reply_state(client, stream)
        self.done = True

    def _op_attach(self, client: Client, stream: int, request: pb.Request) -> None:
        self._send(client, stream, pb.Response(attached=True))
        if self.task.status == "stopped" or (self.task.status != "new" and not self.open_outputs):
            self._send(client, stream, pb.Response(), end=True)
            return
        client.attaches[stream] = request.attach.stdin

    def _op_stdin(self, client: Client, stream: int, request: pb.Request) -> None:
        if client.attaches.get(stream) and not self.stdin_closing:
            self._write_stdin(request.stdin)

    def _op_close_stdin(self, client: Client, stream: int, request: pb.Request) -> None:
        if client.attaches.get(stream):
            self.stdin_closing = True
            self._write_stdin(b"")

    def _op_resize(self, client: Client, stream: int, request: pb.Request) -> None:
        if self.task.stdio.master is not None:
            size = struct.pack("HHHH", request.resize.height, request.resize.width, 0, 0)
            fcntl.ioctl(self.task.stdio.master, termios.TIOCSWINSZ, size)

    # -- stdio ----------------------------------------------------------------------------------

    def _on_stdio(self, fd: int, events: int) -> None:
        if events & selectors.EVENT_WRITE:
            self._flush_stdin(fd)
        if events & selectors.EVENT_READ and fd in self.open_outputs:
            self._on_output(fd)

    def _on_output(self, fd: int) -> None:
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as err:  # EIO: the pty's last slave closed
            if err.errno != errno.EIO:
                raise
            data = b""
        if not data:
            self._output_closed(fd)
            return
        name = "stderr" if fd == self.task.stdio.stderr else "stdout"
        if self.log is not None:
            self.log.write(name, data)
        response = pb.Response(stderr=data) if name == "stderr" else pb.Response(stdout=data)
        for client in list(self.clients.values()):
            for stream in list(client.attaches):
                self._send(client, stream, response)

    def _output_closed(self, fd: int) -> None:
        self.open_outputs.discard(fd)
        self._interest(
            fd, read=False, write=bool(self.stdin_buffer) and fd == self.task.stdio.master
        )
        if not self.open_outputs:
            if self.log is not None:
                self.log.flush()
            for client in list(self.clients.values()):
                for stream in list(client.attaches):
                    self._send(client, stream, pb.Response(), end=True)
                client.attaches.clear()
            self._maybe_stopped()

    def _write_stdin(self, data: bytes) -> None:
        fd = self.task.stdio.master if self.task.stdio.master is not None else self.task.stdio.stdin
        if fd is None:
            return
        self.stdin_buffer += data
        self._flush_stdin(fd)

    def _flush_stdin(self, fd: int, _: int = 0) -> None:
        try:
            while self.stdin_buffer:
                self.stdin_buffer = self.stdin_buffer[os.write(fd, self.stdin_buffer) :]
        except BlockingIOError:
            self._interest(fd, read=fd in self.open_outputs, write=True)
            return
        except OSError:  # the process closed its stdin
            self.stdin_buffer = b""
        self._interest(fd, read=fd in self.open_outputs, write=False)
        if self.stdin_closing and fd == self.task.stdio.stdin:
            os.close(fd)
            self.task.stdio.stdin = None

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

    # -- exit -------------------------------------------------------------------------------------

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
            if pid == self.task.pid:
                self.task.reaped(status)
                self._maybe_stopped()

    def _maybe_stopped(self) -> None:
        if self.task.exit is None or self.open_outputs or self.task.status == "stopped":
            return
        self.task.stopped()
        response = pb.Response(exit=self._exit())
        for client in list(self.clients.values()):
            for stream in client.waits:
                self._send(client, stream, response, end=True)
            client.waits.clear()


def serve(task_id: str, bundle: Path, listener: socket.socket) -> None:
    task = Task(task_id, bundle)
    Server(task, listener).serve()
