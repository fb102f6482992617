"""RedisStore on a real 3-node Redis Cluster (`redis-cli --cluster create`, no replicas)."""

from __future__ import annotations

import numpy as np
import redis
from redis.cluster import RedisCluster

from loopcache.kvcache.redis_client import RedisTarget
from loopcache.kvcache.redis_keys import RedisKeys
from loopcache.kvcache.redis_store import RedisStore
from loopcache.kvcache.redis_value import split
from tests.kvcache.blocks import block_for
from tests.redis_servers import RedisCluster3

KEYS = RedisKeys("cluster", "fp")


def test_blocks_spread_over_shards_each_block_in_one_slot(redis_cluster: RedisCluster3) -> None:
    store = RedisStore.open(RedisTarget(redis_cluster.url), KEYS, part_bytes=4096)
    blocks = [block_for(i, nbytes=12_000) for i in range(24)]
    num_parts = len(split(blocks[0], 4096))
    assert num_parts == 4
    assert all(store.put(b) for b in blocks)
    found = store.get_many([b.key for b in blocks])
    assert all(f is not None and np.array_equal(f.payload, b.payload) for f, b in zip(found, blocks))
    assert set(store.keys()) == {b.key for b in blocks}

    per_node = []
    for node in redis_cluster.nodes:
        client = redis.Redis(port=node.port)
        names = client.keys("lc:v1:cluster:*")
        per_node.append(len(names))
        slots: dict[bytes, list[int]] = {}
        for name in names:
            slots.setdefault(name.split(b"}")[0], []).append(client.cluster("keyslot", name))
        assert all(len(set(s)) == 1 for s in slots.values())  # every part of a block in its head's slot
        assert all(len(s) == num_parts for s in slots.values())  # whole blocks only: parts live by their head
        client.close()
    assert sum(per_node) == 24 * num_parts and sum(n > 0 for n in per_node) == 3
    assert store.stats().num_entries == 24 * num_parts  # counted over every primary

    assert store.delete(blocks[0].key) and store.get(blocks[0].key) is None
    assert store.check_integrity(deep=True).ok
    store.close()


def test_cluster_url_with_any_node(redis_cluster: RedisCluster3) -> None:
    last = redis_cluster.nodes[-1].port
    store = RedisStore.open(RedisTarget(f"redis+cluster://127.0.0.1:{last}"), KEYS)
    block = block_for(100)
    assert store.put(block) and store.get(block.key) is not None
    client = RedisCluster(host="127.0.0.1", port=redis_cluster.nodes[0].port)
    assert client.exists(KEYS.head(block.key)) == 1
    client.close()
    store.close()
