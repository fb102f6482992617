"""Selectors: r of the chunk tokens, by deviation or from each chunk's start, plus forced first tokens."""

from __future__ import annotations

import pytest
import torch

from loopcache.blend.segments import Span
from loopcache.blend.selection import make_selector

CHUNKS = [Span(10, 20), Span(30, 50)]  # 30 tokens


def test_deviation_picks_the_most_deviating_tokens() -> None:
    dev = torch.zeros(30)
    dev[[3, 15, 29]] = torch.tensor([5.0, 9.0, 1.0])  # positions 13, 35, 49
    sel = make_selector("deviation")
    assert sel.select(CHUNKS, dev, 0.1, 0) == [13, 35, 49]
    assert sel.select(CHUNKS, dev, 0.0, 0) == []
    assert sel.select(CHUNKS, dev, 0.1, 2) == [10, 11, 13, 30, 31, 35, 49]
    assert len(sel.select(CHUNKS, dev, 1.0, 0)) == 30
    with pytest.raises(ValueError):
        sel.select(CHUNKS, None, 0.1, 0)


def test_first_tokens_takes_the_start_of_each_chunk() -> None:
    sel = make_selector("first_tokens")
    assert sel.select(CHUNKS, None, 0.1, 0) == [10, 30, 31]
    assert sel.select(CHUNKS, None, 0.0, 3) == [10, 11, 12, 30, 31, 32]
    with pytest.raises(ValueError):
        make_selector("nope")
