"""The labelled pair set: edits, the recorded split, references into the shared traces resolve to calls of
the pair's tool, and the set has the size and spread issue 13 asks for."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from loopcache.toolcache.labelled_pairs import EDITS, load_pairs, load_tools, split_of
from tests.shared_folder import shared_path

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "toolcalls"


def test_edits_are_pure_functions_of_their_spec() -> None:
    args = {"date": "2024-05-20", "origin": "SFO", "destination": "JFK", "q": "ab 12 cd", "legs": [{"n": "HAT009"}]}
    assert EDITS["date_style"](dict(args), {"op": "date_style", "field": "date", "style": "long"})["date"] == "May 20, 2024"
    assert EDITS["shift_date"](dict(args), {"op": "shift_date", "field": "date", "days": 12})["date"] == "2024-06-01"
    swapped = EDITS["swap_fields"](dict(args), {"op": "swap_fields", "a": "origin", "b": "destination"})
    assert (swapped["origin"], swapped["destination"]) == ("JFK", "SFO")
    assert EDITS["bump_digit"]({"legs": [{"n": "HAT009"}]}, {"field": "legs.0.n"}) == {"legs": [{"n": "HAT000"}]}
    assert EDITS["rotate_words"](dict(args), {"op": "rotate_words", "field": "q", "n": 1})["q"] == "12 cd ab"
    assert EDITS["spaces"](dict(args), {"op": "spaces", "field": "q", "mode": "remove"})["q"] == "ab12cd"
    with pytest.raises(ValueError, match="not found"):
        EDITS["replace"](dict(args), {"op": "replace", "field": "q", "old": "zz", "new": "y"})


def test_split_is_a_stable_hash_of_the_id() -> None:
    assert split_of("grd-rep-0") == split_of("grd-rep-0")
    counts = Counter(split_of(f"pair-{i}") for i in range(2000))
    assert 900 < counts["dev"] < 1100  # about half


def test_hand_written_pairs_load_without_the_shared_folder(tmp_path: Path) -> None:
    lines = [line for line in (DATA / "pairs.jsonl").read_text().splitlines() if '"ref"' not in line]
    (tmp_path / "hand.jsonl").write_text("\n".join(lines))
    pairs = load_pairs(tmp_path / "hand.jsonl", tmp_path / "no-shared", DATA / "split.json")
    assert len(pairs) >= 200 and {p.kind for p in pairs} == {"hand"}


def test_malformed_or_misplaced_pairs_are_refused_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "tool": "t", "a": {"args": {}}, "b": {"args": {}}, "equivalent": true}\n'
                   '{"id": "x", "tool": "t", "a": {"args": {}}, "b": {"args": {}}, "equivalent": true}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: duplicate"):
        load_pairs(bad, tmp_path)
    bad.write_text('{"id": "y", "tool": "t", "a": {"args": []}, "b": {"args": {}}, "equivalent": true}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:1"):
        load_pairs(bad, tmp_path)
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"split": {"y": "heldout" if split_of("y") == "dev" else "dev"}}))
    bad.write_text('{"id": "y", "tool": "t", "a": {"args": {}}, "b": {"args": {}}, "equivalent": true}\n')
    with pytest.raises(ValueError, match="recorded as"):
        load_pairs(bad, tmp_path, split)


def test_the_set_resolves_against_the_real_traces() -> None:
    shared = shared_path("traces").parent
    tools = load_tools(DATA / "tools.json")
    pairs = load_pairs(DATA / "pairs.jsonl", shared, DATA / "split.json")
    recorded = json.loads((DATA / "split.json").read_text())["split"]
    assert set(recorded) == {p.id for p in pairs}
    assert len(pairs) >= 300 and len({p.tool for p in pairs}) >= 15
    assert {p.tool for p in pairs} <= set(tools)
    by_kind = Counter(p.kind for p in pairs)
    assert by_kind["trace"] + by_kind["variant"] >= 150 and by_kind["hand"] >= 150
    for split in ("dev", "heldout"):
        part = [p for p in pairs if p.split == split]
        read_only = [p for p in part if tools[p.tool].read_only]
        assert sum(p.equivalent for p in read_only) >= 60 and sum(not p.equivalent for p in read_only) >= 60
        assert any(not tools[p.tool].read_only for p in part)
    # side-effect pairs are never labelled equivalent, whatever their arguments
    assert not any(p.equivalent for p in pairs if not tools[p.tool].read_only)
    # a reference resolves to the call itself: an identical-repeat pair has identical arguments
    repeat = next(p for p in pairs if p.id == "grd-rep-0")
    assert repeat.a == repeat.b and set(repeat.a) == {"reservation_id"}


@pytest.mark.parametrize(("folder", "real_calls"),  # pairs citing real trace calls (fresh6: all hand-written)
                         [("fresh", 20), ("fresh2", 20), ("fresh3", 20), ("fresh4", 16), ("fresh5", 14), ("fresh6", 0),
                          ("fresh7", 0), ("fresh8", 0), ("fresh9", 0), ("fresh10", 0), ("fresh11", 0),
                          ("fresh12", 0), ("fresh13", 0),
                          ("fresh14", 0), ("fresh15", 0), ("fresh16", 0),
                          ("fresh17", 0), ("fresh18", 0),
                          ("fresh19", 0), ("fresh20", 0), ("fresh21", 0), ("fresh22", 0),
                          ("fresh23", 0), ("fresh24", 0), ("fresh25", 0),
                          ("fresh26", 0), ("fresh27", 0), ("fresh28", 0),
                          ("fresh29", 0), ("fresh30", 0), ("fresh31", 0), ("fresh32", 0),
                          ("fresh33", 0), ("fresh34", 0), ("fresh35", 0), ("fresh36", 0),
                          ("fresh37", 0), ("fresh38", 0), ("fresh39", 0), ("fresh40", 0),
                          ("fresh41", 0), ("fresh42", 0),
                          ("fresh43", 0), ("fresh44", 0), ("fresh45", 0), ("fresh46", 0)])
def test_the_blind_sets_resolve_against_the_real_traces(folder: str, real_calls: int) -> None:
    shared = shared_path("traces").parent
    tools = load_tools(DATA / folder / "tools.json")
    pairs = load_pairs(DATA / folder / "pairs.jsonl", shared)
    assert len(pairs) >= 150 and len({p.tool for p in pairs}) >= 14 and {p.tool for p in pairs} <= set(tools)
    assert len({p.id for p in pairs}) == len(pairs)
    kinds = Counter(p.kind for p in pairs)
    assert kinds["trace"] + kinds["variant"] >= real_calls  # real calls, cited by path
    assert not any(p.equivalent for p in pairs if not tools[p.tool].read_only)
