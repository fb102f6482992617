"""RetryGate: closed for a doubling, bounded while after each failure; open again on a success."""

from __future__ import annotations

import pytest

from loopcache.kvcache.retry_gate import RetryGate


def test_gate_backs_off_doubling_to_the_bound_and_opens_on_success() -> None:
    now = [0.0]
    gate = RetryGate(first_delay_s=0.1, max_delay_s=0.5, clock=lambda: now[0])
    assert gate.allows()
    waits = []
    for _ in range(5):
        gate.failed()
        start = now[0]
        while not gate.allows():
            now[0] += 0.01
        waits.append(round(now[0] - start, 2))
    assert waits == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5], abs=0.011)
    gate.failed()
    assert gate.is_closed
    gate.succeeded()
    assert gate.allows() and not gate.is_closed
    gate.failed()
    now[0] += 0.099
    assert not gate.allows()  # back to the first delay after a success
    now[0] += 0.002
    assert gate.allows()
