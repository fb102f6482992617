"""Incremental detokenisation with stop strings: text is released only once it cannot start a stop string."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Detokenizer:
    tokenizer: Any
    stop: tuple[str, ...] = ()
    token_ids: list[int] = field(default_factory=list)
    emitted: int = 0  # characters of the final text already released
    stopped: bool = False
    _text: str = ""

    def add(self, token_id: int) -> str:
        """Append one token; return the newly releasable text ('' while a stop string might be forming)."""
        self.token_ids.append(token_id)
        text = self.tokenizer.decode(self.token_ids, skip_special_tokens=True)
        if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence: wait for the next token
            return ""
        self._text = text
        for stop in self.stop:
            at = text.find(stop, max(0, self.emitted - len(stop)))
            if at != -1:
                self._text = text[:at]
                self.stopped = True
                return self._release(at)
        hold = max((self._partial_stop_len(text, s) for s in self.stop), default=0)
        return self._release(len(text) - hold)

    def flush(self) -> str:
        """Release whatever is held back (generation ended without completing a stop string)."""
        return self._release(len(self._text))

    @property
    def text(self) -> str:
        return self._text

    def _release(self, upto: int) -> str:
        if upto <= self.emitted:
            return ""
        out = self._text[self.emitted : upto]
        self.emitted = upto
        return out

    @staticmethod
    def _partial_stop_len(text: str, stop: str) -> int:
        for n in range(min(len(stop) - 1, len(text)), 0, -1):
            if text.endswith(stop[:n]):
                return n
        return 0
