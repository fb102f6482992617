"""How much of each step's prompt earlier steps of the same session already contained.

For step i and every earlier step j: the longest common prefix of their rendered prompts (characters and
tokens). Tokens come from the estimator, scaled so each step's total equals its reported input size; when
the request is not exact (the log lacks system prompt / tools), the missing part is assumed to be a fixed
prefix shared by all steps: `hidden_tokens = reported input - estimated tokens of what the log kept`.

Common prefixes are found on chained hashes of 256-character blocks (binary search, then a character
compare inside the first differing block), so a session of n steps costs O(n^2 log L) hash compares
rather than O(n^2 L) character compares.

    step j:  [tools][system][m1][m2][a2]                    <- a prompt written to a cache
    step i:  [tools][system][m1][m2][a2][a3 = j's output][t3]
             |<------------- lcp(i, j) ---->|<-continuation->|<- fresh ->|
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from loopcache.audit.rendered_prompt import RenderedPrompt, render
from loopcache.audit.step import Session, Step
from loopcache.audit.tokens import TokenRuler

_BLOCK = 256


def _chained_block_hashes(text: str) -> tuple[bytes, ...]:
    """blake2b over (parent digest, block): equal digests at k mean equal text up to block k."""
    hashes, parent = [], b""
    for start in range(0, len(text) - _BLOCK + 1, _BLOCK):
        parent = hashlib.blake2b(parent + text[start : start + _BLOCK].encode("utf-8", "surrogatepass"), digest_size=16).digest()
        hashes.append(parent)
    return tuple(hashes)


@dataclass(frozen=True)
class StepPrefix:
    """One step's prompt as the analysis sees it."""

    prompt: RenderedPrompt
    ruler: TokenRuler
    hidden_tokens: int
    input_tokens: int
    block_hashes: tuple[bytes, ...]

    def tokens_before(self, char_offset: int) -> int:
        return self.hidden_tokens + min(self.ruler.tokens_before(char_offset), self.ruler.total)

    @property
    def system_end_tokens(self) -> int:
        return self.tokens_before(self.prompt.system_end)


@dataclass(frozen=True)
class Overlap:
    """The common prefix of step i with an earlier step j."""

    earlier: int
    chars: int
    tokens: int
    covers_earlier: bool


@dataclass(frozen=True)
class PrefixMap:
    """Per step: its prefix facts, and its overlap with every earlier step (`overlaps[i][j]`, j < i)."""

    steps: tuple[StepPrefix, ...]
    overlaps: tuple[tuple[Overlap, ...], ...]

    @classmethod
    def of(cls, session: Session) -> PrefixMap:
        prompts = [render(step.request) for step in session.steps]
        hashes = [_chained_block_hashes(p.text) for p in prompts]
        prefixes: list[StepPrefix] = []
        for i, step in enumerate(session.steps):
            shared = _common_chars(prompts[i].text, hashes[i], prompts[i - 1].text, hashes[i - 1]) if i else 0
            reuse = prefixes[i - 1].ruler if i else None
            prefixes.append(_step_prefix(step, prompts[i], hashes[i], reuse, shared))
        overlaps = tuple(tuple(_overlap(prefixes[i], prefixes[j], j) for j in range(i)) for i in range(len(prefixes)))
        return cls(tuple(prefixes), overlaps)

    def best_earlier(self, i: int) -> Overlap | None:
        """The earlier step sharing the longest prefix with step i (the latest one on ties)."""
        best = None
        for overlap in self.overlaps[i]:
            if best is None or overlap.chars >= best.chars:
                best = overlap
        return best

    def prefix_overlap_tokens(self, i: int) -> int:
        best = self.best_earlier(i)
        return 0 if best is None else best.tokens

    def contained_tokens(self, i: int) -> int:
        """Tokens of step i some earlier step already had, as prompt or as generated output: the common
        prefix plus, when it covers the whole earlier prompt, the assistant turn that continues it."""
        best = self.best_earlier(i)
        if best is None:
            return 0
        here = self.steps[i]
        if not best.covers_earlier:
            return best.tokens
        end = best.chars
        for start, message in zip(here.prompt.message_starts, _messages_of(here)):
            if start >= best.chars and message != "assistant":
                end = start
                break
            if start >= best.chars:
                end = len(here.prompt.text)
        return min(here.input_tokens, here.tokens_before(end))

    def fresh_tokens(self, i: int) -> int:
        return max(0, self.steps[i].input_tokens - self.contained_tokens(i))


def _messages_of(prefix: StepPrefix) -> list[str]:
    text, starts = prefix.prompt.text, prefix.prompt.message_starts
    return [text[s + 2 : text.index("|>", s)] for s in starts]


def _step_prefix(step: Step, prompt: RenderedPrompt, hashes: tuple[bytes, ...], reuse: TokenRuler | None, shared: int) -> StepPrefix:
    raw = TokenRuler.of(prompt.text, reuse=TokenRuler(reuse.ends, reuse.counts) if reuse else None, shared_chars=shared)
    reported = step.usage.input_tokens if step.usage else None
    if reported and step.request.is_exact:
        ruler, hidden = raw.scaled_to(reported), 0
    else:
        ruler, hidden = raw, max(0, (reported or 0) - raw.total)
    total = reported if reported else ruler.total
    return StepPrefix(prompt, ruler, hidden, total, hashes)


def _common_chars(x: str, a: tuple[bytes, ...], y: str, b: tuple[bytes, ...]) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[mid - 1] == b[mid - 1]:
            low = mid
        else:
            high = mid - 1
    start = low * _BLOCK
    extra, limit = 0, min(len(x), len(y)) - start
    while extra < limit and x[start + extra] == y[start + extra]:
        extra += 1
    return start + extra


def _overlap(here: StepPrefix, earlier: StepPrefix, j: int) -> Overlap:
    """Tokens of the common prefix are measured with the earlier step's ruler: it is scaled to that step's
    own reported size, so a prefix covering the whole earlier prompt counts exactly its reported tokens."""
    y = earlier.prompt.text
    chars = _common_chars(here.prompt.text, here.block_hashes, y, earlier.block_hashes)
    shared_hidden = min(here.hidden_tokens, earlier.hidden_tokens)
    tokens = shared_hidden + min(earlier.ruler.tokens_before(chars), earlier.ruler.total)
    return Overlap(j, chars, min(tokens, here.input_tokens), chars >= len(y))
