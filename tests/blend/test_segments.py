"""chunk_spans: message segments after the prefix hit, long enough, never holding the last token."""

from __future__ import annotations

from loopcache.blend.segments import Span, chunk_spans

B = 1  # the boundary token (a message start)


def _prompt(*lengths: int) -> list[int]:
    ids: list[int] = []
    for n in lengths:
        ids += [B] + [7] * (n - 1)
    return ids


def test_segments_start_at_boundaries_after_the_prefix_and_are_long_enough() -> None:
    ids = _prompt(10, 40, 3, 50, 20)  # starts at 0, 10, 50, 53, 103; length 123
    assert chunk_spans(ids, [B], 0, 10) == [Span(0, 10), Span(10, 50), Span(53, 103), Span(103, 122)]
    assert chunk_spans(ids, [B], 11, 10) == [Span(53, 103), Span(103, 122)]  # 10..50 began inside the prefix
    assert chunk_spans(ids, [B], 0, 45) == [Span(53, 103)]
    assert all(s.end <= len(ids) - 1 for s in chunk_spans(ids, [B], 0, 1))  # the last token is never a chunk


def test_marked_spans_win_over_boundary_segments() -> None:
    ids = _prompt(10, 100, 20)
    spans = chunk_spans(ids, [B], 0, 10, marked=[Span(30, 70)])
    assert Span(30, 70) in spans
    assert not any(s.start < 70 and 30 < s.end and s != Span(30, 70) for s in spans)
    assert spans == sorted(spans, key=lambda s: s.start)
    assert chunk_spans(ids, [B], 40, 10, marked=[Span(30, 70)]) == [Span(110, 129)]  # both began in the prefix
