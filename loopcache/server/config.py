"""Server settings: one frozen dataclass, validated once, passed to the app factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

OPEN_NAMESPACE = "default"


@dataclass(frozen=True)
class ServerConfig:
    model_aliases: tuple[str, ...] = ("default",)  # names the served model answers to, besides its real name
    api_keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # key -> namespace
    max_queue: int = 16  # requests waiting for the engine (the running one excluded)
    retry_after_s: int = 1
    default_max_tokens: int = 256  # when an OpenAI request gives none
    trace_log: Path | None = None

    def __post_init__(self) -> None:
        if self.max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        if self.default_max_tokens < 1 or self.retry_after_s < 0:
            raise ValueError("default_max_tokens must be >= 1 and retry_after_s >= 0")
        if not self.model_aliases:
            raise ValueError("the model needs at least one name")
        object.__setattr__(self, "api_keys", MappingProxyType(dict(self.api_keys)))

    @property
    def is_open(self) -> bool:
        """No API keys configured: every request runs in the one open namespace."""
        return not self.api_keys
