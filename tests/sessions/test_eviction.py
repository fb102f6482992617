"""Session-aware eviction on the real memory and disk tiers: ended sessions' and superseded blocks go
first, shared blocks and sessions inside their tool pause are kept, pins are never evicted on disk, and the
capacity stays a hard limit (a put is refused rather than evicting a pin)."""

from __future__ import annotations

from pathlib import Path

from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.memory import MemoryStore
from loopcache.sessions.book import BlockClass, SessionBook
from loopcache.sessions.eviction import DiskRetention, MemoryResidency
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.tool_gaps import DEFAULT_TOOL_GAP_S, expected_tool_gap
from tests.kvcache.blocks import block_for

NBYTES = 2048


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def step(book: SessionBook, clock: Clock, session: str, blocks: list[int]) -> None:
    ref = ("ns", session)
    book.arrived(ref, RetentionPolicy(), clock.now)
    book.stepped(ref, [block_for(i).key for i in blocks], clock.now)


def test_classes_follow_the_sessions() -> None:
    clock = Clock()
    book = SessionBook(clock)
    step(book, clock, "a", [0, 1, 2])
    step(book, clock, "b", [0, 5])
    step(book, clock, "a", [0, 1, 3])  # block 2 (an earlier tail) is superseded
    classify = lambda i: book.classify(block_for(i).key)  # noqa: E731
    assert [classify(i) for i in (0, 1, 2, 5, 9)] == [BlockClass.SHARED, BlockClass.WAITING, BlockClass.DEAD,
                                                     BlockClass.WAITING, BlockClass.UNKNOWN]
    clock.now += DEFAULT_TOOL_GAP_S + 1  # longer than any pause either has shown: idle
    assert classify(1) == BlockClass.IDLE
    book.end(("ns", "b"))
    assert classify(5) == BlockClass.DEAD and classify(0) == BlockClass.IDLE  # only a (idle) holds it now
    book.set_policy(("ns", "a"), RetentionPolicy().pinned_for(clock.now, 60), clock.now)
    assert classify(1) == BlockClass.PINNED
    clock.now += 61
    assert classify(1) == BlockClass.IDLE
    assert book.check_integrity() == []


def test_memory_tier_evicts_dead_then_idle_and_keeps_waiting_and_shared() -> None:
    clock = Clock()
    book = SessionBook(clock)
    memory = MemoryStore(capacity_bytes=6 * NBYTES, policy=MemoryResidency(book))
    for i in range(6):
        assert memory.put(block_for(i))
    step(book, clock, "ended", [0])
    step(book, clock, "idle", [1])
    step(book, clock, "shared-1", [2, 3])
    step(book, clock, "shared-2", [2])
    book.end(("ns", "ended"))
    clock.now += DEFAULT_TOOL_GAP_S + 1  # everyone above is idle now
    step(book, clock, "waiting", [4])  # just finished a step: its tool call is running
    # 5 is unknown (no session holds it); LRU order is 0..5
    evicted = []
    for i in range(10, 14):
        memory.put(block_for(i))
        evicted.append(next(j for j in range(6) if not memory.contains(block_for(j).key) and j not in evicted))
    assert evicted == [0, 1, 3, 5]  # dead, then idle and unknown in LRU order; waiting (4) and shared (2) stay
    assert memory.contains(block_for(4).key) and memory.contains(block_for(2).key)
    assert memory.check_integrity().ok


def test_plain_lru_without_a_policy() -> None:
    memory = MemoryStore(capacity_bytes=3 * NBYTES)
    for i in range(5):
        memory.put(block_for(i))
    assert sorted(k for k in range(5) if memory.contains(block_for(k).key)) == [2, 3, 4]


def test_disk_never_evicts_a_pin_and_refuses_rather_than_overflow(tmp_path: Path) -> None:
    clock = Clock()
    book = SessionBook(clock)
    disk = DiskStore(tmp_path / "kv", capacity_bytes=4 * (NBYTES + 4096), clock=clock, policy=DiskRetention(book))
    try:
        for i in range(4):
            assert disk.put(block_for(i))
        nbytes = disk.stats().bytes_used // 4
        disk.close()
        disk = DiskStore(tmp_path / "kv", capacity_bytes=4 * nbytes, clock=clock, policy=DiskRetention(book))
        step(book, clock, "pinned", [0, 1])
        book.set_policy(("ns", "pinned"), RetentionPolicy().pinned_for(clock.now, 3600), clock.now)
        step(book, clock, "ended", [2])
        book.end(("ns", "ended"))
        clock.now += 10
        assert disk.put(block_for(10))  # evicts the ended session's block first, not block 3 (unknown)
        assert not disk.contains(block_for(2).key) and disk.contains(block_for(3).key)
        assert disk.put(block_for(11))  # then the unknown one
        assert not disk.contains(block_for(3).key)
        step(book, clock, "pinned", [0, 1, 10, 11])  # now every stored block is pinned
        assert not disk.put(block_for(12))  # refused: nothing may be evicted
        assert all(disk.contains(block_for(i).key) for i in (0, 1, 10, 11))
        assert disk.stats().bytes_used <= 4 * nbytes
        clock.now += 3601  # the pin expired
        assert disk.put(block_for(12))
        assert disk.check_integrity(deep=True).ok
    finally:
        disk.close()


def test_tool_gap_is_learned_from_the_sessions_own_pauses() -> None:
    assert expected_tool_gap([]) == DEFAULT_TOOL_GAP_S
    assert expected_tool_gap([2.0, 3.0, 4.0, 2.5, 3.5, 3600.0]) == 1.5 * 4.0  # the hour is a person, left out
    assert expected_tool_gap([0.1, 0.2]) == 5.0  # at least 5 s
