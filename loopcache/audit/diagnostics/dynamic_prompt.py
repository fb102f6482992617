"""Diagnostic 2: dynamic content that breaks the prompt prefix between steps.

Each step is compared with the earlier step of its session that shares the longest prefix with it (its
"parent"; usually the previous step, but in a log where several agents interleave, the previous step of
the same agent). An agent loop that only appends leaves the whole parent prompt as a prefix. When it does
not, the first differing character is located and classified (`divergence.py`), and the parent's tokens
after that point are what the change invalidated: cached once, computed again.

A step that shares only a short opening with every earlier step and does not realign with it after the
divergence is a different prompt (another agent, a new task), not a finding; it is counted as a
`prompt_variant`.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.audit.diagnostics.divergence import classify, resynchronises
from loopcache.audit.prefix_map import PrefixMap
from loopcache.audit.step import Session

_NEW_PROMPT_SHARE = 0.2
_STRUCTURAL = ("other", "edited_history", "tools_changed")


@dataclass(frozen=True)
class DynamicPromptFinding:
    """Step `step` broke the prefix of step `parent_step`. `char_offset` is in the rendered prompt
    (tools -> system -> messages); `section_offset` inside the tool definition / system text / message."""

    step: int
    parent_step: int
    kind: str
    section: str
    char_offset: int
    section_offset: int
    token_offset: int
    tokens_invalidated: int
    old_text: str
    new_text: str
    fix: str


@dataclass(frozen=True)
class DynamicPromptReport:
    findings: tuple[DynamicPromptFinding, ...]
    prompt_variants: int

    @property
    def tokens_invalidated(self) -> int:
        return sum(f.tokens_invalidated for f in self.findings)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (number of findings, tokens invalidated)."""
        out: dict[str, tuple[int, int]] = {}
        for f in self.findings:
            count, tokens = out.get(f.kind, (0, 0))
            out[f.kind] = (count + 1, tokens + f.tokens_invalidated)
        return out


def dynamic_prompt(session: Session, prefix_map: PrefixMap) -> DynamicPromptReport:
    findings, variants = [], 0
    for i in range(1, len(session.steps)):
        best = prefix_map.best_earlier(i)
        if best is None or best.covers_earlier:
            continue
        parent, here = prefix_map.steps[best.earlier], prefix_map.steps[i]
        offset = best.chars
        divergence = classify(parent.prompt, here.prompt, offset)
        is_short_share = offset < _NEW_PROMPT_SHARE * len(parent.prompt.text)
        if divergence.kind in _STRUCTURAL and is_short_share and not resynchronises(
            parent.prompt.text, here.prompt.text, offset
        ):
            variants += 1
            continue
        findings.append(
            DynamicPromptFinding(
                step=i,
                parent_step=best.earlier,
                kind=divergence.kind,
                section=divergence.section,
                char_offset=offset,
                section_offset=divergence.section_offset,
                token_offset=parent.tokens_before(offset),
                tokens_invalidated=max(0, parent.input_tokens - best.tokens),
                old_text=divergence.old_text,
                new_text=divergence.new_text,
                fix=divergence.fix,
            )
        )
    return DynamicPromptReport(tuple(findings), variants)
