"""Many agent sessions over simulated time: who sends which step when.

    session i starts at i * stagger_s; each step adds an answer and a tool result (the agent-loop shape,
    smaller); between steps a tool runs (seconds) or, now and then, a person pauses it (minutes to an hour);
    after its last step the session ends.

Answers are fixed text (not the model's output), so every cache policy sees exactly the same prompts and
the comparison between policies is the cache's alone. Deterministic from `seed`.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Any

from loopcache.workload.agent_loop import LoopShape, system_prompt, tool_result


@dataclass(frozen=True)
class MixShape:
    sessions: int = 16
    steps: int = 10
    system_tokens: int = 300
    tool_tokens: int = 80
    output_tokens: int = 4
    stagger_s: float = 240.0
    tool_gap_s: tuple[float, float] = (2.0, 20.0)
    human_gap_s: tuple[float, float] = (600.0, 3600.0)
    human_pause_every: int = 3  # about one step in this many is followed by a person's pause
    seed: int = 0


@dataclass(order=True)
class Arrival:
    at: float
    session: int
    step: int = field(compare=False)  # 0-based
    gap_s: float | None = field(compare=False, default=None)

    @property
    def session_id(self) -> str:
        return f"agent-{self.session:02d}"


class SessionMix:
    """Each session's steps as they arrive in simulated time, and each step's messages.

        take(until, limit) -> the arrivals due by `until` (a batch); done(arrival, end) -> its next step is
        due `gap` after `end`."""

    def __init__(self, tokenizer: Any, shape: MixShape, start: float = 0.0) -> None:
        self.shape = shape
        self._system = system_prompt(tokenizer, LoopShape(system_tokens=shape.system_tokens, seed=shape.seed))
        self._tokenizer = tokenizer
        rng = random.Random(shape.seed)
        self._gaps = {(s, k): self._gap(rng) for s in range(shape.sessions) for k in range(1, shape.steps)}
        self._queue = [Arrival(start + s * shape.stagger_s, s, 0) for s in range(shape.sessions)]
        heapq.heapify(self._queue)

    def _gap(self, rng: random.Random) -> float:
        lo, hi = self.shape.tool_gap_s
        if rng.randrange(self.shape.human_pause_every) == 0:
            lo, hi = self.shape.human_gap_s
        return rng.uniform(lo, hi)

    @property
    def next_at(self) -> float | None:
        return self._queue[0].at if self._queue else None

    def take(self, until: float, limit: int) -> list[Arrival]:
        batch = []
        while self._queue and self._queue[0].at <= until and len(batch) < limit:
            batch.append(heapq.heappop(self._queue))
        return batch

    def peek(self, until: float) -> list[Arrival]:
        """The arrivals due by `until`, without taking them."""
        return sorted(a for a in self._queue if a.at <= until)

    def done(self, arrival: Arrival, end: float) -> bool:
        """Schedule the session's next step; False when this was its last."""
        nxt = arrival.step + 1
        if nxt >= self.shape.steps:
            return False
        gap = self._gaps[(arrival.session, nxt)]
        heapq.heappush(self._queue, Arrival(end + gap, arrival.session, nxt, gap))
        return True

    def messages(self, session: int, step: int) -> list[dict[str, str]]:
        """The prompt of `step` (0-based): system, task, then (answer, tool result) per earlier step."""
        out = [{"role": "system", "content": self._system},
               {"role": "user", "content": f"Task {session}: the cache module's tests fail; find the cause."}]
        for k in range(step):
            out.append({"role": "assistant", "content": f"Step {k + 1}: I will look at module {k} next."})
            out.append({"role": "tool", "content": tool_result(self._tokenizer, self._shape_of(session), k + 1)})
        return out

    def _shape_of(self, session: int) -> LoopShape:
        return LoopShape(self.shape.system_tokens, self.shape.tool_tokens, self.shape.output_tokens,
                         seed=self.shape.seed * 1000 + session + 1)
