"""A synthetic agent loop with the shape of real coding-agent sessions.

Step 1 sends a system prompt (~500 tokens) and a task; every later step re-sends the whole conversation plus
the model's previous answer (~200 tokens) and a new tool result (~600 tokens). The text is generated
deterministically from a seed (no data is downloaded), so every mode of a benchmark sees the same inputs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from loopcache.engine.engine import Completion, Engine
from loopcache.engine.prefix_cache import common_prefix_len
from loopcache.engine.sampling import SamplingParams
from loopcache.engine.stats import RequestStats

_RULES = [
    "Read the relevant files before you change anything, and keep every change minimal.",
    "Run the test suite after each edit and report the exact command you ran.",
    "Never delete user data; ask before any destructive operation.",
    "Prefer the project's existing helpers to writing new ones.",
    "When a tool returns an error, explain it and try a different approach.",
    "Quote file paths relative to the repository root.",
    "Keep answers short: say what you will do next and why.",
    "Use the search tool before guessing where a function is defined.",
    "Do not invent APIs; check the documentation or the source first.",
    "Summarise the diff at the end of the task.",
]
_WORDS = (
    "cache block token prefix session tier disk memory request engine layer tensor config index store hash "
    "chunk policy eviction worker queue stream decode prefill latency budget trace audit server client"
).split()


@dataclass(frozen=True)
class LoopShape:
    system_tokens: int = 500
    tool_tokens: int = 600
    output_tokens: int = 200
    max_steps: int | None = None  # None: as many steps as fit the model's context
    seed: int = 0


@dataclass(frozen=True)
class StepRecord:
    step: int
    prompt_tokens: int
    cached_tokens: int
    computed_tokens: int
    fresh_tokens: int
    ttft_s: float
    load_s: float
    prefill_s: float
    completion_tokens: int
    cached_tokens_by_tier: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, step: int, s: RequestStats, fresh_tokens: int) -> StepRecord:
        return cls(step=step, prompt_tokens=s.prompt_tokens, cached_tokens=s.cached_tokens,
                   computed_tokens=s.computed_tokens, fresh_tokens=fresh_tokens, ttft_s=s.ttft_s, load_s=s.load_s,
                   prefill_s=s.prefill_s, completion_tokens=s.completion_tokens,
                   cached_tokens_by_tier=dict(s.cached_tokens_by_tier))


def _fill(tokenizer: Any, target_tokens: int, make_line: Any) -> str:
    lines: list[str] = []
    while len(tokenizer.encode("\n".join(lines), add_special_tokens=False)) < target_tokens:
        lines.append(make_line(len(lines)))
    return "\n".join(lines)


def system_prompt(tokenizer: Any, shape: LoopShape) -> str:
    head = "You are a careful software agent working in a git repository. Follow these rules:"
    return head + "\n" + _fill(tokenizer, shape.system_tokens, lambda i: f"{i + 1}. {_RULES[i % len(_RULES)]}")


def tool_result(tokenizer: Any, shape: LoopShape, step: int) -> str:
    rng = random.Random(shape.seed * 100_003 + step)

    def line(i: int) -> str:
        path = "/".join(rng.choice(_WORDS) for _ in range(3))
        words = " ".join(rng.choice(_WORDS) for _ in range(6))
        return f"src/{path}.py:{rng.randint(1, 900)}: {words} = {rng.randint(0, 10**6)}"

    return f"$ grep -rn step{step} src/\n" + _fill(tokenizer, shape.tool_tokens, line)


@dataclass
class AgentLoop:
    """One session of the loop: its messages so far and the tokens the previous step ended with."""

    shape: LoopShape
    messages: list[dict[str, str]]
    previous_sequence: list[int] = field(default_factory=list)
    step: int = 0

    @classmethod
    def start(cls, tokenizer: Any, shape: LoopShape) -> AgentLoop:
        messages = [
            {"role": "system", "content": system_prompt(tokenizer, shape)},
            {"role": "user", "content": "The test suite fails on the cache module. Find the cause and fix it."},
        ]
        return cls(shape, messages)

    def fits(self, engine: Engine, steps: int = 1) -> bool:
        """Whether `steps` more steps (each a tool result and an answer) fit the model's context."""
        if self.shape.max_steps is not None and self.step + steps > self.shape.max_steps:
            return False
        tool_results = steps if self.step else steps - 1
        upcoming = len(engine.render(self.messages)) + tool_results * (self.shape.tool_tokens + 32)
        return upcoming + steps * self.shape.output_tokens <= engine.model.max_context

    def run_step(self, engine: Engine, session_id: str, namespace: str = "default") -> StepRecord:
        """Add the previous step's tool result, run one request, and record what it cost."""
        if self.step > 0:
            self.messages.append(
                {"role": "tool", "content": tool_result(engine.model.tokenizer, self.shape, self.step)}
            )
        completion = engine.generate(
            self.messages, SamplingParams(max_tokens=self.shape.output_tokens), session_id, namespace
        )
        return self.record(completion)

    def record(self, completion: Completion) -> StepRecord:
        prompt = completion.prompt_token_ids
        fresh = len(prompt) - common_prefix_len(prompt, self.previous_sequence)
        self.previous_sequence = list(prompt) + list(completion.token_ids)
        self.messages.append({"role": "assistant", "content": completion.text})
        self.step += 1
        return StepRecord.of(self.step, completion.stats, fresh)

    def to_state(self) -> dict[str, Any]:
        return {"shape": asdict(self.shape), "messages": self.messages, "previous": self.previous_sequence,
                "step": self.step}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> AgentLoop:
        return cls(LoopShape(**state["shape"]), list(state["messages"]), list(state["previous"]), int(state["step"]))


def prefill_amplification(records: Sequence[StepRecord]) -> float:
    """Computed tokens / fresh tokens over steps 2..N (1.0 is ideal)."""
    later = records[1:]
    fresh = sum(r.fresh_tokens for r in later)
    return sum(r.computed_tokens for r in later) / fresh if fresh else float("nan")
