"""How long a session usually pauses between steps for a tool call, learned from its own gaps.

An agent step ends, a tool runs (seconds), the next step arrives; sometimes a person is in the loop
(minutes to hours). The memory tier keeps a session's blocks for the tool-call pause it expects, then lets
them spill to disk. Gaps longer than `TOOL_GAP_CEILING_S` are people, not tools, and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_TOOL_GAP_S = 30.0  # before a session has shown any gap
TOOL_GAP_CEILING_S = 300.0
MARGIN = 1.5
MIN_RESIDENCY_S = 5.0


def expected_tool_gap(gaps_s: Sequence[float]) -> float:
    """How long to keep a session's blocks in memory after a step: 1.5x the 90th percentile of its tool
    gaps (those under five minutes), at least 5 s; the default when it has none yet."""
    tool_gaps = sorted(g for g in gaps_s if 0 <= g <= TOOL_GAP_CEILING_S)
    if not tool_gaps:
        return DEFAULT_TOOL_GAP_S
    p90 = tool_gaps[min(len(tool_gaps) - 1, int(0.9 * len(tool_gaps)))]
    return max(MIN_RESIDENCY_S, MARGIN * p90)
