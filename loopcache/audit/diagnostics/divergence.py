"""What changed where two prompts part: classify the first divergence of a prompt from an earlier one.

Checks run in this order; the first that matches names the kind:

    tools_changed    the divergence is in the tool definitions and the tool names/order differ
    json_key_order   the chunk (tool definition or message) holds the same JSON with keys in another order
    timestamp        a date / time / unix time covers the divergence (in either prompt)
    uuid             a UUID, or a long random-looking id (hex / base62, letters and digits) covers it
    counter          an integer covers it in both prompts (step 3 -> step 4)
    edited_history   in the messages, none of the above: an earlier message was rewritten or dropped
    other            in the system prompt, none of the above
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from loopcache.audit.rendered_prompt import SECTION_MESSAGES, SECTION_TOOLS, RenderedPrompt

KINDS = ("timestamp", "uuid", "counter", "json_key_order", "tools_changed", "edited_history", "other")

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|\d{1,2}:\d{2}:\d{2}(?:\.\d+)?"
    r"|\d{1,2}:\d{2}\s?(?:[AaPp][Mm])?"
    r"|\d{4}/\d{2}/\d{2}|\d{1,2}/\d{1,2}/\d{2,4}"
    rf"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? \d{{1,2}} {_MONTH} \d{{4}}"
    rf"|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{1,2}} {_MONTH} \d{{4}}"
    r"|\b1[5-9]\d{8}(?:\.\d+|\d{3})?\b"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_RANDOM_ID = re.compile(r"[A-Za-z0-9_\-]{16,}")
_INTEGER = re.compile(r"\d+")

FIXES = {
    "timestamp": "A date/time in the prompt prefix changes between steps: move it after the cacheable prefix "
    "(into the latest user turn), or round it (e.g. to the day) and keep it out of the system prompt.",
    "uuid": "A per-request id sits in the prompt prefix: move it into request metadata or after the cacheable "
    "prefix (the latest user turn).",
    "counter": "A counter changes every step: move it to the end of the prompt (the latest user turn).",
    "json_key_order": "JSON in the prompt is serialised with unstable key order: serialise with sorted keys "
    "(json.dumps(value, sort_keys=True)).",
    "tools_changed": "The tool list changes between steps: keep the same tools in the same order for the whole "
    "session (refuse a call instead of removing the tool).",
    "edited_history": "An earlier message was rewritten or dropped: append to the history instead of editing it; "
    "if you must compact, compact rarely and all at once.",
    "other": "The prompt changes at this point: keep everything before it byte-identical across steps.",
}


@dataclass(frozen=True)
class Divergence:
    """Where and how prompt `new` leaves prompt `old`: offsets are characters of the rendered prompt."""

    kind: str
    section: str
    char_offset: int
    section_offset: int
    old_text: str
    new_text: str

    @property
    def fix(self) -> str:
        return FIXES[self.kind]


def _covering(pattern: re.Pattern[str], text: str, offset: int, radius: int = 48) -> str | None:
    """The match of `pattern` that contains `offset` or ends right at it (a value that grew: 9 -> 10)."""
    start = max(0, offset - radius)
    for match in pattern.finditer(text, start, min(len(text), offset + radius)):
        if match.start() <= offset <= match.end() and match.end() > match.start():
            return match.group(0)
    return None


def _is_random_id(token: str | None) -> bool:
    return bool(token) and any(c.isdigit() for c in token) and any(c.isalpha() for c in token)


def _chunk(prompt: RenderedPrompt, offset: int) -> tuple[int, int]:
    """The tool definition or message around `offset` as (start, end)."""
    text = prompt.text
    if offset < prompt.tools_end:
        start = text.rfind("<|tool|>", 0, offset + 1)
        end = text.find("\n<|tool|>", offset)
        return max(start, 0), (prompt.tools_end if end < 0 else end)
    if offset < prompt.system_end:
        return prompt.tools_end, prompt.system_end
    index = prompt.message_at(offset) or 0
    starts = list(prompt.message_starts) + [len(text)]
    return starts[index], starts[index + 1]


def _json_values(text: str) -> list[object]:
    values, decoder, i = [], json.JSONDecoder(), 0
    while True:
        i = text.find("{", i)
        if i < 0:
            return values
        try:
            value, end = decoder.raw_decode(text, i)
            values.append(value)
            i = end
        except ValueError:
            i += 1


def _tool_names(prompt: RenderedPrompt) -> list[str]:
    names = []
    for value in _json_values(prompt.text[: prompt.tools_end]):
        if isinstance(value, dict):
            function = value.get("function") if isinstance(value.get("function"), dict) else value
            names.append(str(function.get("name")))
    return names


def _section_offset(prompt: RenderedPrompt, offset: int) -> int:
    """`offset` counted from the start of the content it falls in: the tool definition's JSON, the system
    prompt text, or the message's text."""
    start, _ = _chunk(prompt, offset)
    if offset < prompt.tools_end:
        head = start + len("<|tool|>")
    else:
        head = prompt.text.find("\n", start) + 1
    return max(0, offset - head)


def classify(old: RenderedPrompt, new: RenderedPrompt, offset: int) -> Divergence:
    """Classify the divergence at `offset` (the first differing character of `old` and `new`)."""
    section = old.section_at(offset)
    a0, a1 = _chunk(old, offset)
    b0, b1 = _chunk(new, offset)
    old_chunk, new_chunk = old.text[a0:a1], new.text[b0:b1]
    kind = None
    if section == SECTION_TOOLS and _tool_names(old) != _tool_names(new):
        kind = "tools_changed"
    elif old_chunk != new_chunk and sorted(old_chunk) == sorted(new_chunk):
        old_json, new_json = _json_values(old_chunk), _json_values(new_chunk)
        if old_json and old_json == new_json:
            kind = "json_key_order"
    if kind is None:
        if _covering(_TIMESTAMP, old.text, offset) or _covering(_TIMESTAMP, new.text, offset):
            kind = "timestamp"
        elif _covering(_UUID, old.text, offset) or _covering(_UUID, new.text, offset):
            kind = "uuid"
        elif _is_random_id(_covering(_RANDOM_ID, old.text, offset)) and _is_random_id(_covering(_RANDOM_ID, new.text, offset)):
            kind = "uuid"
        elif _covering(_INTEGER, old.text, offset) and _covering(_INTEGER, new.text, offset):
            kind = "counter"
        elif section == SECTION_MESSAGES:
            kind = "edited_history"
        else:
            kind = "other"
    return Divergence(
        kind=kind,
        section=section,
        char_offset=offset,
        section_offset=_section_offset(old, offset),
        old_text=old.text[max(0, offset - 40) : offset + 40],
        new_text=new.text[max(0, offset - 40) : offset + 40],
    )


def resynchronises(old: str, new: str, offset: int) -> bool:
    """Whether the prompts realign soon after `offset` (a value was replaced, the rest is the same), as
    opposed to two different prompts that share only an opening."""
    window = new[offset : offset + 4000]
    for skip in (1, 8, 16, 32, 64, 128, 256):
        probe = old[offset + skip : offset + skip + 32]
        if len(probe) >= 16 and probe in window:
            return True
    return False
