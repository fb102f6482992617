"""The peer protocol without any engine: spec generator -> run_spec with a fake engine -> result fields.

    .venv/bin/python -m pytest -q bench/peers

Not part of `make test` (its testpaths are tests/); needs neither .venv-peers nor a model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import make_spec  # noqa: E402


class FakeEngine:
    """Echoes the last prompt token; caches every prompt it saw; 1 ms per token."""

    engine = "fake"
    aggregate_mode = "concurrent"
    aggregate_note = "fake"

    def __init__(self) -> None:
        self.seen: list[list[int]] = []

    def run_one(self, prompt, max_tokens):
        cached = max((common._common_prefix(p, prompt) for p in self.seen), default=0)
        self.seen.append(list(prompt))
        ttft = 0.001 * (len(prompt) - cached + 1)
        return common.Gen(ttft_s=ttft, total_s=ttft + 0.001 * (max_tokens - 1),
                          output_ids=[prompt[-1]] * max_tokens, cached_tokens=cached)

    def run_many(self, prompts, max_tokens):
        gens = [self.run_one(p, max_tokens) for p in prompts]
        return max(g.total_s for g in gens), gens


def _args(tmp_path: Path, spec: Path) -> argparse.Namespace:
    return argparse.Namespace(model=tmp_path, spec=spec, out=tmp_path / "out" / "result.json", threads=2, only="")


def test_smoke_spec_runs_every_section(tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(make_spec.build("smoke", 0, None)))
    spec = common.load_spec(spec_path)
    args = _args(tmp_path, spec_path)
    common.run_spec(FakeEngine(), spec, args, 0.0, {"engine": "fake", "start_s": 0.0})
    r = json.loads(args.out.read_text())
    assert r["schema"] == common.RESULT_SCHEMA and r["errors"] == []
    assert [c["name"] for c in r["prefill"]["cases"]] == ["64"]
    assert all(run["cached_tokens"] == 0 for c in r["prefill"]["cases"] for run in c["runs"])
    d = r["decode"]["cases"][0]
    assert d["runs"][0]["cached_tokens"] == d["prompt_tokens"] and d["decode_tok_s"] > 0
    assert [c["sequences"] for c in r["aggregate"]["cases"]] == [1, 2]
    steps = r["loop"]["steps"]
    assert [s["new_tokens"] for s in steps] == [160, 32, 32]
    assert all(s["cached_tokens"] == s["shared_with_previous"] for s in steps)
    assert all(len(s["output_ids"]) == 4 for s in steps)


def test_full_spec_shape_and_determinism() -> None:
    a, b = make_spec.build("full", 0, None), make_spec.build("full", 0, None)
    assert a == b
    decode_prompts = [c["prompt"] for c in a["decode"]["cases"]]
    assert decode_prompts == [c["prompts"][0] for c in a["prefill"]["cases"]]
    firsts = [p[0] for c in a["prefill"]["cases"] for p in c["prompts"]]
    assert len(set(firsts)) == len(firsts)  # distinct from the first token on
    agg = [p for c in a["aggregate"]["cases"] for p in c["prompts"]]
    assert {len(p) for p in agg} == {2048} and len({tuple(p) for p in agg}) == len(agg)
    loop = a["loop"]["steps"]
    assert all(loop[k][: len(loop[k - 1])] == loop[k - 1] for k in range(1, len(loop)))
    assert len(loop[-1]) + a["loop"]["max_tokens"] <= a["max_model_len"]


@pytest.mark.parametrize("bad", [
    {"schema": "other"},
    {"schema": common.SPEC_SCHEMA, "loop": {"max_tokens": 10, "steps": [[]]}},
    {"schema": common.SPEC_SCHEMA, "loop": {"max_tokens": 10, "steps": [[1.5]]}},
    {"schema": common.SPEC_SCHEMA, "max_model_len": 16, "loop": {"max_tokens": 10, "steps": [[1] * 10]}},
    {"schema": common.SPEC_SCHEMA, "vocab_size": 100, "decode": {"max_tokens": 2, "cases": [{"name": "x", "prompt": [100]}]}},
])
def test_bad_specs_are_refused(tmp_path: Path, bad: dict) -> None:
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    with pytest.raises(ValueError):
        common.load_spec(p)
