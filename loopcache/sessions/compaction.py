"""Cache-aware context compaction: rewrite a session's history once, at a checkpoint, then reuse it.

    step n-1:  [ sys | a1 t1 a2 t2 ... a9 t9 ]                                   under the trigger: sent as is
    step n:    [ sys | a1 s1 a2 s2 a3 s3 ... a9 t9 a10 t10 ]   over the trigger: old outputs stubbed (s),
                        ^ first rewritten message: from here on the step recomputes (the rewrite's cost)
    step n+1:  [ sys | a1 s1 a2 s2 a3 s3 ... a9 t9 a10 t10 | a11 t11 ]   same bytes + the new turn: a cache hit

The client keeps sending its full, uncompacted history; `Compactor.apply` turns it into what the engine
renders. It rewrites only when the rendered prompt would exceed the trigger, and then enough at once to get
under the target (hysteresis), so a rewrite is followed by steps that reuse the compacted prefix whole, until
the history has grown back to the trigger. Rules, in order, at a checkpoint:

1. dedupe: of tool outputs with identical text, all but the latest become a pointer to the latest;
2. stub: tool outputs older than the last `keep_last_k` are replaced, oldest first (or newest first, the
   cheaper rewrite: `stub_order`), by a one-line stub (or by the `summarize` hook's text), until the prompt
   is at or under the target.

Pure and deterministic given the same history, state and token counter; nothing here runs a model (the
summariser is the caller's callable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from loopcache.sessions.compaction_state import Checkpoint, CompactionState, Edit
from loopcache.sessions.tool_outputs import Message, OutputRef, ToolOutput, replace_outputs, tool_outputs

CountTokens = Callable[[Sequence[Message]], int]  # tokens of the messages as the engine renders them
Summarize = Callable[[str], str]  # a tool output's text -> its (shorter) replacement

# Which old outputs go first. "oldest": the least relevant to the current action (the rewrite recomputes from
# the oldest verbatim output on). "newest": the ones just before the kept last k (the rewrite recomputes only
# the last few turns: cheapest for the cache, but the first outputs of the session stay verbatim longest).
STUB_ORDERS: dict[str, Callable[[Sequence[ToolOutput]], list[ToolOutput]]] = {
    "oldest": lambda outputs: list(outputs),
    "newest": lambda outputs: list(reversed(outputs)),
}

DEFAULT_STUB = "[tool output elided to save context: {lines} lines, {chars} characters; it began: {head}]"
DEFAULT_DUPLICATE = "[same output as the tool result in message {message}]"


@dataclass(frozen=True)
class Budget:
    trigger_tokens: int  # compact when the rendered prompt is over this
    target_tokens: int  # ... down to at most this


@dataclass(frozen=True)
class CompactionConfig:
    """Per-session compaction settings (off by default). Fractions are of the model's context; absolute token
    counts, when given, win. Rule of thumb for a cache hit rate h on the steps after a rewrite, with F fresh
    tokens per step: target >= F * h / (1 - h) + one tool output, and trigger - target >= F."""

    enabled: bool = False
    trigger_fraction: float = 0.95
    target_fraction: float = 0.86
    trigger_tokens: int | None = None
    target_tokens: int | None = None
    keep_last_k: int = 2  # the last k tool outputs are never stubbed
    stub_order: str = "oldest"  # a key of STUB_ORDERS
    dedupe: bool = True
    stub_format: str = DEFAULT_STUB  # fields: {lines}, {chars}, {head} (first line, cut to head_chars)
    duplicate_format: str = DEFAULT_DUPLICATE  # fields: {message} (index of the kept copy)
    head_chars: int = 80
    summarize: Summarize | None = field(default=None, compare=False)  # replaces stub_format when given

    def __post_init__(self) -> None:
        if not 0 < self.target_fraction < self.trigger_fraction <= 1:
            raise ValueError("need 0 < target_fraction < trigger_fraction <= 1")
        if self.stub_order not in STUB_ORDERS:
            raise ValueError(f"stub_order must be one of {sorted(STUB_ORDERS)}, got {self.stub_order!r}")
        if self.keep_last_k < 0 or self.head_chars < 0:
            raise ValueError("keep_last_k and head_chars must be >= 0")
        for name in ("trigger_tokens", "target_tokens"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive")
        self.stub_format.format(lines=0, chars=0, head="")  # a bad format fails here, not mid-session
        self.duplicate_format.format(message=0)

    def budget(self, context_tokens: int) -> Budget:
        trigger = self.trigger_tokens or int(context_tokens * self.trigger_fraction)
        target = self.target_tokens or int(context_tokens * self.target_fraction)
        if not 0 < target < trigger:
            raise ValueError(f"compaction target {target} must be below its trigger {trigger}")
        return Budget(trigger, target)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON (the summariser, a callable, is left out)."""
        out = asdict(self)
        out.pop("summarize")
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], summarize: Summarize | None = None) -> CompactionConfig:
        known = {f.name for f in fields(cls)} - {"summarize"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown compaction settings: {sorted(unknown)}")
        return cls(**dict(data), summarize=summarize)


@dataclass(frozen=True)
class CompactionResult:
    """What to render for this step, and what compaction did to it.

    `messages` is the client's history with every checkpoint's edits applied. `tokens_before` is the history
    as sent, `tokens_after` as compacted (`tokens_saved` the difference: all checkpoints so far). When this
    step made a new checkpoint (`rewrote`), `rewrite_cost_tokens` are the tokens of the prompt from the first
    message this rewrite changed on: what the step recomputes that it could otherwise have reused. `reset`:
    the history no longer matched the previous checkpoint, which was dropped."""

    messages: list[Message]
    state: CompactionState
    tokens_before: int
    tokens_after: int
    rewrote: bool
    checkpoint: Checkpoint | None
    rewrite_cost_tokens: int = 0
    new_edits: tuple[Edit, ...] = ()
    reset: bool = False

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after

    def usage(self) -> dict[str, int | bool]:
        """The figures for a step's usage record."""
        return {"tokens_before": self.tokens_before, "tokens_after": self.tokens_after,
                "tokens_saved": self.tokens_saved, "rewrote": self.rewrote,
                "rewrite_cost_tokens": self.rewrite_cost_tokens,
                "checkpoint": self.checkpoint.number if self.checkpoint else 0}


class Compactor:
    """Applies one session's compaction to each step's history (`CompactionState` is the memory between
    steps: store `result.state` and pass it back with the next history)."""

    def __init__(self, config: CompactionConfig, context_tokens: int) -> None:
        self.config = config
        self.budget = config.budget(context_tokens)

    def apply(self, messages: Sequence[Message], state: CompactionState, count_tokens: CountTokens) -> CompactionResult:
        """The compacted view of `messages` (the client's full history) for this step. Never mutates its
        inputs. The view starts with exactly the previous step's compacted prefix unless this step rewrites."""
        reset = not state.matches(messages)
        if reset:
            state = CompactionState()
        before = count_tokens(messages)
        view = state.view(messages)
        after = count_tokens(view) if state.edits else before
        unchanged = CompactionResult(view, state, before, after, False, state.checkpoint, reset=reset)
        if not self.config.enabled or after <= self.budget.trigger_tokens:
            return unchanged
        edits = self._plan(messages, view, state, after, count_tokens)
        if not edits:
            return unchanged  # nothing left to compact: the prompt stays over the trigger
        first = min(e.ref.message for e in edits)
        new_view = replace_outputs(view, {e.ref: e.text for e in edits})
        compacted = count_tokens(new_view)
        cost = compacted - (count_tokens(new_view[:first]) if first else 0)
        new_state = state.extended(messages, edits, cost)
        return CompactionResult(new_view, new_state, before, compacted, True, new_state.checkpoint, cost,
                                tuple(edits), reset)

    # ---- the rules ----------------------------------------------------------------------------------------

    def _plan(self, messages: Sequence[Message], view: Sequence[Message], state: CompactionState, tokens: int,
              count_tokens: CountTokens) -> list[Edit]:
        outputs = tool_outputs(messages)
        taken = {e.ref for e in state.edits}
        fresh = [o for o in outputs if o.ref not in taken]
        edits = self._dedupe(fresh) if self.config.dedupe else {}
        if edits:
            tokens = count_tokens(replace_outputs(view, {r: e.text for r, e in edits.items()}))
        k = self.config.keep_last_k
        protected = {o.ref for o in outputs[len(outputs) - k :]} if k else set()
        for output in STUB_ORDERS[self.config.stub_order](fresh):
            if tokens <= self.budget.target_tokens:
                break
            if output.ref in protected or output.ref in edits:
                continue
            edit = self._stub(output)
            if len(edit.text) >= len(output.text):
                continue
            edits[output.ref] = edit
            original, stubbed = view[output.ref.message], replace_outputs(view, {output.ref: edit.text})[output.ref.message]
            tokens -= count_tokens([original]) - count_tokens([stubbed])  # an estimate, checked below
            if tokens <= self.budget.target_tokens:
                tokens = count_tokens(replace_outputs(view, {r: e.text for r, e in edits.items()}))
        return sorted(edits.values(), key=lambda e: e.ref.sort_key)

    def _dedupe(self, outputs: Sequence[ToolOutput]) -> dict[OutputRef, Edit]:
        latest: dict[str, OutputRef] = {}
        edits: dict[OutputRef, Edit] = {}
        for output in reversed(outputs):
            kept = latest.setdefault(output.text, output.ref)
            if kept != output.ref:
                text = self.config.duplicate_format.format(message=kept.message)
                if len(text) < len(output.text):
                    edits[output.ref] = Edit(output.ref, "duplicate", text)
        return edits

    def _stub(self, output: ToolOutput) -> Edit:
        if self.config.summarize is not None:
            return Edit(output.ref, "summary", self.config.summarize(output.text))
        lines = output.text.splitlines()
        head = lines[0][: self.config.head_chars] if lines else ""
        text = self.config.stub_format.format(lines=len(lines), chars=len(output.text), head=head)
        return Edit(output.ref, "stub", text)
