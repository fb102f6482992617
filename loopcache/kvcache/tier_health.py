"""TierHealth: how a tier reports its own failures without failing its callers.

A data call that hits an I/O or index error degrades (a miss, a dropped write) and is counted here. The log
gets one clear warning when reads (or writes) start failing, one line when they work again (after
`_RECOVERED_AFTER` successes in a row, so a disk that fails every few writes does not flap), and a reminder
every `_REMIND_EVERY` errors in between: a broken disk never floods the log, nor goes unnoticed. Reads and
writes are tracked apart: on a read-only directory reads keep working while every write fails.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
_REMIND_EVERY = 1000
_RECOVERED_AFTER = 20


@dataclass(slots=True)
class TierHealth:
    """The error count of one tier, and whether its reads and its writes are failing (thread-safe)."""

    label: str  # names the tier and its place in every message, e.g. "disk tier at /var/cache/kv"
    errors: int = 0
    _failing: dict[str, int] = field(default_factory=dict)  # "read" / "write" -> successes since the last failure
    _since_warning: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, what: str, error: BaseException, write: bool = False) -> None:
        """Count one failed call: a write (`write`) or a read."""
        kind = "write" if write else "read"
        with self._lock:
            self.errors += 1
            first = kind not in self._failing
            self._failing[kind] = 0
            self._since_warning += 1
            remind = self._since_warning >= _REMIND_EVERY
            if first or remind:
                self._since_warning = 0
        if first:
            log.warning("%s: %s failed (%s: %s); requests go on without it (errors are counted in "
                        "loopcache_store_errors)", self.label, what, type(error).__name__, error)
        elif remind:
            log.warning("%s: still failing, %d errors so far; last: %s failed (%s)", self.label, self.errors,
                        what, error)

    def succeeded(self, write: bool = False) -> None:
        """A read (or a block write) worked: if those were failing, say that they work again."""
        kind = "write" if write else "read"
        if kind not in self._failing:  # the common case, without taking the lock
            return
        with self._lock:
            if kind not in self._failing:
                return
            self._failing[kind] += 1
            recovered = self._failing[kind] >= _RECOVERED_AFTER
            if recovered:
                del self._failing[kind]
            errors = self.errors
        if recovered:
            log.warning("%s: %ss work again (%d errors in total)", self.label, kind, errors)

    @property
    def is_failing(self) -> bool:
        return bool(self._failing)
