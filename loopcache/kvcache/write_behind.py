"""A bounded background writer: puts into a slow store without ever blocking the caller.

A full queue drops the write (counted), never the request: the block stays in the faster tier and will
simply be recomputed if it is evicted there before a later write succeeds.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.store import Store

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True, slots=True)
class WriteBehindStats:
    queued: int  # accepted and not yet attempted: waiting in the queue or being written right now
    written: int
    dropped: int
    failed: int


class WriteBehind:
    """One daemon thread draining a bounded queue of blocks into `target`."""

    def __init__(self, target: Store, max_queue: int = 256) -> None:
        if max_queue <= 0:
            raise ValueError("max_queue must be positive")
        self.target = target
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._written = 0
        self._dropped = 0
        self._failed = 0
        self._pending = 0  # submitted, not yet attempted (changed under _pending_lock)
        self._pending_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"write-behind-{target.name}", daemon=True)
        self._thread.start()

    def submit(self, block: KVBlock) -> bool:
        """Queue `block` for writing; False (and counted) if the queue is full or the writer is closed."""
        if self._closed:
            self._dropped += 1
            return False
        with self._pending_lock:  # counted before the worker can take it
            self._pending += 1
        try:
            self._queue.put_nowait(block)
            return True
        except queue.Full:
            with self._pending_lock:
                self._pending -= 1
            self._dropped += 1
            return False

    def drain(self) -> None:
        """Block until every queued write has been attempted."""
        self._queue.join()

    def close(self) -> None:
        """Drain the queue, then stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join()

    def stats(self) -> WriteBehindStats:
        return WriteBehindStats(self._pending, self._written, self._dropped, self._failed)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                assert isinstance(item, KVBlock)
                if self.target.put(item):
                    self._written += 1
                else:
                    self._failed += 1
            except Exception:  # a failing disk must not kill the writer; the block stays in memory
                self._failed += 1
                log.exception("write-behind put into %s failed", self.target.name)
            finally:
                if item is not _STOP:
                    with self._pending_lock:
                        self._pending -= 1
                self._queue.task_done()
