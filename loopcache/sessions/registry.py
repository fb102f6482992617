"""What every session did: the `Registry` protocol, its records, and `SessionRegistry`, the embedded one in
SQLite beside the KV tiers (survives restarts, shared by the processes that share the cache directory).
`redis_registry.py` is the one servers share through Redis.

    sessions(namespace, id)         created, last activity, steps, retention policy, last step's tokens
    steps(namespace, session, n)    prompt / cached (by tier) / computed / fresh / output tokens, TTFT, gap
    session_blocks(namespace, session, key)   the block keys of the session's latest step (prefetch, eviction)

Every write is one short IMMEDIATE transaction (WAL, busy timeout): many processes may write at once. A
tenant reads only its own namespace: every query is keyed by it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from loopcache.sessions.policy import RetentionPolicy

REGISTRY_NAME = "sessions.sqlite3"
SCHEMA_VERSION = 1
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sessions (namespace TEXT NOT NULL, id TEXT NOT NULL, created REAL NOT NULL,"
    " last_activity REAL NOT NULL, steps INTEGER NOT NULL DEFAULT 0, policy TEXT NOT NULL,"
    " last_tokens BLOB, compaction TEXT, PRIMARY KEY (namespace, id))",
    "CREATE TABLE IF NOT EXISTS steps (namespace TEXT NOT NULL, session TEXT NOT NULL, n INTEGER NOT NULL,"
    " record TEXT NOT NULL, PRIMARY KEY (namespace, session, n))",
    "CREATE TABLE IF NOT EXISTS session_blocks (namespace TEXT NOT NULL, session TEXT NOT NULL, key TEXT NOT NULL,"
    " PRIMARY KEY (namespace, session, key))",
)


class RegistryError(Exception):
    """The registry file cannot be used (damaged, newer schema, unwritable); names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"session registry {path}: {reason}")
        self.path = path


@dataclass(frozen=True)
class StepRecord:
    """One step of a session, as the registry keeps it."""

    step: int
    at: float  # epoch seconds when the step finished
    prompt_tokens: int
    cached_tokens: int
    computed_tokens: int
    fresh_tokens: int
    output_tokens: int
    ttft_s: float
    gap_s: float | None  # from the end of the previous step to this one's arrival (None: the first step)
    cached_tokens_by_tier: dict[str, int] = field(default_factory=dict)
    tokens_saved: int = 0  # by compaction, in this step's prompt
    compaction_cost_tokens: int = 0  # tokens recomputed because compaction rewrote the prefix

    @property
    def hit_rate(self) -> float:
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["hit_rate"] = self.hit_rate
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepRecord:
        data = {k: v for k, v in data.items() if k != "hit_rate"}
        return cls(**data)


@dataclass(frozen=True)
class SessionInfo:
    namespace: str
    session_id: str
    created: float
    last_activity: float
    steps: int
    policy: RetentionPolicy
    compaction: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.session_id, "namespace": self.namespace, "created": self.created,
                "last_activity": self.last_activity, "steps": self.steps, "policy": self.policy.to_dict()}


class Registry(Protocol):
    """Where sessions are recorded. Every read and write names the tenant namespace."""

    def record_step(self, namespace: str, session_id: str, record: StepRecord, block_keys: Sequence[str],
                    last_tokens: bytes, default_policy: RetentionPolicy) -> None: ...
    def set_policy(self, namespace: str, session_id: str, policy: RetentionPolicy, now: float) -> None: ...
    def set_compaction(self, namespace: str, session_id: str, state: dict[str, Any] | None) -> None: ...
    def delete(self, namespace: str, session_id: str) -> bool: ...
    def get(self, namespace: str, session_id: str) -> SessionInfo | None: ...
    def list_sessions(self, namespace: str | None = None, limit: int | None = None) -> list[SessionInfo]: ...
    def steps(self, namespace: str, session_id: str) -> list[StepRecord]: ...
    def progress(self, namespace: str, session_id: str) -> tuple[int, bytes | None]:
        """(steps so far, the last step's prompt + output tokens as int32 bytes): what the next step needs."""
    def block_keys(self, namespace: str, session_id: str) -> list[str]: ...
    def all_block_keys(self) -> Iterator[tuple[str, str, str]]: ...
    def error_count(self) -> int:
        """Calls that failed and were given up (a shared registry during an outage); 0 where errors raise."""
    def check_integrity(self) -> list[str]: ...
    def close(self) -> None: ...


class SessionRegistry:
    """Open with `SessionRegistry(root)`; close when done. Thread-safe (one connection under a lock)."""

    def __init__(self, root: Path, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(root) / REGISTRY_NAME
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None,
                                       check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise RegistryError(self.path, f"cannot open: {exc}") from exc
        try:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RegistryError(self.path, f"written by a newer loopcache (schema {version} > {SCHEMA_VERSION})")
            with self._txn() as db:
                for sql in _SCHEMA:
                    db.execute(sql)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise RegistryError(self.path, f"damaged or not a registry ({exc}); move it aside to start afresh") from exc
        except BaseException:
            self._db.close()
            raise

    # ---- writes -------------------------------------------------------------------------------------------

    def record_step(self, namespace: str, session_id: str, record: StepRecord, block_keys: Sequence[str],
                    last_tokens: bytes, default_policy: RetentionPolicy) -> None:
        """Append `record` (its `step` is this session's next number) and replace the session's block keys."""
        with self._txn() as db:
            self._ensure(db, namespace, session_id, record.at, default_policy)
            db.execute("UPDATE sessions SET last_activity = ?, steps = ?, last_tokens = ? WHERE namespace = ? AND id = ?",
                       (record.at, record.step, last_tokens, namespace, session_id))
            db.execute("INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?)",
                       (namespace, session_id, record.step, json.dumps(asdict(record))))
            db.execute("DELETE FROM session_blocks WHERE namespace = ? AND session = ?", (namespace, session_id))
            db.executemany("INSERT OR IGNORE INTO session_blocks VALUES (?, ?, ?)",
                           [(namespace, session_id, k) for k in block_keys])

    def set_policy(self, namespace: str, session_id: str, policy: RetentionPolicy, now: float) -> None:
        with self._txn() as db:
            self._ensure(db, namespace, session_id, now, policy)
            db.execute("UPDATE sessions SET policy = ? WHERE namespace = ? AND id = ?",
                       (json.dumps(policy.to_dict()), namespace, session_id))

    def set_compaction(self, namespace: str, session_id: str, state: dict[str, Any] | None) -> None:
        with self._txn() as db:
            db.execute("UPDATE sessions SET compaction = ? WHERE namespace = ? AND id = ?",
                       (None if state is None else json.dumps(state), namespace, session_id))

    def delete(self, namespace: str, session_id: str) -> bool:
        with self._txn() as db:
            gone = db.execute("DELETE FROM sessions WHERE namespace = ? AND id = ?", (namespace, session_id)).rowcount
            db.execute("DELETE FROM steps WHERE namespace = ? AND session = ?", (namespace, session_id))
            db.execute("DELETE FROM session_blocks WHERE namespace = ? AND session = ?", (namespace, session_id))
        return gone > 0

    # ---- reads --------------------------------------------------------------------------------------------

    def get(self, namespace: str, session_id: str) -> SessionInfo | None:
        rows = self._rows("SELECT namespace, id, created, last_activity, steps, policy, compaction FROM sessions"
                          " WHERE namespace = ? AND id = ?", (namespace, session_id))
        return _info(rows[0]) if rows else None

    def list_sessions(self, namespace: str | None = None, limit: int | None = None) -> list[SessionInfo]:
        """Sessions of `namespace` (None: every namespace, for the operator's CLI), most recent first."""
        sql = "SELECT namespace, id, created, last_activity, steps, policy, compaction FROM sessions"
        where, args = ("", ()) if namespace is None else (" WHERE namespace = ?", (namespace,))
        rows = self._rows(f"{sql}{where} ORDER BY last_activity DESC LIMIT ?", (*args, -1 if limit is None else limit))
        return [_info(r) for r in rows]

    def steps(self, namespace: str, session_id: str) -> list[StepRecord]:
        rows = self._rows("SELECT record FROM steps WHERE namespace = ? AND session = ? ORDER BY n",
                          (namespace, session_id))
        return [StepRecord.from_dict(json.loads(r[0])) for r in rows]

    def progress(self, namespace: str, session_id: str) -> tuple[int, bytes | None]:
        rows = self._rows("SELECT steps, last_tokens FROM sessions WHERE namespace = ? AND id = ?",
                          (namespace, session_id))
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    def block_keys(self, namespace: str, session_id: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT key FROM session_blocks WHERE namespace = ? AND session = ?",
                                         (namespace, session_id))]

    def all_block_keys(self) -> Iterator[tuple[str, str, str]]:
        """(namespace, session, key) of every session's latest step."""
        yield from self._rows("SELECT namespace, session, key FROM session_blocks")

    def error_count(self) -> int:
        return 0  # every failure raises RegistryError or sqlite3.Error

    def check_integrity(self) -> list[str]:
        problems = [r[0] for r in self._rows("PRAGMA quick_check") if r[0] != "ok"]
        problems += [f"session {ns}/{sid}: steps says {n}, {m} step rows"
                     for ns, sid, n, m in self._rows(
                         "SELECT s.namespace, s.id, s.steps, (SELECT COUNT(*) FROM steps t WHERE t.namespace ="
                         " s.namespace AND t.session = s.id) FROM sessions s") if n != m]
        problems += [f"blocks of unknown session {ns}/{sid}" for ns, sid in self._rows(
            "SELECT DISTINCT namespace, session FROM session_blocks b WHERE NOT EXISTS (SELECT 1 FROM sessions s"
            " WHERE s.namespace = b.namespace AND s.id = b.session)")]
        return problems

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- internals ----------------------------------------------------------------------------------------

    def _ensure(self, db: sqlite3.Connection, namespace: str, session_id: str, now: float,
                policy: RetentionPolicy) -> None:
        db.execute("INSERT OR IGNORE INTO sessions (namespace, id, created, last_activity, policy) VALUES (?, ?, ?, ?, ?)",
                   (namespace, session_id, now, now, json.dumps(policy.to_dict())))

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _txn(self) -> _Txn:
        return _Txn(self._db, self._lock)


class _Txn:
    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, typ: object, *_: object) -> None:
        try:
            self.db.execute("COMMIT" if typ is None else "ROLLBACK")
        finally:
            self.lock.release()


def _info(row: Any) -> SessionInfo:
    namespace, session_id, created, last_activity, steps, policy, compaction = row
    return SessionInfo(namespace, session_id, created, last_activity, steps,
                       RetentionPolicy.from_dict(json.loads(policy)), json.loads(compaction) if compaction else None)
