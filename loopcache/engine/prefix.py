"""Prefix lookup: the longest run of cached KV that starts a prompt, across tiers, verified token by token.

    prompt:   [ block 0 ][ block 1 ][ block 2 ][ partial ........ ]x     x = last token, always computed
    cached:   [  disk   ][ memory  ]  miss     
    tail:                           T(h1) -> tokens of a previous step's partial block (or its start)

Full blocks are looked up by chained hash; after the last hit, the tail slot of that parent may hold the
previous step's partial block plus its generated tokens: its longest common prefix with the prompt is
reused. Whatever is found is checked against the real tokens, namespace, fingerprint and layout before it is
used, and loaded only as far as loading beats recomputing (`CostModel`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from loopcache.engine.cost_model import Candidate, CostModel
from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import ROOT, BlockHash, chain_hashes, tail_key
from loopcache.kvcache.tiered import TieredStore


@dataclass(frozen=True, slots=True)
class Segment:
    """Use the first `num_tokens` tokens of `block`, found in `tier`."""

    block: KVBlock
    tier: str
    num_tokens: int


@dataclass(frozen=True)
class PrefixMatch:
    segments: tuple[Segment, ...] = ()
    load_s: float = 0.0
    skipped_tokens: int = 0  # cached, but recomputing was cheaper
    rejected_blocks: int = 0  # found but failed verification
    tokens_by_tier: dict[str, int] = field(default_factory=dict)

    @property
    def num_tokens(self) -> int:
        return sum(s.num_tokens for s in self.segments)


@dataclass(frozen=True)
class BlockLayout:
    """What a block must look like to be usable by this model."""

    namespace: str
    fingerprint: str
    dtype: str
    block_size: int
    bytes_per_token: int

    def accepts(self, block: KVBlock, key: BlockHash, parent: BlockHash) -> bool:
        return (
            block.key == key
            and block.parent == parent
            and block.namespace == self.namespace
            and block.fingerprint == self.fingerprint
            and block.dtype == self.dtype
            and len(block.shape) == 5
            and block.shape[3] == block.num_tokens
            and block.nbytes == block.num_tokens * self.bytes_per_token
        )


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def match_prefix(store: TieredStore, tokens: Sequence[int], layout: BlockLayout, cost: CostModel) -> PrefixMatch:
    """Find, decide and load the cached prefix of `tokens` (never all of it: the last token is computed)."""
    limit = len(tokens) - 1
    if limit <= 0:
        return PrefixMatch()
    bs = layout.block_size
    keys = chain_hashes(tokens, bs, layout.namespace, layout.fingerprint)
    found: list[tuple[BlockHash, str]] = []
    for key in keys:
        tier = store.tier_of(key)
        if tier is None:
            break
        found.append((key, tier))
    candidates = [Candidate(tier, bs * layout.bytes_per_token, bs) for _, tier in found]

    start = len(found) * bs
    tail: Segment | None = None
    if start < limit:
        parent = found[-1][0] if found else ROOT
        tkey = tail_key(parent, layout.namespace, layout.fingerprint)
        if store.tier_of(tkey) is not None:
            hit = store.find(tkey)
            if hit is not None and layout.accepts(hit.block, tkey, parent):
                n = common_prefix_len(hit.block.token_ids, tokens[start:limit])
                if n > 0:
                    tail = Segment(hit.block, hit.tier, n)
                    candidates.append(Candidate(hit.tier, hit.block.nbytes, n))

    num_to_load = cost.plan(candidates)
    skipped = sum(c.num_tokens for c in candidates[num_to_load:])
    segments: list[Segment] = []
    rejected = 0
    t0 = time.perf_counter()
    parent = ROOT
    for i, (key, _) in enumerate(found[: min(num_to_load, len(found))]):
        t_block = time.perf_counter()
        hit = store.find(key)
        ok = (
            hit is not None
            and layout.accepts(hit.block, key, parent)
            and hit.block.token_ids == tuple(tokens[i * bs : (i + 1) * bs])
        )
        if not ok:
            rejected += hit is not None
            if hit is not None:
                store.delete(key)  # a hash collision or a corrupted entry: never served, never again
            break
        assert hit is not None
        cost.observe_load(hit.tier, hit.block.nbytes, time.perf_counter() - t_block)
        segments.append(Segment(hit.block, hit.tier, bs))
        parent = key
    if tail is not None and num_to_load == len(candidates) and len(segments) == len(found):
        segments.append(tail)
    # The last prompt token is always computed: trim the final segment if the match reaches it.
    excess = sum(s.num_tokens for s in segments) - limit
    if excess > 0:
        last = segments.pop()
        if last.num_tokens > excess:
            segments.append(Segment(last.block, last.tier, last.num_tokens - excess))
    by_tier: dict[str, int] = {}
    for s in segments:
        by_tier[s.tier] = by_tier.get(s.tier, 0) + s.num_tokens
    return PrefixMatch(tuple(segments), time.perf_counter() - t0, skipped, rejected, by_tier)
