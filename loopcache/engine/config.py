"""Engine settings (no torch import here, so the CLI can validate them cheaply)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineConfig:
    block_size: int = 256
    prefill_chunk: int = 2048

    def __post_init__(self) -> None:
        if self.block_size < 1 or self.prefill_chunk < 1:
            raise ValueError("block_size and prefill_chunk must be positive")
