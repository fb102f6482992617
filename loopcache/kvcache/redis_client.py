"""Where the Redis tier lives: a validated URL, and the one function that connects to it.

    redis://[[user]:password@]host[:port][/db]      one Redis (or Valkey) server
    rediss://...                                    the same over TLS
    unix:///path/to/redis.sock[?db=N]               a local socket
    redis+cluster://[[user]:password@]host[:port]   Redis Cluster: any node; the others are discovered
    rediss+cluster://...                            Redis Cluster over TLS

The URL is checked when the config is built (a typo is a usage error, not a failure at the first request);
`connect` then proves the server answers (PING), so a server that cannot be reached at start is a clear
error. Once running, the store degrades instead (redis_store.py). Calls never retry inside redis-py: one
failure is one counted error, and the store's `RetryGate` decides when to try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.connection import Encoder, PythonRespSerializer
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry

SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")
DEFAULT_CONNECT_TIMEOUT_S = 1.0
DEFAULT_SOCKET_TIMEOUT_S = 2.0  # a reply slower than this on a LAN means trouble: lookups must not stall
_BUFFER_CUTOFF = 6000  # redis-py's own: smaller arguments are joined into one write
_READ_BYTES = 1 << 20  # socket reads of replies: KV values are megabytes


class RedisUnavailableError(Exception):
    """The Redis tier cannot be reached or used at start (the message names the URL, without its password)."""


@dataclass(frozen=True)
class RedisTarget:
    """A checked Redis URL. `cluster` when the scheme ends in `+cluster`."""

    url: str
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    socket_timeout_s: float = DEFAULT_SOCKET_TIMEOUT_S

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in SCHEMES:
            raise ValueError(f"Redis URL must start with one of {', '.join(s + '://' for s in SCHEMES)}, "
                             f"got {self.safe_url!r}")
        if parts.scheme == "unix":
            if not parts.path:
                raise ValueError(f"Redis URL {self.safe_url!r} names no socket path")
        else:
            if not parts.hostname:
                raise ValueError(f"Redis URL {self.safe_url!r} names no host")
            try:
                parts.port  # noqa: B018 - raises on a port that is not a number in range
            except ValueError as exc:
                raise ValueError(f"Redis URL {self.safe_url!r}: {exc}") from exc
            db = parts.path.strip("/")
            if db and not db.isdigit():
                raise ValueError(f"Redis URL {self.safe_url!r}: database must be a number, got {db!r}")
            if self.cluster and db not in ("", "0"):
                raise ValueError(f"Redis URL {self.safe_url!r}: Redis Cluster has only database 0")
        if not (self.connect_timeout_s > 0 and self.socket_timeout_s > 0):
            raise ValueError("Redis timeouts must be positive")

    @property
    def cluster(self) -> bool:
        return urlsplit(self.url).scheme.endswith("+cluster")

    @property
    def safe_url(self) -> str:
        """The URL with any password replaced by ***, for messages and logs."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        user = parts.username or ""
        host = parts.netloc.rsplit("@", 1)[1]
        return parts._replace(netloc=f"{user}:***@{host}").geturl()


def connect(target: RedisTarget) -> Any:
    """A client for `target` (`redis.Redis` or `RedisCluster`, binary replies) that answered PING.

    Raises `RedisUnavailableError` when the server cannot be reached, refuses the password, or is not what
    the URL says (a cluster URL to a plain server, or the other way round)."""
    # Replies are parsed by hiredis; commands are packed in Python, which sends a large value (a memoryview
    # of the block's buffer) as it is, where hiredis's packer would copy it into one command string first.
    packer = PythonRespSerializer(_BUFFER_CUTOFF, Encoder("utf-8", "strict", False).encode)
    options: dict[str, Any] = dict(socket_connect_timeout=target.connect_timeout_s,
                                   socket_timeout=target.socket_timeout_s, decode_responses=False,
                                   retry=Retry(NoBackoff(), 0), command_packer=packer, socket_read_size=_READ_BYTES)
    try:
        if target.cluster:
            url = target.url.replace("+cluster://", "://", 1)
            client: Any = RedisCluster.from_url(url, **options)
        else:
            client = redis.Redis.from_url(target.url, **options)
            if client.info("cluster").get("cluster_enabled"):
                client.close()
                raise RedisUnavailableError(f"{target.safe_url} is a Redis Cluster node: use a "
                                            f"redis+cluster:// URL")
        client.ping()
    except RedisUnavailableError:
        raise
    except (redis.RedisError, RedisClusterException, OSError) as exc:
        raise RedisUnavailableError(f"cannot use Redis at {target.safe_url}: {type(exc).__name__}: {exc}") from exc
    return client
