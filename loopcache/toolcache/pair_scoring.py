"""Replaying labelled pairs through a ToolCache, and scoring what it did.

    for each pair (in a scope of its own):  cache.call(tool, a)  ->  cache.lookup(tool, b)  ->  PairResult
    score(results): recall over equivalent pairs of read-only tools, false hits over the other read-only
                    pairs, side-effect hits over pairs of tools that are not read-only (must be 0)

Used by bench/toolcache_eval.py and by the tests, so both count the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from loopcache.toolcache.cache import ToolCache
from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.embedder import call_text
from loopcache.toolcache.labelled_pairs import LabelledPair, ToolInfo
from loopcache.toolcache.verify import has_free_text


@dataclass(frozen=True, slots=True)
class PairResult:
    """What the cache did with one pair's second call."""

    pair: LabelledPair
    side_effect: bool  # the tool is not read-only
    stage: str  # exact, semantic, miss, bypass
    reason: str
    similarity: float | None

    @property
    def is_hit(self) -> bool:
        return self.stage in ("exact", "semantic")

    @property
    def is_true_hit(self) -> bool:
        return self.is_hit and self.pair.equivalent and not self.side_effect

    @property
    def is_false_hit(self) -> bool:
        return self.is_hit and not self.pair.equivalent and not self.side_effect


@dataclass(frozen=True, slots=True)
class Score:
    """Counts over one set of pairs; rates are None when their denominator is 0."""

    system: str
    pairs: int
    true_hits: int
    false_hits: int
    equivalent: int
    non_equivalent: int
    side_effect_hits: int
    side_effect_pairs: int

    @property
    def recall(self) -> float | None:
        return self.true_hits / self.equivalent if self.equivalent else None

    @property
    def false_hit_rate(self) -> float | None:
        return self.false_hits / self.non_equivalent if self.non_equivalent else None

    @property
    def precision(self) -> float | None:
        hits = self.true_hits + self.false_hits
        return self.true_hits / hits if hits else None


def register_tools(cache: ToolCache, tools: Mapping[str, ToolInfo], semantic: bool | None) -> None:
    """Register every tool; `semantic=None` leaves the cache's default policy."""
    for info in tools.values():
        if semantic is None:
            cache.register_tool(info.name, info.parameters, read_only=info.read_only)
        else:
            cache.register_tool(info.name, info.parameters, read_only=info.read_only, semantic=semantic)


def call_texts(pairs: Iterable[LabelledPair], tools: Mapping[str, ToolInfo]) -> list[str]:
    """The texts the semantic stage will embed when these pairs are replayed (to embed them in one batch
    up front): call `a` of read-only tools with free text, and call `b` unless it is `a`'s exact repeat."""
    texts = []
    for pair in pairs:
        info = tools[pair.tool]
        a, b = (canonicalize_args(args, info.parameters, info.name) for args in (pair.a, pair.b))
        if info.read_only and has_free_text(a, info.parameters):
            texts.append(call_text(pair.tool, a))
        if info.read_only and a != b and has_free_text(b, info.parameters):
            texts.append(call_text(pair.tool, b))
    return texts


def replay_pairs(cache: ToolCache, pairs: Iterable[LabelledPair], tools: Mapping[str, ToolInfo]) -> list[PairResult]:
    """Store each pair's call `a` (running a fake tool), then look up call `b`, in a fresh session per pair.

    The tools must already be registered on `cache`.
    """
    results = []
    for index, pair in enumerate(pairs):
        session = f"pair-{index}-{pair.id}"
        cache.call(pair.tool, pair.a, lambda **_: {"result": "of a"}, session=session)
        lookup = cache.lookup(pair.tool, pair.b, session=session)
        results.append(PairResult(pair, not tools[pair.tool].read_only, lookup.stage.value, lookup.reason,
                                  lookup.similarity))
    return results


def score(system: str, results: Sequence[PairResult]) -> Score:
    read_only = [r for r in results if not r.side_effect]
    return Score(
        system=system,
        pairs=len(results),
        true_hits=sum(r.is_true_hit for r in results),
        false_hits=sum(r.is_false_hit for r in results),
        equivalent=sum(r.pair.equivalent for r in read_only),
        non_equivalent=sum(not r.pair.equivalent for r in read_only),
        side_effect_hits=sum(r.is_hit for r in results if r.side_effect),
        side_effect_pairs=len(results) - len(read_only),
    )
