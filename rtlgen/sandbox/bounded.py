"""Run a Python function on hostile input in a warm worker process with a time and memory bound.

    from rtlgen.sandbox.bounded import BoundedCallError, call_bounded
    diags = call_bounded(_parse_local, text, timeout_s=10, memory_mb=1024)  # or BoundedCallError

For in-process libraries (pyslang) that can exhaust memory, recurse until the C stack overflows or
run for hours on crafted text. ``fn`` must be a module-level function, importable by name, with
picklable arguments and result; it is trusted code, only its input is hostile.

Workers are fresh interpreters (``python -c``, the way multiprocessing's "spawn" starts them, but
without re-running the caller's ``__main__``, which in an unguarded training script would start a
second training run). Each one lives in its own session and process group, has ``RLIMIT_CORE = 0``
and, per call, ``RLIMIT_AS = memory_mb`` and an alarm as a backstop should the parent vanish. Up to
``MAX_WORKERS`` are kept warm and shared by every thread; a call that passes ``timeout_s`` gets its
worker's process group killed and a fresh worker takes its place later. A worker that dies (a
segfault, a C++ abort, the OOM killer) costs that call only: ``BoundedCallError`` with a
``BoundedFailure`` kind, never the caller. An exception raised by ``fn`` is raised again here, as
the same type when it survives pickling (else ``RemoteError``), with the worker's traceback as its
``__cause__``. Workers exit when the parent closes their socket, and are killed at interpreter exit.
"""

from __future__ import annotations

import atexit
import enum
import faulthandler
import fcntl
import importlib
import math
import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from rtlgen.errors import InputError, RtlgenError

MAX_WORKERS = max(4, min(32, os.cpu_count() or 1))  # one per core (the calls are CPU-bound); 4 so a few hung calls stall no one
MAX_PAYLOAD_BYTES = 64 << 20  # an argument or result bigger than this is a bug or a bomb, not data
_START_TIMEOUT_S = 30.0  # a fresh interpreter imports this module in well under a second
_REAP_S = 2.0  # how long to wait for a dead or killed worker's exit status
_ORPHAN_GRACE_S = 30  # the worker's own alarm fires this long after timeout_s: only if the parent is gone
_RETIRE_RSS_KB = 512 << 10  # a worker still this large after a call is replaced: its heap stays fragmented
_MEMORY_HINTS = ("std::bad_alloc", "MemoryError", "Cannot allocate memory", "out of memory")

_FRAME = struct.Struct("!Q")  # length prefix of every message on the socket
_REQUEST = struct.Struct("!Id")  # memory_mb, timeout_s; then the pickled (fn, args, kwargs)
_OK, _RAISED, _REMOTE, _MEMORY, _TOO_LARGE, _LOAD, _EXIT = range(7)  # first byte of a reply
_MEMORY_TEXT = b"MemoryError"  # built up front: a worker out of memory cannot afford to build it


class BoundedFailure(enum.StrEnum):
    TIMEOUT = "timeout"  # ran past timeout_s; the worker was killed
    MEMORY = "memory"  # went past memory_mb (MemoryError, std::bad_alloc) or the OOM killer struck
    CRASH = "crash"  # the worker died some other way (a signal, an exit)
    TOO_LARGE = "too_large"  # the pickled call or result is over MAX_PAYLOAD_BYTES


class BoundedCallError(RtlgenError):
    """A bounded call did not return; ``kind`` says why, ``str(err)`` names the function and the limit."""

    def __init__(self, kind: BoundedFailure, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self):  # so that one can cross a process boundary too (a nested call)
        return type(self), (self.kind, str(self))


class RemoteError(RtlgenError, RuntimeError):
    """``fn`` raised an exception that could not be sent back as itself; its type name and text."""


class _RemoteTraceback(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)

    def __str__(self) -> str:
        return "\n(traceback in the bounded worker)\n" + self.args[0]


def call_bounded(fn, /, *args, timeout_s: float = 10.0, memory_mb: int = 2048, **kwargs):
    """``fn(*args, **kwargs)`` in a worker process, stopped after ``timeout_s`` seconds of wall time or
    ``memory_mb`` MiB of address space; ``BoundedCallError`` when it does not return. Thread-safe. The
    wait for a free worker (at most ``MAX_WORKERS`` calls run at once) is not part of ``timeout_s``."""
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not 0 < timeout_s < math.inf:
        raise InputError(f"timeout_s must be a positive number of seconds, not {timeout_s!r}")
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, int) or not 0 < memory_mb < 1 << 32:
        raise InputError(f"memory_mb must be a positive integer, not {memory_mb!r}")
    name = getattr(fn, "__qualname__", None) or repr(fn)
    try:
        blob = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a lambda, a closure, an open file among the arguments
        raise InputError(f"call_bounded needs a module-level function and picklable arguments: {name}: {exc}") from exc
    if len(blob) > MAX_PAYLOAD_BYTES:
        raise BoundedCallError(BoundedFailure.TOO_LARGE, f"the call to {name} is {len(blob)} bytes pickled, over "
                                                         f"the {MAX_PAYLOAD_BYTES}-byte limit")
    status, payload = _pool().run(_REQUEST.pack(memory_mb, timeout_s) + blob, name, timeout_s, memory_mb)
    return _unpack(status, payload, name, memory_mb)


def _unpack(status: int, payload: memoryview, name: str, memory_mb: int):
    if status == _OK:
        return pickle.loads(payload)
    if status == _RAISED:
        blob, tb = pickle.loads(payload)
        try:
            exc = pickle.loads(blob)
        except Exception:  # noqa: BLE001 - its class exists in the worker but not here
            raise RemoteError(f"{name} raised an exception that cannot be rebuilt here: "
                              f"{' '.join(tb.strip().splitlines()[-1:])[:300]}") from _RemoteTraceback(tb)
        exc.__cause__ = _RemoteTraceback(tb)
        raise exc
    if status == _REMOTE:
        type_name, message, tb = pickle.loads(payload)
        raise RemoteError(f"{name} raised {type_name}: {message}") from _RemoteTraceback(tb)
    text = bytes(payload).decode("utf-8", "replace")
    if status == _MEMORY:
        raise BoundedCallError(BoundedFailure.MEMORY, f"{name} ran out of memory under its {memory_mb} MiB limit "
                                                      f"({text})")
    if status == _TOO_LARGE:
        raise BoundedCallError(BoundedFailure.TOO_LARGE, f"{name}: {text}")
    if status == _LOAD:
        raise InputError(f"a bounded worker could not load the call to {name} (is it importable by name?): {text}")
    raise BoundedCallError(BoundedFailure.CRASH, f"{name} tried to end its worker: {text}")


# -- the parent's side -------------------------------------------------------------------------
class _Worker:
    """One warm worker: its process, the parent's end of its socket, and its stderr file."""

    def __init__(self) -> None:
        self.sock, child = socket.socketpair()
        self.log = tempfile.TemporaryFile(prefix="rtlgen-bounded-")
        # O_APPEND: the worker empties the file before each call and must then write at its start again
        fcntl.fcntl(self.log.fileno(), fcntl.F_SETFL, fcntl.fcntl(self.log.fileno(), fcntl.F_GETFL) | os.O_APPEND)
        path = [p for p in sys.path if isinstance(p, str)]  # the same imports as here, whatever the cwd
        code = f"import sys; sys.path[:] = {path!r}; from rtlgen.sandbox.bounded import _worker_main; _worker_main()"
        try:  # fork+exec with no Python code in between: safe from a threaded parent
            self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=child, stdout=self.log,
                                         stderr=self.log, start_new_session=True, close_fds=True)
        except OSError as exc:
            self.sock.close()
            self.log.close()
            raise BoundedCallError(BoundedFailure.CRASH, f"could not start a bounded worker: {exc}") from exc
        finally:
            child.close()
        try:
            if bytes(_recv_frame(self.sock, time.monotonic() + _START_TIMEOUT_S)) != b"ready":
                raise EOFError("unexpected greeting")
        except (OSError, EOFError) as exc:  # TimeoutError is an OSError
            tail = " ".join(self.log_tail().split())[-300:]
            self.kill()
            raise BoundedCallError(BoundedFailure.CRASH, f"a bounded worker did not start "
                                                         f"({exc or type(exc).__name__}): {tail}") from None
        except BaseException:
            self.kill()
            raise

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """Kill the worker's whole process group (only it: it leads its own session) and reap it."""
        self.sock.close()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(_REAP_S)
        except subprocess.TimeoutExpired:  # stuck in the kernel; subprocess reaps it later
            pass
        self.log.close()

    def log_tail(self, size: int = 4096) -> str:
        try:
            end = os.fstat(self.log.fileno()).st_size
            return os.pread(self.log.fileno(), size, max(0, end - size)).decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def death(self, memory_mb: int) -> tuple[BoundedFailure, str]:
        """Why the worker went away mid-call (its socket closed): wait for its status and read its stderr."""
        try:
            code = self.proc.wait(_REAP_S)
        except subprocess.TimeoutExpired:  # it closed its socket but lives on: treat as dead
            code = None
        tail = self.log_tail()
        self.kill()
        if any(hint in tail for hint in _MEMORY_HINTS):
            return BoundedFailure.MEMORY, f"ran out of memory under its {memory_mb} MiB limit"
        if code is not None and code < 0:
            sig = signal.Signals(-code)
            if sig is signal.SIGKILL:
                return BoundedFailure.MEMORY, "was killed by SIGKILL (most likely the kernel's out-of-memory killer)"
            if sig is signal.SIGALRM:
                return BoundedFailure.TIMEOUT, "ran past its worker's own alarm"
            return BoundedFailure.CRASH, f"crashed its worker ({sig.name})"
        last = " ".join(tail.splitlines()[-1].split())[:200] if tail else "no output"
        return BoundedFailure.CRASH, f"ended its worker (exit status {code}; {last})"


class _Pool:
    """Warm workers shared by all threads: idle ones in a list, at most ``size`` alive at once."""

    def __init__(self, size: int) -> None:
        self.pid = os.getpid()  # a forked child inherits this object (and its atexit hook) but not the workers
        self.size = size
        self.cond = threading.Condition()
        self.idle: list[_Worker] = []
        self.all: set[_Worker] = set()
        self.starting = 0
        self.warming = 0  # workers being started by ``prewarm``: a caller waits for one rather than start its own
        self.closed = False

    def run(self, request: bytes, name: str, timeout_s: float, memory_mb: int) -> tuple[int, memoryview]:
        worker = self._acquire()
        deadline = time.monotonic() + timeout_s
        try:
            _send_frame(worker.sock, request, deadline)
            reply = _recv_frame(worker.sock, deadline)
        except TimeoutError:
            self._discard(worker)
            raise BoundedCallError(BoundedFailure.TIMEOUT, f"{name} ran past its {timeout_s:g} s limit; "
                                                           "its worker was killed") from None
        except (EOFError, OSError):  # the worker died mid-call
            kind, why = worker.death(memory_mb)
            self._discard(worker)
            raise BoundedCallError(kind, f"{name} {why}") from None
        except BaseException:  # KeyboardInterrupt in the caller: the worker's state is unknown
            self._discard(worker)
            raise
        if reply[1]:  # the worker asked to be retired (it grew large or hit MemoryError) and is exiting
            self._discard(worker)
        else:
            with self.cond:
                self.idle.append(worker)
                self.cond.notify()
        return reply[0], memoryview(reply)[2:]

    def _acquire(self) -> _Worker:
        with self.cond:
            while True:
                if self.closed:
                    raise BoundedCallError(BoundedFailure.CRASH, "bounded workers are shut down (interpreter exit)")
                while self.idle:
                    worker = self.idle.pop()  # the most recently used: its caches are warm
                    if worker.alive():
                        return worker
                    self.all.discard(worker)
                    worker.kill()
                if self.warming:
                    self.cond.wait(1.0)  # a prewarmed worker is on its way: sooner than a fresh one
                    continue
                if len(self.all) + self.starting < self.size:
                    self.starting += 1
                    break
                self.cond.wait(1.0)  # every busy worker is bounded by its call's timeout
        worker = None
        try:
            worker = _Worker()
        finally:
            with self.cond:  # one step, so that the count never dips below what is alive
                self.starting -= 1
                if worker is not None:
                    self.all.add(worker)
                self.cond.notify()
        return worker

    def prewarm(self, module: str) -> None:
        """Start a worker that imports ``module`` in a background thread, unless a worker is idle or on its way."""
        with self.cond:
            if self.closed or self.idle or self.starting or self.warming or len(self.all) >= self.size:
                return
            self.warming += 1
        threading.Thread(target=self._warm, args=(module,), name="rtlgen-bounded-prewarm", daemon=True).start()

    def _warm(self, module: str) -> None:
        worker = None
        try:
            worker = _Worker()
            request = _REQUEST.pack(1024, _START_TIMEOUT_S) + pickle.dumps((_preload, (module,), {}))
            deadline = time.monotonic() + _START_TIMEOUT_S
            _send_frame(worker.sock, request, deadline)
            reply = _recv_frame(worker.sock, deadline)
            if reply[0] != _OK or reply[1]:
                raise EOFError("the import failed")
        except (BoundedCallError, OSError, EOFError):
            if worker is not None:
                worker.kill()
            worker = None
        finally:
            with self.cond:
                self.warming -= 1
                if worker is not None:
                    if self.closed:
                        worker.kill()
                    else:
                        self.all.add(worker)
                        self.idle.append(worker)
                self.cond.notify_all()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self.cond:
            self.all.discard(worker)
            self.cond.notify()

    def close(self) -> None:
        if os.getpid() != self.pid:
            return
        with self.cond:
            self.closed = True
            workers, self.idle = list(self.all), []
            self.all.clear()
        for worker in workers:
            worker.kill()


_POOL: _Pool | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> _Pool:
    global _POOL
    pool = _POOL
    if pool is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = _Pool(MAX_WORKERS)
                atexit.register(_POOL.close)
                os.register_at_fork(after_in_child=_forget_pool)
            pool = _POOL
    return pool


def prewarm(module: str) -> None:
    """Have a worker ready, with ``module`` (trusted code, such as the one whose functions will be called)
    imported, before the first ``call_bounded`` needs it: started in the background, so a caller with other
    work to do first pays nothing for the interpreter's start and the import. A call that comes while the
    worker is starting waits for it. Does nothing if a worker is idle or starting already."""
    _pool().prewarm(module)


def _preload(module: str) -> None:
    importlib.import_module(module)


def _forget_pool() -> None:
    """In a forked child: the workers belong to the parent; start over with a pool of its own."""
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


# -- the socket protocol -----------------------------------------------------------------------
def _send_frame(sock: socket.socket, data: bytes, deadline: float | None) -> None:
    _set_timeout(sock, deadline)
    if len(data) < 1 << 16:
        sock.sendall(_FRAME.pack(len(data)) + data)
    else:  # no copy of a big payload
        sock.sendall(_FRAME.pack(len(data)))
        _set_timeout(sock, deadline)
        sock.sendall(data)


def _recv_frame(sock: socket.socket, deadline: float | None) -> bytearray:
    (size,) = _FRAME.unpack(_recv_exact(sock, _FRAME.size, deadline))
    if size > MAX_PAYLOAD_BYTES + 64:  # the worker checks its results; this is a broken stream
        raise EOFError(f"a frame of {size} bytes")
    return _recv_exact(sock, size, deadline)


def _recv_exact(sock: socket.socket, size: int, deadline: float | None) -> bytearray:
    buf = bytearray(size)
    view, got = memoryview(buf), 0
    while got < size:
        _set_timeout(sock, deadline)
        n = sock.recv_into(view[got:])
        if not n:
            raise EOFError("the other end closed the socket")
        got += n
    return buf


def _set_timeout(sock: socket.socket, deadline: float | None) -> None:
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        sock.settimeout(left)


# -- the worker's side -------------------------------------------------------------------------
def _worker_main() -> None:
    """A worker's whole life: serve calls from the socket on fd 0 until the parent closes it."""
    sock = socket.socket(fileno=os.dup(0))
    sock.settimeout(None)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # fn must not read the protocol as stdin
    os.close(null)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash on hostile text must not write a core file
    faulthandler.enable()  # a segfault leaves a Python traceback in the stderr file
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    _send_frame(sock, b"ready", None)
    while True:
        try:
            frame = _recv_frame(sock, None)
        except (EOFError, OSError):
            return
        memory_mb, timeout_s = _REQUEST.unpack_from(frame)
        want = memory_mb << 20
        # the soft limit only, and lifted again after the call: the next request must fit whatever this one set
        resource.setrlimit(resource.RLIMIT_AS, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))
        os.ftruncate(2, 0)  # so that a death is read from this call's output only
        signal.alarm(min(math.ceil(timeout_s) + _ORPHAN_GRACE_S, 1 << 30))
        status, payload = _serve_one(memoryview(frame)[_REQUEST.size:])
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        del frame
        retire = status == _MEMORY or _resident_kb() > _RETIRE_RSS_KB
        try:
            _send_frame(sock, bytes((status, retire)) + payload, None)
        except OSError:
            return
        if retire:
            return


def _resident_kb() -> int:
    """This process's resident size now. Not ``ru_maxrss``: Linux carries the peak of the image a process
    replaced into it at exec, and a worker spawned by a large parent (a training run with a model loaded)
    would then look large from its first call and be replaced after every one."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _serve_one(blob: memoryview) -> tuple[int, bytes]:
    try:
        fn, args, kwargs = pickle.loads(blob)
    except MemoryError:
        return _MEMORY, _MEMORY_TEXT
    except BaseException as exc:  # noqa: BLE001 - reported to the caller, whatever it is
        return _LOAD, _describe(exc).encode("utf-8", "replace")
    try:
        payload = pickle.dumps(fn(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return _MEMORY, _MEMORY_TEXT
    except Exception as exc:  # noqa: BLE001 - fn's own exception, raised again in the caller
        return _pack_exception(exc)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt: must not end the caller too
        return _EXIT, _describe(exc).encode("utf-8", "replace")
    if len(payload) > MAX_PAYLOAD_BYTES:
        return _TOO_LARGE, f"its result is {len(payload)} bytes pickled, over the {MAX_PAYLOAD_BYTES}-byte limit".encode()
    return _OK, payload


def _pack_exception(exc: Exception) -> tuple[int, bytes]:
    try:
        tb = "".join(traceback.format_exception(exc))[-8000:]
    except Exception:  # noqa: BLE001 - a __str__ that raises
        tb = "(no traceback: formatting it failed)"
    try:
        blob = pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob)  # some exceptions pickle but cannot be rebuilt (a custom __init__)
        if len(blob) < MAX_PAYLOAD_BYTES // 2:
            return _RAISED, pickle.dumps((blob, tb), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - fall back to its name and text
        pass
    return _REMOTE, pickle.dumps((type(exc).__qualname__, _describe(exc, with_type=False), tb))


def _describe(exc: BaseException, *, with_type: bool = True) -> str:
    try:
        text = " ".join(str(exc).split())[:2000]
    except Exception:  # noqa: BLE001 - a __str__ that raises
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}" if with_type else text
