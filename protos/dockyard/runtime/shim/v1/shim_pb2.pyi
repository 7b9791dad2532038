from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Request(_message.Message):
    __slots__ = ("create", "start", "kill", "state", "wait", "delete", "attach", "stdin", "resize", "close_stdin", "exec", "pause", "resume", "update", "stats", "pids", "timings")
    CREATE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    KILL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    ATTACH_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    RESIZE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_STDIN_FIELD_NUMBER: _ClassVar[int]
    EXEC_FIELD_NUMBER: _ClassVar[int]
    PAUSE_FIELD_NUMBER: _ClassVar[int]
    RESUME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    PIDS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    create: Create
    start: Empty
    kill: Kill
    state: Empty
    wait: Empty
    delete: Empty
    attach: Attach
    stdin: bytes
    resize: Resize
    close_stdin: Empty
    exec: Exec
    pause: Empty
    resume: Empty
    update: bytes
    stats: Empty
    pids: Empty
    timings: bool
    def __init__(self, create: _Optional[_Union[Create, _Mapping]] = ..., start: _Optional[_Union[Empty, _Mapping]] = ..., kill: _Optional[_Union[Kill, _Mapping]] = ..., state: _Optional[_Union[Empty, _Mapping]] = ..., wait: _Optional[_Union[Empty, _Mapping]] = ..., delete: _Optional[_Union[Empty, _Mapping]] = ..., attach: _Optional[_Union[Attach, _Mapping]] = ..., stdin: _Optional[bytes] = ..., resize: _Optional[_Union[Resize, _Mapping]] = ..., close_stdin: _Optional[_Union[Empty, _Mapping]] = ..., exec: _Optional[_Union[Exec, _Mapping]] = ..., pause: _Optional[_Union[Empty, _Mapping]] = ..., resume: _Optional[_Union[Empty, _Mapping]] = ..., update: _Optional[bytes] = ..., stats: _Optional[_Union[Empty, _Mapping]] = ..., pids: _Optional[_Union[Empty, _Mapping]] = ..., timings: _Optional[bool] = ...) -> None: ...

class Exec(_message.Message):
    __slots__ = ("exec_id", "process", "terminal", "stdin", "detach", "width", "height")
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    PROCESS_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    DETACH_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    process: bytes
    terminal: bool
    stdin: bool
    detach: bool
    width: int
    height: int
    def __init__(self, exec_id: _Optional[str] = ..., process: _Optional[bytes] = ..., terminal: _Optional[bool] = ..., stdin: _Optional[bool] = ..., detach: _Optional[bool] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class Stats(_message.Message):
    __slots__ = ("cpu_usage_ns", "system_cpu_ns", "online_cpus", "memory_usage", "memory_limit", "memory_cache", "pids_current", "pids_limit", "net_rx", "net_tx", "block_read", "block_write")
    CPU_USAGE_NS_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_CPU_NS_FIELD_NUMBER: _ClassVar[int]
    ONLINE_CPUS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USAGE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_CACHE_FIELD_NUMBER: _ClassVar[int]
    PIDS_CURRENT_FIELD_NUMBER: _ClassVar[int]
    PIDS_LIMIT_FIELD_NUMBER: _ClassVar[int]
    NET_RX_FIELD_NUMBER: _ClassVar[int]
    NET_TX_FIELD_NUMBER: _ClassVar[int]
    BLOCK_READ_FIELD_NUMBER: _ClassVar[int]
    BLOCK_WRITE_FIELD_NUMBER: _ClassVar[int]
    cpu_usage_ns: int
    system_cpu_ns: int
    online_cpus: int
    memory_usage: int
    memory_limit: int
    memory_cache: int
    pids_current: int
    pids_limit: int
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    def __init__(self, cpu_usage_ns: _Optional[int] = ..., system_cpu_ns: _Optional[int] = ..., online_cpus: _Optional[int] = ..., memory_usage: _Optional[int] = ..., memory_limit: _Optional[int] = ..., memory_cache: _Optional[int] = ..., pids_current: _Optional[int] = ..., pids_limit: _Optional[int] = ..., net_rx: _Optional[int] = ..., net_tx: _Optional[int] = ..., block_read: _Optional[int] = ..., block_write: _Optional[int] = ...) -> None: ...

class Pids(_message.Message):
    __slots__ = ("pids",)
    PIDS_FIELD_NUMBER: _ClassVar[int]
    pids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, pids: _Optional[_Iterable[int]] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Mount(_message.Message):
    __slots__ = ("type", "source", "options")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    type: str
    source: str
    options: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, type: _Optional[str] = ..., source: _Optional[str] = ..., options: _Optional[_Iterable[str]] = ...) -> None: ...

class Create(_message.Message):
    __slots__ = ("rootfs", "terminal", "stdin", "log_path", "log_max_size", "log_max_files", "width", "height")
    ROOTFS_FIELD_NUMBER: _ClassVar[int]
    TERMINAL_FIELD_NUMBER: _ClassVar[int]
    STDIN_FIELD_NUMBER: _ClassVar[int]
    LOG_PATH_FIELD_NUMBER: _ClassVar[int]
    LOG_MAX_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOG_MAX_FILES_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    rootfs: _containers.RepeatedCompositeFieldContainer[Mount]
    terminal: bool
    stdin: bool
    log_path: str
    log_max_size: int
    log_max_files: int
    width: int
    height: int
    def __init__(self, rootfs: _Optional[_Iterable[_Union[Mount, _Mapping]]] = ..., terminal: _Optional[bool] = ..., stdin: _Optional[bool] = ..., log_path: _Optional[str] = ..., log_max_size: _Optional[int] = ..., log_max_files: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class Kill(_message.Message):
    __slots__ = ("signal", "all")
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    signal: int
    all: bool
    def __init__(self, signal: _Optional[int] = ..., all: _Optional[bool] = ...) -> None: ...

class Attach(_message.Message):
    __slots__ = ("stdin",)
    STDIN_FIELD_NUMBER: _ClassVar[int]
    stdin: bool
    def __init__(self, stdin: _Optional[bool] = ...) -> None: ...

class Resize(_message.Message):
    __slots__ = ("width", "height")
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    width: int
    height: int
    def __init__(self, width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class Exit(_message.Message):
    __slots__ = ("exit_code", "exited_at_ns", "oom_killed")
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EXITED_AT_NS_FIELD_NUMBER: _ClassVar[int]
    OOM_KILLED_FIELD_NUMBER: _ClassVar[int]
    exit_code: int
    exited_at_ns: int
    oom_killed: bool
    def __init__(self, exit_code: _Optional[int] = ..., exited_at_ns: _Optional[int] = ..., oom_killed: _Optional[bool] = ...) -> None: ...

class State(_message.Message):
    __slots__ = ("pid", "status", "exit")
    PID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EXIT_FIELD_NUMBER: _ClassVar[int]
    pid: int
    status: str
    exit: Exit
    def __init__(self, pid: _Optional[int] = ..., status: _Optional[str] = ..., exit: _Optional[_Union[Exit, _Mapping]] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("kind", "message")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    message: str
    def __init__(self, kind: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("error", "state", "attached", "stdout", "stderr", "exit", "exec_started", "stats", "pids", "timings")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ATTACHED_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    EXIT_FIELD_NUMBER: _ClassVar[int]
    EXEC_STARTED_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    PIDS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    error: Error
    state: State
    attached: bool
    stdout: bytes
    stderr: bytes
    exit: Exit
    exec_started: int
    stats: Stats
    pids: Pids
    timings: str
    def __init__(self, error: _Optional[_Union[Error, _Mapping]] = ..., state: _Optional[_Union[State, _Mapping]] = ..., attached: _Optional[bool] = ..., stdout: _Optional[bytes] = ..., stderr: _Optional[bytes] = ..., exit: _Optional[_Union[Exit, _Mapping]] = ..., exec_started: _Optional[int] = ..., stats: _Optional[_Union[Stats, _Mapping]] = ..., pids: _Optional[_Union[Pids, _Mapping]] = ..., timings: _Optional[str] = ...) -> None: ...
