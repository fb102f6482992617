"""What a running sequence tells its consumer: text as it is decoded, then one `Completion` or one `Failure`."""

from __future__ import annotations

from dataclasses import dataclass

from loopcache.engine.stats import RequestStats


@dataclass(frozen=True)
class TextDelta:
    text: str
    token_id: int


@dataclass(frozen=True)
class Completion:
    text: str
    token_ids: tuple[int, ...]
    prompt_token_ids: tuple[int, ...]
    finish_reason: str  # "stop" (EOS or a stop string) or "length"
    stats: RequestStats


@dataclass(frozen=True)
class Failure:
    """The sequence ended without a result (the engine failed on it, or it can never fit the KV pool)."""

    error: Exception


Event = TextDelta | Completion | Failure
