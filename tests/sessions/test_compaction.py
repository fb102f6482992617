"""Compaction on plain message lists (a word-counting token counter, no model), then on the tiny model engine."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

import pytest

from loopcache.sessions.compaction import CompactionConfig, CompactionResult, Compactor
from loopcache.sessions.compaction_state import CompactionState
from loopcache.sessions.tool_outputs import OutputRef, content_text

Message = dict[str, Any]


def count(messages: Sequence[Any]) -> int:
    """4 tokens of framing per message, one per word of text (tool_result blocks included), 3 to prompt."""
    total = 3
    for m in messages:
        content = m.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content_text(content)}]
        for b in blocks:
            text = content_text(b.get("content")) if b.get("type") == "tool_result" else b.get("text", "")
            total += len(text.split())
        total += 4
    return total


def output(step: int, words: int = 100) -> str:
    return f"$ grep step{step}\n" + " ".join(f"w{step}x{i}" for i in range(words))


def history(steps: int, words: int = 100) -> list[Message]:
    msgs: list[Message] = [{"role": "system", "content": "rules " * 50}, {"role": "user", "content": "fix the bug"}]
    for s in range(steps):
        msgs.append({"role": "assistant", "content": f"calling the tool for step {s}",
                     "tool_calls": [{"id": f"c{s}", "type": "function", "function": {"name": "grep", "arguments": "{}"}}]})
        msgs.append({"role": "tool", "tool_call_id": f"c{s}", "content": output(s, words)})
    return msgs


def compactor(**kw: Any) -> Compactor:
    # trigger 950 tokens, target 700: each tool output is ~105 tokens, its stub ~20
    return Compactor(CompactionConfig(enabled=True, trigger_tokens=950, target_tokens=700, **kw), context_tokens=1000)


def tool_texts(messages: Sequence[Message]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


def run(c: Compactor, steps: Sequence[int], words: int = 100) -> list[CompactionResult]:
    """Apply the compactor to the history at each number of steps, carrying the state (JSON-round-tripped)."""
    state, results = CompactionState(), []
    for n in steps:
        msgs = history(n, words)
        sent = copy.deepcopy(msgs)
        r = c.apply(msgs, state, count)
        assert msgs == sent  # never mutated
        r.state.check_integrity(msgs)
        state = CompactionState.from_dict(json.loads(json.dumps(r.state.to_dict())))
        assert state == r.state
        results.append(r)
    return results


def test_below_the_trigger_nothing_changes() -> None:
    msgs = history(6)
    r = compactor().apply(msgs, CompactionState(), count)
    assert count(msgs) <= 950
    assert not r.rewrote and r.messages == msgs and r.state == CompactionState()
    assert r.tokens_saved == 0 and r.rewrite_cost_tokens == 0 and r.checkpoint is None


def test_disabled_by_default() -> None:
    msgs = history(12)
    r = Compactor(CompactionConfig(trigger_tokens=950, target_tokens=700), 1000).apply(msgs, CompactionState(), count)
    assert count(msgs) > 950 and not r.rewrote and r.messages == msgs


def test_rewrite_stubs_oldest_first_down_to_the_target_and_reports_savings_and_cost() -> None:
    msgs = history(8)
    before = count(msgs)
    assert before > 950
    r = compactor().apply(msgs, CompactionState(), count)
    assert r.rewrote and r.checkpoint is not None and r.checkpoint.number == 1
    texts = tool_texts(r.messages)
    stubbed = [i for i, t in enumerate(texts) if t.startswith("[tool output elided")]
    assert stubbed == list(range(len(stubbed))) and 0 < len(stubbed) <= 6  # oldest first, the last 2 kept
    assert texts[len(stubbed):] == tool_texts(msgs)[len(stubbed):]
    assert "it began: $ grep step0" in texts[0] and "101 characters" not in texts[0]
    # just enough stubs: one fewer would stay over the target
    assert r.tokens_after <= 700 < r.tokens_after + (105 - count([{"content": texts[0]}]) + 4 + 3)
    assert r.tokens_before == before and r.tokens_after == count(r.messages)
    assert r.tokens_saved == before - count(r.messages) > 0
    first = 3  # the first tool message: everything from it on is recomputed
    assert r.rewrite_cost_tokens == count(r.messages) - count(r.messages[:first])
    assert r.state.rewrite_cost_tokens == r.rewrite_cost_tokens
    assert r.checkpoint.num_messages == 2 * (1 + stubbed[-1]) + 2  # up to the last message it rewrote
    assert r.usage()["tokens_saved"] == r.tokens_saved


def test_later_steps_render_the_same_prefix_and_the_checkpoint_moves_only_near_the_budget() -> None:
    results = run(compactor(), range(1, 17))
    rewrites = [i for i, r in enumerate(results) if r.rewrote]
    assert len(rewrites) >= 3 and results[-1].tokens_before > 2 * 950
    for i, r in enumerate(results):
        assert r.tokens_after <= (700 if r.rewrote else 950)
        if i == 0:
            continue
        prev = results[i - 1]
        # each step's view starts with the previous step's view (its last message, the previous tool
        # output, is followed by the new turn), unless this step rewrote
        if not r.rewrote:
            assert r.messages[: len(prev.messages)] == prev.messages
            assert json.dumps(r.messages[: len(prev.messages)]) == json.dumps(prev.messages)
            assert r.state == prev.state and r.rewrite_cost_tokens == 0
        else:
            # a rewrite happens only over the trigger, and earlier edits survive it
            assert prev.tokens_after + (r.tokens_before - prev.tokens_before) > 950
            assert set(prev.state.edits) <= set(r.state.edits)
            assert r.checkpoint is not None and prev.state.num_rewrites + 1 == r.checkpoint.number
            assert r.checkpoint.num_messages >= (prev.checkpoint.num_messages if prev.checkpoint else 0)
            first = min(e.ref.message for e in r.new_edits)
            assert r.messages[:first] == prev.messages[:first]  # the unchanged prefix is still a hit
    # hysteresis: after a rewrite, the next step does not rewrite again
    assert all(b - a > 1 for a, b in zip(rewrites, rewrites[1:]))
    assert sum(r.rewrite_cost_tokens for r in results) == results[-1].state.rewrite_cost_tokens


def test_newest_first_stubs_just_before_the_kept_outputs_and_costs_less() -> None:
    msgs = history(8)
    oldest = compactor().apply(msgs, CompactionState(), count)
    newest = compactor(stub_order="newest").apply(msgs, CompactionState(), count)
    texts = tool_texts(newest.messages)
    stubbed = [i for i, t in enumerate(texts) if t.startswith("[tool output elided")]
    assert stubbed == list(range(6 - len(stubbed), 6))  # the ones just before the last 2
    assert texts[:6 - len(stubbed)] == tool_texts(msgs)[:6 - len(stubbed)]
    assert newest.tokens_after <= 700
    assert newest.rewrite_cost_tokens < oldest.rewrite_cost_tokens
    assert newest.rewrite_cost_tokens == newest.tokens_after - count(newest.messages[: 3 + 2 * stubbed[0]])
    with pytest.raises(ValueError):
        CompactionConfig(enabled=True, stub_order="random")


def test_keep_last_k_is_never_stubbed_even_over_the_target() -> None:
    msgs = history(10, words=300)  # the last 3 outputs alone exceed the target
    r = compactor(keep_last_k=3).apply(msgs, CompactionState(), count)
    assert r.rewrote and r.tokens_after > 700
    texts, originals = tool_texts(r.messages), tool_texts(msgs)
    assert texts[-3:] == originals[-3:]
    assert all(t.startswith("[tool output elided") for t in texts[:-3])
    again = compactor(keep_last_k=3).apply(msgs, r.state, count)  # nothing left to do: no new checkpoint
    assert not again.rewrote and again.messages == r.messages and again.state == r.state


def test_identical_outputs_keep_only_the_latest_copy() -> None:
    msgs = history(9)
    same = output(99)
    for i in (5, 9, 13):  # tool outputs 1, 3 and 5 are the same text
        msgs[i]["content"] = same
    r = compactor(keep_last_k=9).apply(msgs, CompactionState(), count)  # no stubs allowed: dedupe only
    assert r.rewrote
    assert r.messages[5]["content"] == "[same output as the tool result in message 13]"
    assert r.messages[9]["content"] == "[same output as the tool result in message 13]"
    assert r.messages[13]["content"] == same
    assert [m for i, m in enumerate(r.messages) if i not in (5, 9)] == [m for i, m in enumerate(msgs) if i not in (5, 9)]
    assert {e.kind for e in r.new_edits} == {"duplicate"}
    assert r.rewrite_cost_tokens == count(r.messages) - count(r.messages[:5])
    off = compactor(keep_last_k=9, dedupe=False).apply(msgs, CompactionState(), count)
    assert not off.rewrote


def test_edited_history_starts_over() -> None:
    c = compactor()
    r = c.apply(history(9), CompactionState(), count)
    assert r.rewrote and r.checkpoint is not None
    edited = history(10)
    edited[3]["content"] = "a different first output"
    again = c.apply(edited, r.state, count)
    assert again.reset
    assert again.checkpoint is not None and again.checkpoint.number == 1  # a fresh checkpoint, not number 2
    assert again.messages[:3] == edited[:3]
    assert again.state.rewrite_cost_tokens == again.rewrite_cost_tokens
    shorter = c.apply(history(2), r.state, count)  # shorter than the checkpoint: no match either
    assert shorter.reset and not shorter.rewrote and shorter.messages == history(2)


def test_summarize_hook_is_called_once_per_output_and_its_text_is_kept() -> None:
    calls: list[str] = []

    def summarize(text: str) -> str:
        calls.append(text)
        return f"summary of {text.splitlines()[0]} #{len(calls)}"

    c = compactor(summarize=summarize)
    results = run(c, range(8, 12))
    assert results[0].rewrote and {e.kind for e in results[0].new_edits} == {"summary"}
    n = len(calls)
    assert results[0].messages[3]["content"] == "summary of $ grep step0 #1"
    assert not results[1].rewrote and len(calls) == n  # later steps replay the stored text
    assert results[1].messages[3]["content"] == "summary of $ grep step0 #1"


def test_anthropic_tool_result_blocks() -> None:
    msgs: list[Message] = [{"role": "user", "content": "fix the bug " * 20}]
    for s in range(9):
        msgs.append({"role": "assistant", "content": [{"type": "text", "text": "looking"},
                                                      {"type": "tool_use", "id": f"t{s}", "name": "grep", "input": {}}]})
        msgs.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{s}",
                                                  "content": [{"type": "text", "text": output(s)}]},
                                                 {"type": "text", "text": "go on"}]})
    r = compactor().apply(msgs, CompactionState(), count)
    assert r.rewrote
    first = r.messages[2]["content"]
    assert first[0]["tool_use_id"] == "t0" and first[0]["content"].startswith("[tool output elided")
    assert first[1] == {"type": "text", "text": "go on"}
    assert r.new_edits[0].ref == OutputRef(2, 0)
    assert r.messages[-1] == msgs[-1] and msgs[2]["content"][0]["content"][0]["text"] == output(0)
    r.state.check_integrity(msgs)


def test_state_json_is_validated() -> None:
    r = compactor().apply(history(9), CompactionState(), count)
    data = json.loads(json.dumps(r.state.to_dict()))
    assert CompactionState.from_dict(data).view(history(9)) == r.messages
    with pytest.raises(ValueError):
        CompactionState.from_dict({**data, "version": 0})
    with pytest.raises(ValueError):
        CompactionState.from_dict({**data, "edits": [{"ref": {"message": 1}}]})
    with pytest.raises(ValueError):
        CompactionConfig(enabled=True, trigger_fraction=0.5, target_fraction=0.6)
    with pytest.raises(ValueError):
        CompactionConfig.from_dict({"enabled": True, "keep_last": 3})
    config = CompactionConfig(enabled=True, keep_last_k=4)
    assert CompactionConfig.from_dict(config.to_dict()) == config


def test_the_step_after_a_rewrite_is_a_prefix_cache_hit_on_the_engine(tiny_model) -> None:  # noqa: ANN001
    from loopcache.engine.config import EngineConfig
    from loopcache.engine.cost_model import CostModel
    from loopcache.engine.engine import Engine
    from loopcache.engine.sampling import SamplingParams
    from loopcache.kvcache.memory import MemoryStore
    from loopcache.kvcache.tiered import TieredStore

    engine = Engine(tiny_model, TieredStore([MemoryStore()]), EngineConfig(block_size=16, step_tokens=512,
                    solo_step_tokens=512), CostModel(window=0))
    c = Compactor(CompactionConfig(enabled=True, trigger_tokens=3800, target_tokens=3400,
                                   stub_format="[elided: {chars} chars]"), tiny_model.max_context)

    def tokens(msgs: Sequence[Any]) -> int:
        return len(engine.render(msgs))

    msgs: list[Message] = [{"role": "system", "content": "You are a careful agent. " * 20}]
    state, rates, rewrites = CompactionState(), [], []
    for step in range(16):  # byte tokens: ~300 fresh per step, over the trigger after ~11 steps
        msgs.append({"role": "tool" if step else "user", "content": f"step {step} output: " + "abcdefghij" * 25})
        r = c.apply(msgs, state, tokens)
        state = r.state
        stats = engine.generate(r.messages, SamplingParams(max_tokens=4), session_id="s1").stats
        assert stats.prompt_tokens == r.tokens_after <= 3800
        rates.append(stats.cached_tokens / stats.prompt_tokens)
        if r.rewrote:
            rewrites.append(step)
            # the rewrite's cost is real: the engine recomputes at least the tokens from the first change on
            assert stats.computed_tokens >= r.rewrite_cost_tokens - 16
        msgs.append({"role": "assistant", "content": f"I will look at part {step}."})
    after = [i + 1 for i in rewrites if i + 1 < len(rates)]
    assert len(after) >= 2 and not set(after) & set(rewrites)  # one rewrite is followed by reuse, not another
    assert all(rates[i] >= 0.9 for i in after), rates
    assert all(rates[i] < 0.5 for i in rewrites), rates  # a rewrite does cost its recompute
