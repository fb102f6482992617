"""Blending settings (no torch import here, so the CLI and the engine config can validate them cheaply)."""

from __future__ import annotations

from dataclasses import dataclass

SELECTORS = ("deviation", "first_tokens")


@dataclass(frozen=True)
class GuardConfig:
    """When a blended prefill is trusted (see `guard.py`).

    max_deviation: proxy bound, checked on every blended request: the relative KV deviation of the chunk
        tokens that are *not* recomputed, measured at the probe layer (where every chunk token is computed
        afresh anyway). Above it the request falls back to full prefill before any further work. The default
        is fitted on bench/blend.py's prompts (SmolLM2-135M, docs/blend.md): a proxy, not a guarantee.
    verify_every: every n-th blended request is also prefilled in full and compared (1: every request,
        exact but without any saving; 0: never). A verified request always continues from the full prefill.
    max_kl: a verified request agrees when its next-token distributions' KL(full || blended) is at most this
        and their top-1 tokens are equal.
    min_margin: a near tie is not trusted: an unverified request whose blended next-token log-probabilities
        put the top-1 token less than this (nats) above the second is prefilled in full after all (a small
        perturbation of the KV flips a near tie; KL alone does not see it). Chosen a priori, not fitted.
    window, min_pass_rate: the breaker: when fewer than `min_pass_rate` of the last `window` verified
        requests agreed, blending stops (every request is prefilled in full, and still verified every
        `verify_every`-th time so the breaker can close again).
    """

    max_deviation: float = 0.006
    verify_every: int = 16
    max_kl: float = 0.1
    min_margin: float = 0.5
    window: int = 8
    min_pass_rate: float = 0.75

    def __post_init__(self) -> None:
        if self.max_deviation < 0 or self.max_kl < 0 or self.min_margin < 0:
            raise ValueError("max_deviation, max_kl and min_margin must be >= 0")
        if self.verify_every < 0 or self.window < 1 or not 0.0 <= self.min_pass_rate <= 1.0:
            raise ValueError("verify_every >= 0, window >= 1 and 0 <= min_pass_rate <= 1 are required")


@dataclass(frozen=True)
class BlendConfig:
    """How chunks are found, stored and blended (`EngineConfig.blend`; None keeps blending off).

    recompute_share: r, the share of reused chunk tokens recomputed (besides every non-chunk token).
    selector: which chunk tokens are recomputed: "deviation" (CacheBlend-like: the tokens whose KV deviates
        most at `probe_layer` once recomputed there) or "first_tokens" (EPIC-like: the first tokens of each
        chunk, r of them in all).
    first_tokens: tokens at the start of each chunk always recomputed (0: none), with either selector.
    recent_tokens: chunk tokens among the prompt's last `recent_tokens` always recomputed (0: none): the
        decode attends most to what is nearest it.
    probe_layer: the layer at which deviation is measured; layers up to it are computed for every token.
    min_chunk_tokens: segments shorter than this are never chunks (recomputed).
    boundary_tokens: token ids that start a segment (message starts in the chat template); empty: the
        engine fills in the tokenizer's BOS / `<|im_start|>` token.
    """

    recompute_share: float = 0.15
    selector: str = "deviation"
    first_tokens: int = 0
    recent_tokens: int = 0
    probe_layer: int = 1
    min_chunk_tokens: int = 32
    boundary_tokens: tuple[int, ...] = ()
    guard: GuardConfig = GuardConfig()

    def __post_init__(self) -> None:
        if not 0.0 <= self.recompute_share <= 1.0:
            raise ValueError("recompute_share must be within [0, 1]")
        if self.selector not in SELECTORS:
            raise ValueError(f"selector must be one of {', '.join(SELECTORS)}, got {self.selector!r}")
        if min(self.first_tokens, self.recent_tokens, self.probe_layer) < 0 or self.min_chunk_tokens < 1:
            raise ValueError("first_tokens, recent_tokens, probe_layer must be >= 0 and min_chunk_tokens >= 1")
