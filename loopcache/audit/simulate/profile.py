"""What a cache policy needs to know about a session, as plain numbers (no text).

Built from a real session (`SessionProfile.of`, via `PrefixMap`) or directly for the synthetic loop, so the
policies can be checked against hand arithmetic.

For step i and each earlier step j (index j in the tuples):
    prefix_with[j]   tokens of the longest common prefix of prompt i and prompt j
    extends[j]       prompt i starts with the whole of prompt j (a cache entry ending at j's end can serve i)
    same_system[j]   prompt i and prompt j share their tools + system part
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.diagnostics.tool_calls import ToolCallReport
from loopcache.audit.prefix_map import PrefixMap
from loopcache.audit.step import Session


@dataclass(frozen=True)
class StepProfile:
    input_tokens: int
    output_tokens: int
    time_s: float | None
    fresh_tokens: int
    contained_tokens: int
    system_tokens: int
    num_messages: int
    prefix_with: tuple[int, ...]
    extends: tuple[bool, ...]
    same_system: tuple[bool, ...]
    repeated_tool_tokens: int = 0
    repeated_tool_calls: int = 0


@dataclass(frozen=True)
class SessionProfile:
    session_id: str
    model: str | None
    steps: tuple[StepProfile, ...]

    @classmethod
    def of(cls, session: Session, prefix_map: PrefixMap, tools: ToolCallReport) -> SessionProfile:
        saved = {}
        for use in tools.uses:
            if use.repeat in ("exact", "canonical") and use.same_result:
                # The repeated result enters the prompt of the step after the call.
                tokens, calls = saved.get(use.step + 1, (0, 0))
                saved[use.step + 1] = (tokens + use.result_tokens, calls + 1)
        steps = []
        for i, step in enumerate(session.steps):
            here = prefix_map.steps[i]
            overlaps = prefix_map.overlaps[i]
            system_chars = here.prompt.system_end
            time = step.started_at if step.started_at is not None else step.ended_at
            tokens, calls = saved.get(i, (0, 0))
            steps.append(
                StepProfile(
                    input_tokens=here.input_tokens,
                    output_tokens=step.usage.output_tokens if step.usage else 0,
                    time_s=time,
                    fresh_tokens=prefix_map.fresh_tokens(i),
                    contained_tokens=prefix_map.contained_tokens(i),
                    system_tokens=here.system_end_tokens,
                    num_messages=len(step.request.messages),
                    prefix_with=tuple(o.tokens for o in overlaps),
                    extends=tuple(o.covers_earlier for o in overlaps),
                    same_system=tuple(
                        o.chars >= system_chars and prefix_map.steps[o.earlier].prompt.system_end == system_chars for o in overlaps
                    ),
                    repeated_tool_tokens=tokens,
                    repeated_tool_calls=calls,
                )
            )
        model = next((s.model for s in session.steps if s.model), None)
        return cls(session.session_id, model, tuple(steps))
