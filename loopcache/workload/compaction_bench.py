"""The compaction benchmark: one long agent loop with and without cache-aware compaction, on one engine.

    without   the client's full history every step: it outgrows the model's context and the loop stops there
    with      the same loop through a `Compactor`: old tool outputs are stubbed at checkpoints, the loop runs
              all its steps, and each step after a rewrite reuses the compacted prefix from the cache

Both runs see the same system prompt and tool results (the agent-loop shape's, seeded); the answers are the
model's own (greedy), short, so the run takes minutes on a CPU. The runs use separate namespaces, so neither
reuses the other's KV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loopcache.engine.engine import Engine, PromptTooLongError
from loopcache.engine.sampling import SamplingParams
from loopcache.sessions.compaction import CompactionConfig, Compactor
from loopcache.sessions.compaction_state import CompactionState
from loopcache.workload.agent_loop import LoopShape, system_prompt, tool_result

TASK = "The test suite fails on the cache module. Find the cause and fix it."


@dataclass(frozen=True)
class CompactionStep:
    step: int
    prompt_tokens: int  # as sent to the engine (compacted)
    history_tokens: int  # the client's full history
    cached_tokens: int
    computed_tokens: int
    ttft_s: float
    rewrote: bool
    rewrite_cost_tokens: int

    @property
    def hit_rate(self) -> float:
        return self.cached_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "prompt_tokens": self.prompt_tokens, "history_tokens": self.history_tokens,
                "cached_tokens": self.cached_tokens, "computed_tokens": self.computed_tokens,
                "hit_rate": round(self.hit_rate, 4), "ttft_s": round(self.ttft_s, 4), "rewrote": self.rewrote,
                "rewrite_cost_tokens": self.rewrite_cost_tokens}


def run_loop(engine: Engine, shape: LoopShape, steps: int, output_tokens: int, compactor: Compactor | None,
             namespace: str, log: Any = None) -> list[CompactionStep]:
    """Run up to `steps` steps; stop early when the prompt no longer fits the context. One record per step run."""
    tokenizer = engine.model.tokenizer
    history: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(tokenizer, shape)},
                                     {"role": "user", "content": TASK}]
    state, records = CompactionState(), []

    def count(messages: Sequence[Any]) -> int:
        return len(engine.render(messages))

    for step in range(1, steps + 1):
        if step > 1:
            history.append({"role": "tool", "content": tool_result(tokenizer, shape, step - 1)})
        if compactor is not None:
            result = compactor.apply(history, state, count)
            state, prompt, rewrote, cost = result.state, result.messages, result.rewrote, result.rewrite_cost_tokens
            history_tokens = result.tokens_before
        else:
            prompt, rewrote, cost = history, False, 0
            history_tokens = count(history)
        try:
            completion = engine.generate(prompt, SamplingParams(max_tokens=output_tokens), f"{namespace}-session",
                                         namespace)
        except PromptTooLongError:
            break
        s = completion.stats
        records.append(CompactionStep(step, s.prompt_tokens, history_tokens, s.cached_tokens, s.computed_tokens,
                                      s.ttft_s, rewrote, cost))
        if log is not None:
            log(f"{namespace} step {step}: prompt {s.prompt_tokens} (history {history_tokens}), cached "
                f"{s.cached_tokens} ({records[-1].hit_rate:.1%}){' REWRITE' if rewrote else ''}, TTFT {s.ttft_s:.2f} s")
        history.append({"role": "assistant", "content": completion.text})
    return records


def min_hit_rate_after_compaction(records: Sequence[CompactionStep]) -> float | None:
    """The lowest hit rate of the steps after the first rewrite, rewrite steps left out (None: none)."""
    first = next((i for i, r in enumerate(records) if r.rewrote), None)
    if first is None:
        return None
    rates = [r.hit_rate for r in records[first + 1 :] if not r.rewrote]
    return min(rates) if rates else None


def run_compaction_bench(engine: Engine, steps: int = 32, output_tokens: int = 24,
                         config: CompactionConfig | None = None, shape: LoopShape | None = None,
                         log: Any = None) -> dict[str, Any]:
    """Run the loop without and with compaction on `engine` (which must have a store) and summarise both."""
    shape = shape or LoopShape(output_tokens=output_tokens)
    config = config or CompactionConfig(enabled=True)
    compactor = Compactor(config, engine.model.max_context)
    without = run_loop(engine, shape, steps, output_tokens, None, "compaction-without", log)
    with_ = run_loop(engine, shape, steps, output_tokens, compactor, "compaction-with", log)
    rewrites = [r for r in with_ if r.rewrote]
    last = with_[-1] if with_ else None
    fresh = sum(r.computed_tokens for r in with_)
    return {
        "steps": steps,
        "output_tokens": output_tokens,
        "context_tokens": engine.model.max_context,
        "config": config.to_dict(),
        "budget": {"trigger_tokens": compactor.budget.trigger_tokens, "target_tokens": compactor.budget.target_tokens},
        "steps_completed": len(with_),
        "steps_completed_without": len(without),
        "min_hit_rate_after_compaction": min_hit_rate_after_compaction(with_),
        "compactions": len(rewrites),
        "tokens_saved": (last.history_tokens - last.prompt_tokens) if last else 0,
        "rewrite_cost_tokens": sum(r.rewrite_cost_tokens for r in rewrites),
        "computed_tokens": fresh,
        "computed_tokens_without": sum(r.computed_tokens for r in without),
        "per_step": [r.to_dict() for r in with_],
        "per_step_without": [r.to_dict() for r in without],
    }
