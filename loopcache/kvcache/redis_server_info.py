"""What a Redis server (or every primary of a Redis Cluster) says about itself: keys, memory, evictions,
eviction policy, and which models have blocks in a keyspace. Read-only; callers handle Redis errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.cluster import RedisCluster

from loopcache.kvcache.redis_keys import RedisKeys


@dataclass(frozen=True, slots=True)
class ServerFigures:
    num_keys: int  # every key of the database (other clients' too; a large block is several keys)
    used_bytes: int
    maxmemory: int  # 0: no limit
    evicted_keys: int  # since the server started
    expired_keys: int


def read_figures(client: Any) -> ServerFigures:
    """INFO memory / INFO stats / DBSIZE, summed over a cluster's primaries."""
    every = {"target_nodes": RedisCluster.PRIMARIES} if isinstance(client, RedisCluster) else {}
    memory = _summed(client.info("memory", **every))
    counts = _summed(client.info("stats", **every))
    return ServerFigures(int(client.dbsize(**every)), memory.get("used_memory", 0), memory.get("maxmemory", 0),
                         counts.get("evicted_keys", 0), counts.get("expired_keys", 0))


def eviction_policy(client: Any) -> str | None:
    """`maxmemory-policy`, or None where CONFIG is not allowed (managed Redis often disables it)."""
    policy = client.config_get("maxmemory-policy")
    values = list(policy.values()) if isinstance(policy, dict) else []
    if not values:
        return None
    value = values[0]
    return value.decode() if isinstance(value, bytes) else str(value)


def stored_fingerprints(client: Any, keyspace: str) -> set[str]:
    """The model fingerprints that have blocks under `keyspace` (a SCAN of the keyspace: maintenance only)."""
    prefix = RedisKeys(keyspace).prefix.rsplit(":", 2)[0] + ":"  # lc:v1:<keyspace>:
    found: set[str] = set()
    for name in client.scan_iter(match=f"{prefix}*", count=1000):
        fingerprint = name.decode(errors="replace")[len(prefix):].split(":", 1)[0]
        if fingerprint:
            found.add(fingerprint)
    return found


def _summed(info: dict[str, Any]) -> dict[str, int]:
    """INFO of one server, or of every cluster node (a dict per node), as integers summed over nodes."""
    nodes = [v for v in info.values() if isinstance(v, dict)] or [info]
    total: dict[str, int] = {}
    for node in nodes:
        for name, value in node.items():
            if isinstance(value, int):
                total[name] = total.get(name, 0) + value
    return total
