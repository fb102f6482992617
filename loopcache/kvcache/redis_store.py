"""RedisStore: the shared tier. Blocks of one model in a Redis, Valkey or Redis Cluster that any number of
`loopcache serve` processes use at once, so any server can resume any session.

    put:       MULTI  SET part N-1 PX ttl ... SET part 1 PX ttl  SET head PX ttl  EXEC    (one slot: redis_keys)
    get_many:  pipeline GETEX head PX ttl for every key; then one pipeline for the further parts of large blocks
    contains:  EXISTS head (pipelined in contains_many)

Values are the block's own checksummed encoding (redis_value.py): a value that fails to decode, or decodes
to another key or model, is deleted and counted in `corrupt_dropped` (the caller recomputes). A block
whose parts were evicted separately by Redis is a miss and its remains are deleted. A read refreshes the
TTL (a session in use stays); Redis does its own eviction past `maxmemory` (set `maxmemory-policy` to
`volatile-lru` or `allkeys-lru`: every key here carries a TTL); `stats()` reports Redis's memory, key
count and evictions, read at most every `_STATS_EVERY_S`.

Faults: a data call never raises for a Redis error. A connection error, timeout or refusal is counted
(stats().errors, logged once by `TierHealth`) and closes a `RetryGate`: until it reopens (0.1 s doubling to
10 s) calls answer at once without the network (get -> miss, put -> False, counted in write_failures).
The next call after that reconnects (redis-py's pool opens a new connection) and, when it works, the tier
is back. A hung server (SIGSTOP, a black-holed network) costs the one call that tries a socket timeout
(2 s by default), once per reopening, not once per block. Acknowledged writes survive a Redis restart as
far as Redis's own persistence goes (`appendonly yes` with `appendfsync always` loses none).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import redis

from loopcache.kvcache.block import CorruptBlockError, KVBlock
from loopcache.kvcache.block_hash import BlockHash
from loopcache.kvcache.redis_client import RedisTarget, connect
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_server_info import eviction_policy, read_figures
from loopcache.kvcache.redis_value import DEFAULT_PART_BYTES, frame_of, join, split
from loopcache.kvcache.retry_gate import RetryGate
from loopcache.kvcache.store import Counters, IntegrityReport, StoreStats
from loopcache.kvcache.tier_health import TierHealth

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_REDIS_TTL_S = 86400.0
_STATS_EVERY_S = 5.0
_PIPELINE_BYTES = 8 * 2**20
_OUTAGE = (redis.ConnectionError, redis.TimeoutError, OSError)  # the server is gone: close the gate
_FAULTS = (redis.RedisError, OSError)


class RedisStore:
    """Implements `Store` (plus `get_many` / `contains_many`); safe to call from several threads.

    `client` is a `redis.Redis` or `RedisCluster` with binary replies (redis_client.connect). Counters are
    this instance's; entries, bytes and evictions are the Redis server's (every client's keys), so they
    are a view of the shared tier, not of this process."""

    def __init__(self, client: Any, keys: RedisKeys, ttl_s: float = DEFAULT_REDIS_TTL_S,
                 part_bytes: int = DEFAULT_PART_BYTES, name: str = "redis", label: str = "redis tier",
                 gate: RetryGate | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if not ttl_s > 0:
            raise ValueError(f"ttl_s must be > 0 seconds, got {ttl_s!r}")
        self.name = name
        self.redis_keys = keys
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self.part_bytes = part_bytes
        self._client = client
        self._gate = gate or RetryGate()
        self._health = TierHealth(label)
        self._counters = Counters()
        self._counters_lock = threading.Lock()
        self._clock = clock
        self._closed = False
        self._server_stats = (0, 0, 0)  # (keys, used bytes, maxmemory)
        self._stats_at = -_STATS_EVERY_S
        self._evicted_at_open: tuple[int, int] | None = None
        self._evicted = (0, 0)  # (evicted keys, expired keys) since this store opened
        self._block_bytes_seen = 0  # encoded size of the last block read: sizes get_many's pipelines

    @classmethod
    def open(cls, target: RedisTarget, keys: RedisKeys, ttl_s: float = DEFAULT_REDIS_TTL_S,
             part_bytes: int = DEFAULT_PART_BYTES, name: str = "redis") -> RedisStore:
        """Connect to `target` (raises `RedisUnavailableError` if it does not answer) and open the tier."""
        client = connect(target)
        store = cls(client, keys, ttl_s, part_bytes, name, f"{name} tier at {target.safe_url}")
        store._warn_about_eviction_policy()
        return store

    # ---- Store protocol ---------------------------------------------------------------------------------

    def get(self, key: BlockHash) -> KVBlock | None:
        return self.get_many([key])[0]

    def get_many(self, keys: Sequence[BlockHash]) -> list[KVBlock | None]:
        """The blocks under `keys`, in order (None where absent or dropped): two round trips at most."""
        if not keys:
            return []
        found = self._call("get", lambda: self._get_many(keys), [None] * len(keys))
        with self._counters_lock:
            hits = sum(b is not None for b in found)
            self._counters.hits += hits
            self._counters.misses += len(keys) - hits
        return found

    def put(self, block: KVBlock) -> bool:
        values = split(block, self.part_bytes)
        stored = self._call("put", lambda: self._put(block.key, values), False, write=True)
        with self._counters_lock:
            if stored:
                self._counters.puts += 1
            else:
                self._counters.write_failures += 1
        return stored

    def contains(self, key: BlockHash) -> bool:
        return self.contains_many([key])[0]

    def contains_many(self, keys: Sequence[BlockHash]) -> list[bool]:
        """Whether each of `keys` has a head in Redis (one round trip, no payload)."""
        if not keys:
            return []

        def run() -> list[bool]:
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.exists(self.redis_keys.head(key))
            return [bool(n) for n in pipe.execute()]

        return self._call("contains", run, [False] * len(keys))

    def delete(self, key: BlockHash) -> bool:
        return self._call("delete", lambda: self._delete(key), False, write=True)

    def keys(self) -> Iterator[BlockHash]:
        if self._closed or not self._gate.allows():
            return iter(())
        found: list[BlockHash] = []
        try:
            for redis_key in self._client.scan_iter(match=self.redis_keys.head_pattern, count=1000):
                key = self.redis_keys.block_of(redis_key)
                if key is not None:
                    found.append(key)
        except _FAULTS as exc:
            self._failed("keys", exc)
        return iter(found)

    def stats(self) -> StoreStats:
        now = self._clock()
        if now - self._stats_at >= _STATS_EVERY_S and not self._closed and self._gate.allows():
            self._stats_at = now
            self._call("stats", self._refresh_server_stats, None)
        num_keys, used, maxmemory = self._server_stats
        with self._counters_lock:
            self._counters.evictions, self._counters.expired = self._evicted
            return self._counters.snapshot(self.name, num_keys, used, maxmemory)

    def check_integrity(self, deep: bool = False) -> IntegrityReport:
        """Every head has all its parts (a part Redis evicted alone: the remains are deleted and counted as
        fixed); `deep` also decodes and verifies every block (a corrupt one is dropped). Redis unreachable
        is a problem of its own."""
        keys = list(self.keys())
        if self._gate.is_closed or (not keys and self._health.is_failing):
            return IntegrityReport(self.name, 0, (f"{self._health.label}: unreachable",))
        problems: list[str] = []
        fixed = 0
        for key in keys:
            if deep:
                before = self._corrupt_count()
                if self.get(key) is None:
                    dropped = self._corrupt_count() > before
                    problems.append(f"{key}: {'corrupt, dropped' if dropped else 'incomplete, removed'}")
                    fixed += 1
            elif not self._call("check", lambda k=key: self._complete(k), True):
                problems.append(f"{key}: parts missing, removed")
                self.delete(key)
                fixed += 1
        return IntegrityReport(self.name, len(keys), tuple(problems), fixed)

    def _corrupt_count(self) -> int:
        with self._counters_lock:
            return self._counters.corrupt_dropped

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._client.close()
        except _FAULTS:  # closing a connection to a server that is gone
            pass

    # ---- internals ----------------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T], default: T, write: bool = False) -> T:
        """`fn()`, or `default` when closed, while the gate is shut, or when Redis fails (counted)."""
        if self._closed or not self._gate.allows():
            return default
        try:
            result = fn()
        except _FAULTS as exc:
            self._failed(what, exc, write)
            return default
        self._gate.succeeded()
        self._health.succeeded(write)
        return result

    def _failed(self, what: str, exc: BaseException, write: bool = False) -> None:
        with self._counters_lock:
            self._counters.errors += 1
        if isinstance(exc, _OUTAGE):
            self._gate.failed()
        self._health.failed(what, exc, write)

    def _get_many(self, keys: Sequence[BlockHash]) -> list[KVBlock | None]:
        """Pipelines of as many keys as fit `_PIPELINE_BYTES` of the blocks seen last: small blocks in one
        round trip, large ones a few at a time (each decoded while its bytes are still in the CPU cache,
        and the client never holds a whole prefix of raw replies at once)."""
        per_pipeline = max(1, _PIPELINE_BYTES // max(1, self._block_bytes_seen))
        found: list[KVBlock | None] = []
        for start in range(0, len(keys), per_pipeline):
            found += self._get_pipelined(keys[start:start + per_pipeline])
        return found

    def _get_pipelined(self, keys: Sequence[BlockHash]) -> list[KVBlock | None]:
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.getex(self.redis_keys.head(key), px=self.ttl_ms)
        heads = self._replies(pipe.execute(raise_on_error=False))
        wanted: list[tuple[int, int]] = []  # (index in keys, number of parts)
        frames: dict[int, int] = {}
        for i, head in enumerate(heads):
            if isinstance(head, Exception):  # another client's value of another type under our key
                self._drop(keys[i], f"foreign value ({head})")
                heads[i] = None
            elif isinstance(head, bytes):
                try:
                    frame = frame_of(head)
                    frames[i] = frame.num_parts
                    self._block_bytes_seen = frame.total_bytes
                except CorruptBlockError as exc:
                    self._drop(keys[i], f"unreadable head: {exc}")
                    heads[i] = None
        pipe = self._client.pipeline(transaction=False)
        for i, num_parts in frames.items():
            for part in range(1, num_parts):
                pipe.getex(self.redis_keys.part(keys[i], part), px=self.ttl_ms)
            wanted.append((i, num_parts))
        tails = iter(self._replies(pipe.execute(raise_on_error=False)) if any(n > 1 for _, n in wanted) else [])
        found: list[KVBlock | None] = [None] * len(keys)
        for i, num_parts in wanted:
            parts = [next(tails) for _ in range(num_parts - 1)]
            if any(isinstance(p, Exception) for p in parts):
                self._drop(keys[i], "foreign value under a part key")
                continue
            if any(not isinstance(p, bytes) for p in parts):
                self._delete(keys[i])  # Redis evicted a part on its own: the rest is useless
                continue
            found[i] = self._verified(keys[i], heads[i], parts)  # type: ignore[arg-type]
        return found

    def _verified(self, key: BlockHash, head: bytes, parts: list[bytes]) -> KVBlock | None:
        try:
            block = join(head, parts)
        except CorruptBlockError as exc:
            self._drop(key, str(exc))
            return None
        if block.key != key:
            self._drop(key, f"holds block {block.key}")
            return None
        if self.redis_keys.fingerprint != "any" and block.fingerprint != self.redis_keys.fingerprint:
            self._drop(key, f"computed by another model ({block.fingerprint})")
            return None
        return block

    @staticmethod
    def _replies(replies: list[object]) -> list[object]:
        """Pipeline replies with a connection failure raised; a per-key error (WRONGTYPE: a foreign value of
        another type) stays in the list."""
        for reply in replies:
            if isinstance(reply, _OUTAGE):
                raise reply
        return replies

    def _drop(self, key: BlockHash, why: str) -> None:
        log.warning("%s: dropping %s: %s", self._health.label, key, why)
        with self._counters_lock:
            self._counters.corrupt_dropped += 1
        self._delete(key)

    def _put(self, key: BlockHash, values: list[bytes]) -> bool:
        pipe = self._client.pipeline(transaction=True)
        for i in range(len(values) - 1, 0, -1):  # the head last: a reader finds it only with all its parts
            pipe.set(self.redis_keys.part(key, i), values[i], px=self.ttl_ms)
        pipe.set(self.redis_keys.head(key), values[0], px=self.ttl_ms)
        pipe.execute()
        return True

    def _delete(self, key: BlockHash) -> bool:
        head = self.redis_keys.head(key)
        try:
            raw = self._client.getrange(head, 0, 15)
        except redis.ResponseError:  # not a string: a foreign value, a single key
            raw = b""
        try:
            num_parts = frame_of(raw).num_parts if raw else 1
        except CorruptBlockError:
            num_parts = 1
        names = [head, *(self.redis_keys.part(key, i) for i in range(1, num_parts))]
        pipe = self._client.pipeline(transaction=True)
        for name in names:
            pipe.delete(name)
        return bool(pipe.execute()[0])

    def _complete(self, key: BlockHash) -> bool:
        raw = self._client.getrange(self.redis_keys.head(key), 0, 15)
        if not raw:
            return True  # expired meanwhile
        num_parts = frame_of(raw).num_parts
        pipe = self._client.pipeline(transaction=False)
        for i in range(1, num_parts):
            pipe.exists(self.redis_keys.part(key, i))
        return all(pipe.execute()) if num_parts > 1 else True

    def _refresh_server_stats(self) -> None:
        figures = read_figures(self._client)
        self._server_stats = (figures.num_keys, figures.used_bytes, figures.maxmemory)
        now = (figures.evicted_keys, figures.expired_keys)
        if self._evicted_at_open is None:
            self._evicted_at_open = now
        self._evicted = (now[0] - self._evicted_at_open[0], now[1] - self._evicted_at_open[1])

    def _warn_about_eviction_policy(self) -> None:
        try:
            policy = eviction_policy(self._client)
        except _FAULTS:
            return
        if policy == "noeviction":
            log.warning("%s: maxmemory-policy is noeviction: once Redis is full, new blocks are not stored "
                        "(counted in loopcache_store_write_failures); set volatile-lru or allkeys-lru",
                        self._health.label)
