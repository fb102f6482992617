"""Backoff: bounded waiting with growing sleeps, for locks held by other processes."""

from __future__ import annotations

import time

_FIRST_DELAY_S = 0.005
_MAX_DELAY_S = 0.25


class Backoff:
    """Sleeps of growing length (5 ms doubling to 250 ms) until a deadline `wait_s` from now."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        self.deadline = time.monotonic() + wait_s
        self.delay = _FIRST_DELAY_S

    def sleep(self) -> bool:
        """Sleep a little longer than last time; False (without sleeping) once the deadline has passed."""
        now = time.monotonic()
        if now >= self.deadline:
            return False
        time.sleep(min(self.delay, self.deadline - now))
        self.delay = min(self.delay * 2, _MAX_DELAY_S)
        return True
