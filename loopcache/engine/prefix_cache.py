"""PrefixCache: the one owner of block keys for a sequence: lookup, load into the pool, and store-back.

    tokens:   [ block 0 ][ block 1 ][ block 2 ][ partial ........ ]x     x = last token, always computed
    keys:        h0         h1         h2      tail slot T(h2, first token of the partial block, session)
    lookup:   [  disk   ][ memory  ]  miss
              T(h1) -> a previous step's partial block (plus its generated tokens): its longest common
                       prefix with the prompt is reused

Keys are hashed once per sequence (`Sequence.block_hashes`, extended as the sequence grows). A block found
in a tier is used only after its key, parent, namespace, fingerprint, layout and real token ids all match
(a hash collision or a corrupted entry never feeds wrong KV: it is deleted and counted in
`rejected_blocks`), and only as far as loading beats recomputing (`CostModel`).

Store-back puts every full block as soon as it is computed (other sessions sharing the prefix find it at
once, and a crash loses little), and when a sequence ends, its tail slots: the final partial block (the next
step of an agent loop continues from it) and, when the prompt ends inside a full block, that block too (a
re-sent prompt reuses all of it). Tail slots are per session and per first token (concurrent sessions behind
one shared system prompt would otherwise overwrite each other's); requests without a session share them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence as Seq
from dataclasses import dataclass

import torch

from loopcache.engine.block_pool import BlockPool
from loopcache.engine.cost_model import Candidate, CostModel
from loopcache.engine.kv_codec import BlockLayout, block_from_kv, kv_from_block
from loopcache.engine.sequence import CachedPrefix, Sequence
from loopcache.kvcache.block import KVBlock
from loopcache.kvcache.block_hash import ROOT, BlockHash, block_hash, tail_key
from loopcache.kvcache.tiered import TierHit, TieredStore


@dataclass(frozen=True, slots=True)
class Segment:
    """Use the first `num_tokens` tokens of `block`, found in `tier`."""

    block: KVBlock
    tier: str
    num_tokens: int


@dataclass(frozen=True)
class PrefixHit:
    """The verified cached prefix of a sequence, worth loading, in token order (full blocks, then maybe a
    tail), and the cached tokens left out because recomputing them was cheaper."""

    segments: tuple[Segment, ...] = ()
    num_skipped: int = 0
    num_chain_blocks: int = 0  # leading segments that are whole blocks under their chain keys

    @property
    def num_tokens(self) -> int:
        return sum(s.num_tokens for s in self.segments)

    def summary(self) -> CachedPrefix:
        by_tier: dict[str, int] = {}
        for s in self.segments:
            by_tier[s.tier] = by_tier.get(s.tier, 0) + s.num_tokens
        return CachedPrefix(self.num_tokens, by_tier, self.num_skipped)


def common_prefix_len(a: Seq[int], b: Seq[int]) -> int:
    """How many leading tokens `a` and `b` share."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class PrefixCache:
    def __init__(self, store: TieredStore | None, fingerprint: str, dtype: str, torch_dtype: torch.dtype,
                 block_size: int, bytes_per_token: int, cost: CostModel | None = None) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.dtype = dtype
        self.torch_dtype = torch_dtype
        self.block_size = block_size
        self.bytes_per_token = bytes_per_token
        self.cost = cost or CostModel()
        self.rejected_blocks = 0  # found in a tier but failed verification (deleted)

    def layout(self, namespace: str) -> BlockLayout:
        return BlockLayout(namespace, self.fingerprint, self.dtype, self.block_size, self.bytes_per_token)

    def hashes(self, seq: Sequence, num_tokens: int) -> list[BlockHash]:
        """Keys of the full blocks within the first `num_tokens` tokens of `seq` (computed once, kept)."""
        bs, ids = self.block_size, seq.token_ids
        have = seq.block_hashes
        while (len(have) + 1) * bs <= num_tokens:
            i = len(have)
            have.append(block_hash(have[-1] if have else ROOT, seq.namespace, self.fingerprint, ids[i * bs : (i + 1) * bs]))
        return have[: num_tokens // bs]

    # ---- lookup and load ----------------------------------------------------------------------------------

    def lookup(self, seq: Sequence) -> PrefixHit:
        """The cached prefix of `seq.token_ids` worth loading (never all of it: the last token is computed)."""
        tokens = seq.token_ids
        limit = len(tokens) - 1
        if self.store is None or limit <= 0:
            return PrefixHit()
        bs, layout = self.block_size, self.layout(seq.namespace)
        found: list[tuple[BlockHash, str]] = []
        keys = self.hashes(seq, len(tokens))
        for key, tier in zip(keys, self.store.tiers_of(keys)):
            if tier is None:
                break
            found.append((key, tier))
        candidates = [Candidate(tier, bs * self.bytes_per_token, bs) for _, tier in found]
        tail = self._find_tail(found[-1][0] if found else ROOT, tokens[len(found) * bs : limit], layout,
                               seq.session_id or "")
        if tail is not None:
            candidates.append(Candidate(tail.tier, tail.block.nbytes, tail.num_tokens))

        num_to_load = self.cost.plan(candidates)
        segments: list[Segment] = []
        parent = ROOT
        to_load = found[:num_to_load]
        for i, (key, hit) in enumerate(zip([k for k, _ in to_load], self._load_blocks(to_load))):
            if hit is None:
                break  # evicted meanwhile
            if not (layout.accepts(hit.block, key, parent) and hit.block.token_ids == tuple(tokens[i * bs : (i + 1) * bs])):
                self.store.delete(key)  # a hash collision or a corrupted entry: never served, never again
                self.rejected_blocks += 1
                break
            segments.append(Segment(hit.block, hit.tier, bs))
            parent = key
        num_chain = len(segments)
        if tail is not None and num_to_load == len(candidates) and len(segments) == len(found):
            segments.append(tail)
        skipped = sum(c.num_tokens for c in candidates[num_to_load:])
        excess = sum(s.num_tokens for s in segments) - limit  # the last prompt token is always computed
        if excess > 0:
            last = segments.pop()
            if last.num_tokens > excess:
                segments.append(Segment(last.block, last.tier, last.num_tokens - excess))
        return PrefixHit(tuple(segments), skipped, num_chain)

    def _load_blocks(self, found: list[tuple[BlockHash, str]]) -> list[TierHit | None]:
        """The blocks of `found`, fetched one batch per tier they were seen in (one round trip for a remote
        tier), each batch's time observed by the cost model."""
        assert self.store is not None
        hits: list[TierHit | None] = [None] * len(found)
        for tier in dict.fromkeys(t for _, t in found):
            at = [i for i, (_, t) in enumerate(found) if t == tier]
            t0 = time.perf_counter()
            batch = self.store.find_many([found[i][0] for i in at])
            elapsed = time.perf_counter() - t0
            for i, hit in zip(at, batch):
                hits[i] = hit
            nbytes = sum(h.block.nbytes for h in batch if h is not None)
            served = {h.tier for h in batch if h is not None}
            if nbytes and served == {tier}:
                self.cost.observe_load(tier, nbytes, elapsed)
        return hits

    def _find_tail(self, parent: BlockHash, rest: Seq[int], layout: BlockLayout, session: str) -> Segment | None:
        """The tail slot after `parent` (this session's, else the shared one) holding a verified block that
        shares a prefix with `rest`."""
        assert self.store is not None
        if not rest:
            return None
        sessions = (session, "") if session else ("",)
        for key in (tail_key(parent, layout.namespace, layout.fingerprint, rest[0], s) for s in sessions):
            hit = self.store.find(key) if self.store.tier_of(key) is not None else None
            if hit is None:
                continue
            if not layout.accepts(hit.block, key, parent):
                self.store.delete(key)
                self.rejected_blocks += 1
                continue
            n = common_prefix_len(hit.block.token_ids, rest)
            if n > 0:
                return Segment(hit.block, hit.tier, n)
        return None

    def load(self, hit: PrefixHit, pool: BlockPool, blocks: list[int]) -> None:
        """Copy the hit's KV into the first pool `blocks` of its sequence (one block per segment)."""
        for segment, block in zip(hit.segments, blocks):
            kv = kv_from_block(segment.block, self.torch_dtype)
            pool.write(block, kv[:, :, :, : segment.num_tokens])

    # ---- store-back ---------------------------------------------------------------------------------------

    def store_full_blocks(self, seq: Sequence, pool: BlockPool) -> int:
        """Put the full blocks `seq` computed since the last call. Returns how many were put."""
        if self.store is None:
            return 0
        keys = self.hashes(seq, self._exact(seq))
        layout, bs, ids = self.layout(seq.namespace), self.block_size, seq.token_ids
        put = 0
        for i in range(seq.num_blocks_stored, len(keys)):
            kv = pool.read(seq.blocks[i], bs)
            self.store.put(block_from_kv(kv, keys[i], keys[i - 1] if i else ROOT, ids[i * bs : (i + 1) * bs], layout))
            put += 1
        seq.num_blocks_stored = max(seq.num_blocks_stored, len(keys))
        seq.stored_blocks += put
        return put

    @staticmethod
    def _exact(seq: Sequence) -> int:
        """Tokens of `seq` whose computed KV is exact (blended KV is never stored under prefix keys)."""
        return seq.num_computed if seq.num_exact is None else min(seq.num_computed, seq.num_exact)

    def store_tails(self, seq: Sequence, pool: BlockPool) -> int:
        """Put the tail slots of `seq` (after its full blocks: call `store_full_blocks` first)."""
        if self.store is None:
            return 0
        n, bs = self._exact(seq), self.block_size
        keys = self.hashes(seq, n)
        parents = [ROOT, *keys]
        tails = {len(keys)} if len(keys) * bs < n else set()
        prompt_len = len(seq.prompt_ids)
        prompt_block = (prompt_len - 1) // bs
        if prompt_len % bs and prompt_block < len(keys):
            tails.add(prompt_block)
        layout, ids = self.layout(seq.namespace), seq.token_ids
        seq.tail_keys = []  # the latest tails (after a preemption, the final ones replace the earlier)
        for i in sorted(tails):
            end = min((i + 1) * bs, n)
            kv = pool.read(seq.blocks[i], end - i * bs)
            key = tail_key(parents[i], layout.namespace, layout.fingerprint, ids[i * bs], seq.session_id or "")
            self.store.put(block_from_kv(kv, key, parents[i], ids[i * bs : end], layout))
            seq.tail_keys.append(key)
        seq.stored_blocks += len(tails)
        return len(tails)
