"""RedisSessionRegistry: the session registry kept in the Redis that holds the shared KV tier, so that every
server behind one load balancer sees the same sessions, steps and retention policies.

    lc:v1:<keyspace>:<fingerprint>:s:{<tag>}          hash: namespace, id, created, last_activity, steps,
                                                      policy (JSON), compaction (JSON), last_tokens (int32)
    lc:v1:<keyspace>:<fingerprint>:s:{<tag>}:steps    list: one JSON StepRecord per step, in order
    lc:v1:<keyspace>:<fingerprint>:s:{<tag>}:blocks   list: block keys of the latest step, chain first
    lc:v1:<keyspace>:<fingerprint>:sessions           sorted set: tag -> last activity (the index)

`tag` is a hash of (namespace, id), so any session id is a safe key, and the `{...}` hash tag keeps one
session's three keys in one Redis Cluster slot: each write is one MULTI/EXEC. The index lives in its own
slot and is updated after; a listing skips (and drops) index entries whose session has expired.

A session's keys expire `ttl_s` after its last write (a pin or a longer disk TTL of its policy extends
that), so Redis never fills with sessions nobody resumes. During a Redis outage the registry degrades like
the KV tier: reads answer "unknown session", writes are dropped, each failure is counted
(`error_count`, in /metrics) and a `RetryGate` spares the network until Redis is back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

import redis

from loopcache.kvcache.redis_client import RedisTarget, connect
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.retry_gate import RetryGate
from loopcache.sessions.policy import RetentionPolicy
from loopcache.sessions.registry import SessionInfo, StepRecord

log = logging.getLogger(__name__)
T = TypeVar("T")
_FAULTS = (redis.RedisError, OSError)
_OUTAGE = (redis.ConnectionError, redis.TimeoutError, OSError)
_INFO_FIELDS = (b"namespace", b"id", b"created", b"last_activity", b"steps", b"policy", b"compaction")


class RedisSessionRegistry:
    """Implements `Registry` over `client` (`redis.Redis` or `RedisCluster`, binary replies). Thread-safe."""

    def __init__(self, client: Any, keys: RedisKeys, ttl_s: float, gate: RetryGate | None = None,
                 label: str = "redis") -> None:
        if not ttl_s > 0:
            raise ValueError(f"ttl_s must be > 0 seconds, got {ttl_s!r}")
        self._client = client
        self._prefix = f"{keys.prefix}s:"
        self._index = f"{keys.prefix}sessions".encode()
        self.ttl_s = ttl_s
        self.label = label
        self._gate = gate or RetryGate()
        self._errors = 0
        self._lock = threading.Lock()

    @classmethod
    def open(cls, target: RedisTarget, keys: RedisKeys, ttl_s: float) -> RedisSessionRegistry:
        """Connect to `target` (raises `RedisUnavailableError` if it does not answer)."""
        return cls(connect(target), keys, ttl_s, label=target.safe_url)

    # ---- writes -------------------------------------------------------------------------------------------

    def record_step(self, namespace: str, session_id: str, record: StepRecord, block_keys: Sequence[str],
                    last_tokens: bytes, default_policy: RetentionPolicy) -> None:
        """`default_policy`: the session's policy now (created with it when new; its pin and TTL set expiry)."""
        meta, steps, blocks = self._keys(namespace, session_id)

        def write() -> None:
            pipe = self._client.pipeline(transaction=True)
            self._ensure(pipe, meta, namespace, session_id, record.at, default_policy)
            pipe.hset(meta, mapping={b"last_activity": repr(record.at), b"steps": record.step,
                                     b"last_tokens": last_tokens})
            pipe.rpush(steps, json.dumps(asdict(record)))
            pipe.delete(blocks)
            if block_keys:
                pipe.rpush(blocks, *block_keys)
            self._expire(pipe, (meta, steps, blocks), default_policy, record.at)
            pipe.execute()
            self._client.zadd(self._index, {self._tag(namespace, session_id): record.at})

        self._call("record a step", write, None)

    def set_policy(self, namespace: str, session_id: str, policy: RetentionPolicy, now: float) -> None:
        meta, steps, blocks = self._keys(namespace, session_id)

        def write() -> None:
            pipe = self._client.pipeline(transaction=True)
            self._ensure(pipe, meta, namespace, session_id, now, policy)
            pipe.hset(meta, b"policy", json.dumps(policy.to_dict()))
            self._expire(pipe, (meta, steps, blocks), policy, now)
            pipe.execute()
            self._client.zadd(self._index, {self._tag(namespace, session_id): now}, nx=True)

        self._call("set a policy", write, None)

    def set_compaction(self, namespace: str, session_id: str, state: dict[str, Any] | None) -> None:
        meta = self._keys(namespace, session_id)[0]

        def write() -> None:
            if self._client.exists(meta):  # like SQL's UPDATE: nothing for a session that does not exist
                self._client.hset(meta, b"compaction", b"" if state is None else json.dumps(state))

        self._call("set compaction", write, None)

    def delete(self, namespace: str, session_id: str) -> bool:
        keys = self._keys(namespace, session_id)

        def write() -> bool:
            gone = self._client.delete(*keys)
            self._client.zrem(self._index, self._tag(namespace, session_id))
            return gone > 0

        return self._call("delete a session", write, False)

    # ---- reads --------------------------------------------------------------------------------------------

    def get(self, namespace: str, session_id: str) -> SessionInfo | None:
        meta = self._keys(namespace, session_id)[0]
        return self._call("read a session", lambda: _info(self._client.hmget(meta, _INFO_FIELDS)), None)

    def list_sessions(self, namespace: str | None = None, limit: int | None = None) -> list[SessionInfo]:
        def read() -> list[SessionInfo]:
            found: list[SessionInfo] = []
            tags = self._client.zrevrange(self._index, 0, -1)
            for start in range(0, len(tags), 256):
                chunk = tags[start:start + 256]
                pipe = self._client.pipeline(transaction=False)
                for tag in chunk:
                    pipe.hmget(self._meta_of(tag), _INFO_FIELDS)
                gone = []
                for tag, fields in zip(chunk, pipe.execute(), strict=True):
                    info = _info(fields)
                    if info is None:
                        gone.append(tag)
                    elif namespace is None or info.namespace == namespace:
                        found.append(info)
                if gone:  # expired sessions: drop them from the index
                    self._client.zrem(self._index, *gone)
                if limit is not None and len(found) >= limit:
                    return found[:limit]
            return found

        return self._call("list sessions", read, [])

    def steps(self, namespace: str, session_id: str) -> list[StepRecord]:
        key = self._keys(namespace, session_id)[1]
        return self._call("read steps", lambda: [StepRecord.from_dict(json.loads(r))
                                                 for r in self._client.lrange(key, 0, -1)], [])

    def progress(self, namespace: str, session_id: str) -> tuple[int, bytes | None]:
        meta = self._keys(namespace, session_id)[0]

        def read() -> tuple[int, bytes | None]:
            steps, tokens = self._client.hmget(meta, [b"steps", b"last_tokens"])
            return (int(steps) if steps else 0), (tokens or None)

        return self._call("read progress", read, (0, None))

    def block_keys(self, namespace: str, session_id: str) -> list[str]:
        key = self._keys(namespace, session_id)[2]
        return self._call("read block keys", lambda: [k.decode() for k in self._client.lrange(key, 0, -1)], [])

    def all_block_keys(self) -> Iterator[tuple[str, str, str]]:
        for info in self.list_sessions():
            for key in self.block_keys(info.namespace, info.session_id):
                yield info.namespace, info.session_id, key

    def error_count(self) -> int:
        return self._errors

    def check_integrity(self) -> list[str]:
        if not self._call("reach Redis", lambda: bool(self._client.ping()), False):
            return [f"session registry at {self.label} unreachable"]
        problems = []
        for info in self.list_sessions():
            key = self._keys(info.namespace, info.session_id)[1]
            count = self._call("count steps", lambda k=key: int(self._client.llen(k)), info.steps)
            if count != info.steps:
                problems.append(f"session {info.namespace}/{info.session_id}: steps says {info.steps}, "
                                f"{count} step records")
        return problems

    def close(self) -> None:
        try:
            self._client.close()
        except _FAULTS:
            pass

    # ---- internals ----------------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T], default: T) -> T:
        if not self._gate.allows():
            return default
        try:
            result = fn()
        except _FAULTS as exc:
            with self._lock:
                self._errors += 1
            if isinstance(exc, _OUTAGE):
                self._gate.failed()
            log.warning("session registry at %s: cannot %s: %s: %s", self.label, what, type(exc).__name__, exc)
            return default
        self._gate.succeeded()
        return result

    def _tag(self, namespace: str, session_id: str) -> bytes:
        return hashlib.sha256(f"{namespace}\0{session_id}".encode()).hexdigest()[:32].encode()

    def _meta_of(self, tag: bytes) -> bytes:
        return f"{self._prefix}{{{tag.decode()}}}".encode()

    def _keys(self, namespace: str, session_id: str) -> tuple[bytes, bytes, bytes]:
        meta = self._meta_of(self._tag(namespace, session_id))
        return meta, meta + b":steps", meta + b":blocks"

    @staticmethod
    def _ensure(pipe: Any, meta: bytes, namespace: str, session_id: str, now: float,
                policy: RetentionPolicy) -> None:
        for name, value in ((b"namespace", namespace), (b"id", session_id), (b"created", repr(now)),
                            (b"last_activity", repr(now)), (b"steps", 0),
                            (b"policy", json.dumps(policy.to_dict()))):
            pipe.hsetnx(meta, name, value)

    def _expire(self, pipe: Any, keys: Sequence[bytes], policy: RetentionPolicy, now: float) -> None:
        """Keep the session as long as its blocks may be wanted: the registry TTL, its disk TTL, its pin."""
        keep_s = max(self.ttl_s, policy.disk_ttl_s or 0.0, policy.pinned_until - now)
        for key in keys:
            pipe.expire(key, max(1, int(keep_s + 0.5)))


def session_models(client: Any, keyspace: str) -> list[str]:
    """The model fingerprints with a session index under `keyspace` (a SCAN: for the operator's CLI)."""
    prefix = RedisKeys(keyspace).prefix.rsplit(":", 2)[0] + ":"  # lc:v1:<keyspace>:
    found = {name.decode(errors="replace")[len(prefix):-len(":sessions")]
             for name in client.scan_iter(match=f"{prefix}*:sessions", count=1000)}
    return sorted(f for f in found if f and ":" not in f)


def _info(fields: Sequence[bytes | None]) -> SessionInfo | None:
    namespace, session_id, created, last_activity, steps, policy, compaction = fields
    if namespace is None or session_id is None or policy is None:
        return None
    return SessionInfo(namespace.decode(), session_id.decode(), float(created or 0), float(last_activity or 0),
                       int(steps or 0), RetentionPolicy.from_dict(json.loads(policy)),
                       json.loads(compaction) if compaction else None)
