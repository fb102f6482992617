"""Segmentation: where the reusable chunks of a prompt are.

    prompt:  [ system .......... ][ user ][ tool result ........... ][ assistant ][ document ...... ][ user ]
    starts:   ^boundary            ^       ^                          ^            ^                  ^
    prefix:  [ cached ....... ]|                                                                           
    spans:                      [ rest  ][ chunk ................... ][ chunk   ][ chunk .......... ][ rest ]

A segment starts at a boundary token (each message's start token in the chat template) or at a span the
client marked. Segments that begin before `start` (the end of the prefix hit) are never chunks, nor are
segments shorter than `min_tokens`: their tokens are simply recomputed. A chunk's identity is its token ids
alone (they do not depend on where it stands: special tokens split the tokenizer's work), so the same tool
result re-read ten steps later has the same chunk key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """Tokens [start, end) of a prompt."""

    start: int
    end: int

    @property
    def num_tokens(self) -> int:
        return self.end - self.start


def chunk_spans(token_ids: Sequence[int], boundaries: Iterable[int], start: int, min_tokens: int,
                marked: Sequence[Span] = ()) -> list[Span]:
    """The candidate chunks of `token_ids` at or after `start`, in order, not overlapping, each at least
    `min_tokens` long and ending before the last token (which is always computed). `marked` spans (from the
    client) are chunks as they are; boundary segments fill the rest."""
    limit = len(token_ids) - 1
    marks = sorted((s for s in marked if start <= s.start < s.end <= limit), key=lambda s: s.start)
    bounds = set(boundaries)
    starts = sorted({i for i, t in enumerate(token_ids) if t in bounds} | {s.end for s in marks}
                    | {s.start for s in marks} | {limit})
    spans: list[Span] = []
    for a, b in zip(starts, starts[1:]):
        if a < start:
            continue
        if b - a >= min_tokens:
            spans.append(Span(a, b))
    taken = [s for s in spans if not any(m.start < s.end and s.start < m.end for m in marks)]
    return sorted([*taken, *(m for m in marks if m.num_tokens >= min_tokens)], key=lambda s: s.start)
