"""Cache policies as tiny strategy classes. Each replays all sessions and says, per step, how many input
tokens it served from cache (`read`) and how many it wrote at a write premium (`write`).

    no-cache              nothing reused
    anthropic-5m / -1h    explicit breakpoints at the end of tools+system and at the end of each request;
                          an entry serves a later prompt that starts with all of it, found within the
                          20-block lookback (approximated as 20 messages), alive if used within the TTL
                          (a read refreshes it); prompts under the model's minimum are not cached;
                          written tokens cost the 5m (1.25x) / 1h (2x) write price, read tokens 0.1x
    openai-in-memory/-24h automatic: the longest common prefix with any live earlier prompt, counted in
                          1024 + k*128 token steps, nothing under 1024; no write premium
    engine-lru            in-memory engine prefix cache: one LRU over all sessions of the trace, capacity
                          in tokens, whole 16-token blocks, no TTL; holds each session's last prompt and
                          its generated tokens
    loopcache             persistent blocks with a TTL (default 7 days) and no idle expiry; prompt and
                          generated tokens reusable, partial tail included
    loopcache+toolcache   loopcache, and a repeated tool call with an identical result is answered from the
                          tool cache, its result tokens reused as a cached chunk

Sessions are independent: no policy reuses one session's prompt in another (a shared system prompt
across sessions would raise every cached policy's hit rate, so the comparison is conservative).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from loopcache.audit.pricing import CacheRule, ModelPrice, SelfHostedRule
from loopcache.audit.simulate.profile import SessionProfile


@dataclass(frozen=True)
class StepOutcome:
    read_tokens: int
    write_tokens: int = 0
    tool_calls_saved: int = 0


Outcomes = tuple[tuple[StepOutcome, ...], ...]


def _times(profile: SessionProfile) -> list[float]:
    """Step times in seconds; a step without one happens when the previous one did (no idle gap)."""
    out, last = [], 0.0
    for step in profile.steps:
        last = step.time_s if step.time_s is not None else last
        out.append(last)
    return out


class NoCache:
    name = "no-cache"

    def rates(self, price: ModelPrice) -> tuple[float, float]:
        return price.input_per_mtok, price.input_per_mtok

    def replay(self, profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...]) -> Outcomes:
        return tuple(tuple(StepOutcome(0) for _ in p.steps) for p in profiles)


@dataclass(frozen=True)
class AnthropicCache:
    rule: CacheRule
    write_1h: bool

    @property
    def name(self) -> str:
        return self.rule.name

    def rates(self, price: ModelPrice) -> tuple[float, float]:
        write = price.cache_write_1h_per_mtok if self.write_1h else price.cache_write_5m_per_mtok
        return price.cache_read_per_mtok, write

    def replay(self, profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...]) -> Outcomes:
        return tuple(self._session(p, price.min_cacheable_tokens) for p, price in zip(profiles, prices))

    def _session(self, profile: SessionProfile, min_tokens: int) -> tuple[StepOutcome, ...]:
        entries: list[list] = []  # [step j, is_system_entry, tokens, last_used]
        outcomes = []
        for i, (step, now) in enumerate(zip(profile.steps, _times(profile))):
            best = None
            for entry in entries:
                j, is_system, tokens, used = entry
                if now - used > self.rule.ttl_s:
                    continue
                if is_system:
                    usable = step.same_system[j]
                else:
                    lookback = step.num_messages - profile.steps[j].num_messages
                    usable = step.extends[j] and lookback <= self.rule.lookback_blocks
                if usable and (best is None or tokens > best[2]):
                    best = entry
            read = 0
            if best is not None:
                read, best[3] = min(best[2], step.input_tokens), now
            write = 0
            if step.input_tokens >= min_tokens:
                write = step.input_tokens - read
                entries.append([i, False, step.input_tokens, now])
                if step.system_tokens >= min_tokens:
                    entries.append([i, True, step.system_tokens, now])
            outcomes.append(StepOutcome(read, write))
        return tuple(outcomes)


@dataclass(frozen=True)
class OpenAICache:
    rule: CacheRule

    @property
    def name(self) -> str:
        return self.rule.name

    def rates(self, price: ModelPrice) -> tuple[float, float]:
        return price.cache_read_per_mtok, price.input_per_mtok

    def replay(self, profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...]) -> Outcomes:
        return tuple(self._session(p) for p in profiles)

    def _rounded(self, tokens: int) -> int:
        if tokens < self.rule.min_tokens:
            return 0
        return self.rule.min_tokens + (tokens - self.rule.min_tokens) // self.rule.increment_tokens * self.rule.increment_tokens

    def _session(self, profile: SessionProfile) -> tuple[StepOutcome, ...]:
        last_used: dict[int, float] = {}
        outcomes = []
        for i, (step, now) in enumerate(zip(profile.steps, _times(profile))):
            live = [j for j, used in last_used.items() if now - used <= self.rule.ttl_s]
            match = max(live, key=lambda j: step.prefix_with[j], default=None)
            read = 0
            if match is not None and step.input_tokens >= self.rule.min_tokens:
                read = self._rounded(step.prefix_with[match])
                if read:
                    last_used[match] = now
            if step.input_tokens >= self.rule.min_tokens:
                last_used[i] = now
            outcomes.append(StepOutcome(read))
        return tuple(outcomes)


def _event_order(profiles: tuple[SessionProfile, ...]) -> list[tuple[int, int]]:
    """(session, step) pairs in time order when every step has a time, else round-robin across sessions
    (all sessions running at once: the hardest case for a bounded cache)."""
    pairs = [(s, i) for s, p in enumerate(profiles) for i in range(len(p.steps))]
    if all(st.time_s is not None for p in profiles for st in p.steps):
        return sorted(pairs, key=lambda sp: (profiles[sp[0]].steps[sp[1]].time_s, sp[0], sp[1]))
    return sorted(pairs, key=lambda sp: (sp[1], sp[0]))


@dataclass(frozen=True)
class EngineLRU:
    rule: SelfHostedRule
    capacity_tokens: int

    name = "engine-lru"

    def rates(self, price: ModelPrice) -> tuple[float, float]:
        return price.input_per_mtok * self.rule.read_multiplier, price.input_per_mtok

    def replay(self, profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...]) -> Outcomes:
        block = self.rule.block_tokens
        held: OrderedDict[int, int] = OrderedDict()  # session -> cached tokens, least recently used first
        results: dict[tuple[int, int], StepOutcome] = {}
        for s, i in _event_order(profiles):
            step = profiles[s].steps[i]
            read = min(held.get(s, 0), step.contained_tokens) // block * block
            results[(s, i)] = StepOutcome(read)
            held[s] = min((step.input_tokens + step.output_tokens) // block * block, self.capacity_tokens)
            held.move_to_end(s)
            while sum(held.values()) > self.capacity_tokens:
                victim = next(iter(held))
                excess = sum(held.values()) - self.capacity_tokens
                held[victim] = max(0, held[victim] - ((excess + block - 1) // block) * block)
                if held[victim] == 0:
                    del held[victim]
        return tuple(tuple(results[(s, i)] for i in range(len(p.steps))) for s, p in enumerate(profiles))


@dataclass(frozen=True)
class LoopcachePersistent:
    rule: SelfHostedRule
    with_tool_cache: bool = False

    @property
    def name(self) -> str:
        return "loopcache+toolcache" if self.with_tool_cache else "loopcache"

    def rates(self, price: ModelPrice) -> tuple[float, float]:
        return price.input_per_mtok * self.rule.read_multiplier, price.input_per_mtok

    def replay(self, profiles: tuple[SessionProfile, ...], prices: tuple[ModelPrice, ...]) -> Outcomes:
        return tuple(self._session(p) for p in profiles)

    def _session(self, profile: SessionProfile) -> tuple[StepOutcome, ...]:
        outcomes, last = [], None
        ttl = self.rule.ttl_s if self.rule.ttl_s is not None else float("inf")
        for step, now in zip(profile.steps, _times(profile)):
            alive = last is not None and now - last <= ttl
            read = step.contained_tokens if alive else 0
            saved = 0
            if self.with_tool_cache:
                read, saved = min(step.input_tokens, read + step.repeated_tool_tokens), step.repeated_tool_calls
            outcomes.append(StepOutcome(read, 0, saved))
            last = now
        return tuple(outcomes)
