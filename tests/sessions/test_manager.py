"""SessionManager on the tiny model's real engine and real memory + disk tiers: steps recorded with their
fresh and cached tokens and gaps, prefetch moves a session's blocks into memory, a restart restores the
sessions (with their prefetch), pins stay within their share, delete removes only private blocks, and each
tenant sees only its own sessions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loopcache.engine.config import EngineConfig
from loopcache.engine.cost_model import CostModel
from loopcache.engine.engine import Engine
from loopcache.engine.sampling import SamplingParams
from loopcache.kvcache.disk import DiskStore
from loopcache.kvcache.memory import MemoryStore
from loopcache.kvcache.tiered import TieredStore
from loopcache.sessions.book import SessionBook
from loopcache.sessions.eviction import DiskRetention, MemoryResidency
from loopcache.sessions.manager import PinRefusedError, SessionManager, SessionNotFoundError
from loopcache.sessions.policy import PolicyError
from loopcache.sessions.registry import RegistryError, SessionRegistry

BLOCK = 16
PARAMS = SamplingParams(max_tokens=6, ignore_eos=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    """An engine with sessions over `root`, as the factory builds it."""

    def __init__(self, model: Any, root: Path, clock: Clock, pin_share: float = 0.5) -> None:
        book = SessionBook(clock)
        self.store = TieredStore([MemoryStore(2**24, policy=MemoryResidency(book)),
                                  DiskStore(root / "kv", capacity_bytes=2**26, clock=clock, policy=DiskRetention(book))])
        self.manager = SessionManager(SessionRegistry(root), book, self.store, BLOCK * model.kv_bytes_per_token,
                                      clock, pin_share)
        self.restored = self.manager.restore()
        self.engine = Engine(model, self.store, EngineConfig(block_size=BLOCK), CostModel(window=0),
                             sessions=self.manager)

    def memory_has(self, keys: list[Any]) -> bool:
        return all(self.store.tiers[0].contains(k) for k in keys)

    def close(self) -> None:
        self.engine.close()


def prompt(n: int, seed: int) -> list[int]:
    return [3 + (seed * 31 + i * 7) % 240 for i in range(n)]


def test_steps_prefetch_and_restart(tiny_model: Any, tmp_path: Path) -> None:
    clock = Clock()
    rig = Rig(tiny_model, tmp_path, clock)
    first = rig.engine.generate(prompt(70, 1), PARAMS, session_id="s", namespace="team")
    clock.now += 12.5
    second_prompt = [*first.prompt_token_ids, *first.token_ids, *prompt(20, 2)]
    second = rig.engine.generate(second_prompt, PARAMS, session_id="s", namespace="team")
    steps = rig.manager.steps("team", "s")
    assert [s.step for s in steps] == [1, 2]
    assert steps[0].fresh_tokens == 70 and steps[0].gap_s is None
    assert steps[1].fresh_tokens == 20 and steps[1].gap_s == pytest.approx(12.5)
    assert steps[1].cached_tokens == second.stats.cached_tokens > 70
    assert steps[1].cached_tokens_by_tier == {"memory": second.stats.cached_tokens}
    keys = rig.manager.book.keys_of(("team", "s"))
    assert len(keys) >= len(second_prompt) // BLOCK

    rig.store.drain()
    rig.store.tiers[0].clear()  # as if the memory tier had evicted the session
    assert rig.manager.prefetch("team", "s") == len(keys)
    assert rig.manager.prefetcher.wait(30)
    assert rig.memory_has(list(keys))
    rig.close()

    clock.now += 3600
    again = Rig(tiny_model, tmp_path, clock)  # a restart: empty memory, the registry and the disk remain
    assert again.restored == 1 and again.manager.book.keys_of(("team", "s")) == keys
    assert again.manager.prefetcher.wait(30) and again.memory_has(list(keys))  # prefetched at start
    third = again.engine.generate([*second.prompt_token_ids, *second.token_ids, *prompt(20, 3)], PARAMS,
                                  session_id="s", namespace="team")
    assert third.stats.cached_tokens_by_tier.get("memory", 0) == third.stats.cached_tokens > 0
    assert again.manager.steps("team", "s")[-1].gap_s == pytest.approx(3600)
    again.engine.check_integrity()
    again.close()


def test_tenants_pins_and_delete(tiny_model: Any, tmp_path: Path) -> None:
    clock = Clock()
    rig = Rig(tiny_model, tmp_path, clock, pin_share=0.01)
    shared = prompt(64, 9)  # four full blocks both sessions hold
    for session in ("a", "b"):
        rig.engine.generate([*shared, *prompt(40, ord(session))], PARAMS, session_id=session, namespace="team")
    assert {s.session_id for s in rig.manager.list_sessions("team")} == {"a", "b"}
    assert rig.manager.list_sessions("other-team") == []
    with pytest.raises(SessionNotFoundError):
        rig.manager.get("other-team", "a")

    rig.manager.pin("team", "a", 60)  # a few blocks: within 1% of 64 MiB
    assert rig.manager.get("team", "a").policy.is_pinned(clock.now)
    rig.manager.block_bytes = 2**24  # now each block counts 16 MiB: over the share
    with pytest.raises(PinRefusedError, match="more than 1%"):
        rig.manager.pin("team", "b", 60)
    assert not rig.manager.get("team", "b").policy.is_pinned(clock.now)

    rig.store.drain()
    a_keys, b_keys = rig.manager.book.keys_of(("team", "a")), rig.manager.book.keys_of(("team", "b"))
    removed = rig.manager.delete("team", "a")
    assert removed == len(a_keys - b_keys) > 0
    assert all(rig.store.contains(k) for k in b_keys)  # the shared blocks stay
    assert not any(rig.store.contains(k) for k in a_keys - b_keys)
    assert [s.session_id for s in rig.manager.list_sessions("team")] == ["b"]
    rig.engine.check_integrity()
    rig.close()


def test_a_damaged_registry_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "sessions.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(RegistryError, match="sessions.sqlite3.*damaged"):
        SessionRegistry(tmp_path)
    assert (tmp_path / "sessions.sqlite3").read_bytes().startswith(b"not a database")  # left for the user


WRITER = """
import sys
from pathlib import Path
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.registry import SessionRegistry, StepRecord
registry = SessionRegistry(Path(sys.argv[1]))
for n in range(1, 61):
    record = StepRecord(step=n, at=float(n), prompt_tokens=n, cached_tokens=0, computed_tokens=n, fresh_tokens=n,
                        output_tokens=1, ttft_s=0.01, gap_s=None)
    registry.record_step("ns", sys.argv[2], record, [f"{sys.argv[2]}{n:060d}"], b"", RetentionPolicy())
registry.close()
"""


def test_processes_write_one_registry_at_once(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"p{i}"]) for i in range(3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    registry = SessionRegistry(tmp_path)
    assert sorted(s.steps for s in registry.list_sessions("ns")) == [60, 60, 60]
    assert registry.check_integrity() == []
    registry.close()


def test_a_sessions_own_disk_ttl(tiny_model: Any, tmp_path: Path) -> None:
    clock = Clock()
    rig = Rig(tiny_model, tmp_path, clock)
    shared = prompt(64, 9)
    for session in ("short", "long"):
        rig.engine.generate([*shared, *prompt(40, len(session))], PARAMS, session_id=session, namespace="team")
    rig.store.drain()
    policy = rig.manager.update_policy("team", "short", {"disk_ttl_s": 100.0})
    assert policy.disk_ttl_s == 100.0 and rig.manager.get("team", "short").policy.disk_ttl_s == 100.0
    disk = rig.store.tiers[1]
    private = rig.manager.book.private_keys(("team", "short"))
    common = rig.manager.book.keys_of(("team", "short")) - private
    assert private and common
    clock.now += 101
    assert not any(disk.contains(k) for k in private)  # expired on disk with the session's own TTL
    assert all(disk.contains(k) for k in common)  # blocks another session holds keep the default TTL
    with pytest.raises(PolicyError):
        rig.manager.update_policy("team", "short", {"disk_ttl_s": -1})
    with pytest.raises(PolicyError):
        rig.manager.update_policy("team", "short", {"ended": True})
    rig.close()
