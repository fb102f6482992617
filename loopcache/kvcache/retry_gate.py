"""RetryGate: after a remote tier fails, wait a growing while before trying it again.

    ok ──failure──> closed for 0.1 s ──try──> ok
                          │ failure
                          └──> closed for 0.2 s ... doubling up to `max_delay_s` ... ──success──> ok

While closed, calls do not touch the network at all (a miss, a dropped write), so an outage costs a request
nothing: no connect timeout is paid per block. Reconnecting is the next attempt after the gate opens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_FIRST_DELAY_S = 0.1
DEFAULT_MAX_DELAY_S = 10.0


@dataclass(slots=True)
class RetryGate:
    """Thread-safe. `clock` is monotonic seconds (a test passes its own)."""

    first_delay_s: float = DEFAULT_FIRST_DELAY_S
    max_delay_s: float = DEFAULT_MAX_DELAY_S
    clock: Callable[[], float] = time.monotonic
    _delay_s: float = 0.0  # 0 while healthy
    _open_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allows(self) -> bool:
        """Whether a call may try the remote tier now."""
        return self._delay_s == 0.0 or self.clock() >= self._open_at

    def failed(self) -> None:
        """A call failed: stay closed for twice as long as last time (bounded)."""
        with self._lock:
            self._delay_s = min(self.max_delay_s, self._delay_s * 2 if self._delay_s else self.first_delay_s)
            self._open_at = self.clock() + self._delay_s

    def succeeded(self) -> None:
        """A call worked: open for everyone."""
        if self._delay_s:
            with self._lock:
                self._delay_s = 0.0

    @property
    def is_closed(self) -> bool:
        return not self.allows()
