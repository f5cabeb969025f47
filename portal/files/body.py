"""Request bodies read in large blocks, into buffers the caller reuses, with hashing on the side.

An upload's bytes are read once from the network, hashed and written once.
``BlockPump`` does that with a few reusable 1 MiB blocks: the request's
thread fills a block from the body (``recv_into``) and hands it to a thread
of its own, which hashes and writes it and gives the block back. ``hashlib``
(and OpenSSL's SHA-256 through ``portal.files.sha256state``), ``recv_into``
and ``write`` release the GIL on such buffers, so on two cores receiving
overlaps hashing and writing, and no byte is copied in Python. Memory stays
at ``BLOCKS × BLOCK_SIZE`` (4 MiB) per upload, whatever its size.

Under gunicorn the body is read straight from the connection's socket
(``body_reader``): gunicorn's own reader copies every piece through two
``BytesIO`` buffers, which cost as much as hashing (docs/benchmarks.md,
"Upload read size"). The bytes gunicorn already read ahead are taken first,
and its reader is told how much of the body is left, so the connection's
next request starts where it should. Under any other server (runserver, the
test client) the body is read through ``request.read``.
"""

import io
import mmap
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

BLOCK_SIZE = 1024 * 1024
BLOCKS = 4
# Blocks are anonymous memory maps, kept for the next upload up to POOL_BLOCKS:
# allocated by the heap instead, each request's thread left its freed blocks in
# an arena of its own, and a worker's RSS grew by ~40 MiB over one tus upload.
POOL_BLOCKS = 2 * BLOCKS
# The threads that hash and write wait for the next upload, up to IDLE_HELPERS
# of them: a tus upload is a request per PATCH, and starting a thread for each
# took up to 13 ms on a busy machine.
IDLE_HELPERS = 4
_pool: list[mmap.mmap] = []
_idle_helpers: list[queue.SimpleQueue] = []
_pool_lock = threading.Lock()


def _take_block() -> mmap.mmap:
    with _pool_lock:
        if _pool:
            return _pool.pop()
    return mmap.mmap(-1, BLOCK_SIZE)


def _give_back(blocks: list[mmap.mmap]) -> None:
    with _pool_lock:
        _pool.extend(blocks[: max(0, POOL_BLOCKS - len(_pool))])


def _helper(jobs: queue.SimpleQueue) -> None:
    """Run jobs one after another; wait among the idle helpers, or end when there are enough."""
    while True:
        jobs.get()()
        with _pool_lock:
            if len(_idle_helpers) >= IDLE_HELPERS:
                return
            _idle_helpers.append(jobs)


def _on_helper(job: Callable[[], None]) -> None:
    """Run ``job`` on an idle helper thread, or on a new one when none is idle."""
    with _pool_lock:
        jobs = _idle_helpers.pop() if _idle_helpers else None
    if jobs is None:
        jobs = queue.SimpleQueue()
        threading.Thread(target=_helper, args=(jobs,), name="upload-hash", daemon=True).start()
    jobs.put(job)


def _forget_helpers() -> None:
    _idle_helpers.clear()  # a forked child has none of its parent's threads


os.register_at_fork(after_in_child=_forget_helpers)


class _StreamBody:
    """Any WSGI server: ``request.read`` into the caller's buffer (one copy more)."""

    def __init__(self, request):
        self.request = request

    def readinto(self, view: memoryview) -> int:
        data = self.request.read(len(view))
        view[: len(data)] = data
        return len(data)


class _SocketBody:
    """gunicorn with a body of known length: ``recv_into`` from the connection's socket.

    Keeps gunicorn's ``LengthReader.length`` true (the bytes of the body not yet
    read), so gunicorn drains exactly the rest, if any, before the connection's
    next request; a failed read marks the body failed, so the connection is closed.
    """

    def __init__(self, body, reader, unreader, pending: bytes):
        self.body, self.reader, self.unreader = body, reader, unreader
        self.pending = memoryview(pending)

    def readinto(self, view: memoryview) -> int:
        if self.pending:
            count = min(len(view), len(self.pending))
            view[:count] = self.pending[:count]
            self.pending = self.pending[count:]
            return count
        want = min(len(view), self.reader.length)
        if want <= 0:
            return 0
        try:
            count = self.unreader.sock.recv_into(view, want)
        except BaseException:
            self.body.failed = True
            raise
        if not count:
            self.body.failed = True  # the client closed mid-body: the connection is done
        self.reader.length -= count
        return count


def _gunicorn_body(request, length: int) -> _SocketBody | None:
    """The socket reader for this request, if it is gunicorn's and nothing of the body was read."""
    try:
        from gunicorn.http.body import Body, LengthReader  # noqa: PLC0415 - optional server
        from gunicorn.http.unreader import SocketUnreader  # noqa: PLC0415
    except ImportError:  # pragma: no cover - gunicorn is a dependency
        return None
    body = request.META.get("wsgi.input")
    if getattr(request, "_read_started", True) or type(body) is not Body:
        return None
    reader = body.reader
    unreader: Any = getattr(reader, "unreader", None)
    if (
        type(reader) is not LengthReader
        or type(unreader) is not SocketUnreader
        or not isinstance(body.buf, io.BytesIO)
        or not isinstance(unreader.buf, io.BytesIO)
    ):
        return None
    # What gunicorn already holds: the body's own buffer (already counted off
    # the reader's length), then the read-ahead of the socket (not yet).
    held = body.buf.getvalue()
    if len(held) + reader.length != length:
        return None
    ahead = unreader.buf.getvalue()
    taken = ahead[: reader.length]
    unreader.buf = io.BytesIO()
    unreader.buf.write(ahead[len(taken) :])  # a pipelined next request stays gunicorn's
    reader.length -= len(taken)
    body.buf = io.BytesIO()
    request._read_started = True  # Django's own stream must not read it again
    return _SocketBody(body, reader, unreader, held + taken)


def body_reader(request, length: int):
    """What reads ``length`` bytes of the request's body into a buffer (``readinto``)."""
    return _gunicorn_body(request, length) or _StreamBody(request)


class BlockPump:
    """Fills reusable blocks from a body on the caller's thread; ``consume`` takes them on another.

    ``consume(view)`` gets each filled block, in order, as a ``memoryview`` it
    must not keep: hash it, write it. It runs on a helper thread: an idle one
    left by an earlier pump, or a new one. Its first exception stops consuming
    (blocks are still taken back, so the reader never waits forever) and is
    returned by ``close``. Smaller pieces (``put``) travel the same way.
    """

    def __init__(self, consume: Callable[[memoryview], None]) -> None:
        self.consume = consume
        self.error: BaseException | None = None
        self.free: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()
        self.filled: queue.Queue = queue.Queue(maxsize=4 * BLOCKS)
        self.made = 0
        self.finished = threading.Event()
        self.closed = False
        _on_helper(self._drain)

    def _block(self) -> mmap.mmap:
        if self.made < BLOCKS:
            try:
                return self.free.get_nowait()
            except queue.Empty:
                self.made += 1
                return _take_block()
        return self.free.get()

    def _drain(self) -> None:
        try:
            while (item := self.filled.get()) is not None:
                data, count, reusable = item
                if self.error is None:
                    try:
                        self.consume(memoryview(data)[:count])
                    except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                        self.error = error
                if reusable:
                    self.free.put(data)
        finally:
            self.finished.set()

    def put(self, data: bytes) -> None:
        """Hand over one piece the caller read itself (a multipart form's chunk)."""
        self.filled.put((data, len(data), False))

    def pump(self, body, length: int) -> tuple[int, bool]:
        """Read up to ``length`` bytes from ``body`` and hand them over block by block.

        Returns (bytes read, whether the client went away: an ``OSError`` while
        reading). What arrived before the end or the error is handed over too.
        Stops early when consuming has failed.
        """
        received, cut = 0, False
        while received < length and self.error is None and not cut:
            block = self._block()
            filled = 0
            view = memoryview(block)
            want = min(len(block), length - received)
            while filled < want:
                try:
                    count = body.readinto(view[filled:want])
                except OSError:  # the client went away
                    cut = True
                    break
                if not count:
                    cut = True  # the body ended early
                    break
                filled += count
            if filled:
                self.filled.put((block, filled, True))
                received += filled
            else:
                self.free.put(block)
        return received, cut

    def close(self) -> BaseException | None:
        """Wait until every block is consumed; the consumer's error, if any."""
        if not self.closed:
            self.closed = True
            self.filled.put(None)
            self.finished.wait()
            blocks = []
            while not self.free.empty():
                blocks.append(self.free.get_nowait())
            _give_back(blocks)
        return self.error
