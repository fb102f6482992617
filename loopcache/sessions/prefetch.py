"""Prefetcher: moves a session's blocks from the slower tiers into memory in the background, while its
request waits in the queue (or before it arrives: `POST /v1/sessions/{id}/prefetch`, and at start for the
sessions that were active before a restart).

    request(ref, keys) --> [queue] --> thread: for each key not in memory: store.find(key)  (promotes it)

A block that is gone by then is skipped; the engine's own lookup finds whatever is where it is.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.tiered import TieredStore

log = logging.getLogger(__name__)
_STOP = object()


@dataclass(frozen=True)
class PrefetchStats:
    requested: int  # sessions asked for
    blocks: int  # blocks moved into memory
    bytes: int
    already_in_memory: int


class Prefetcher:
    def __init__(self, store: TieredStore) -> None:
        self.store = store
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requested = self._blocks = self._bytes = self._present = 0
        self._pending = 0
        self._done = threading.Condition(self._lock)

    def request(self, keys: Sequence[BlockHash]) -> None:
        """Queue `keys` (in prefix order) for moving into memory. Never blocks."""
        if not keys or len(self.store.tiers) < 2:
            return
        with self._lock:
            self._requested += 1
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="loopcache-prefetch", daemon=True)
                self._thread.start()
        self._queue.put(list(keys))

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until every queued prefetch is done; False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: self._pending == 0, timeout_s)

    def stats(self) -> PrefetchStats:
        with self._lock:
            return PrefetchStats(self._requested, self._blocks, self._bytes, self._present)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(30)

    def _run(self) -> None:
        memory = self.store.tiers[0]
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, list)
            for key in item:
                try:
                    if memory.contains(key):
                        with self._lock:
                            self._present += 1
                        continue
                    hit = self.store.find(key)
                except Exception:  # noqa: BLE001 - a prefetch is a hint: never fail anything
                    log.exception("prefetch of a block failed")
                    continue
                if hit is not None:
                    with self._lock:
                        self._blocks += 1
                        self._bytes += hit.block.nbytes
            with self._done:
                self._pending -= 1
                self._done.notify_all()
