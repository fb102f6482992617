"""`loopcache serve --blend` (a real server process on the tiny model): tool results re-read at other
positions are reused, reported in usage and /metrics; without the flag, nothing is blended; with a proxy
bound nothing passes, the guard sends the request to full prefill and the answer is the exact one."""

from __future__ import annotations

from pathlib import Path

from tests.faults.serve import Servers

SYSTEM = {"role": "system", "content": "You are an agent reading tool output."}
DOC_A = "The blue key opens the north door of the archive. " * 6
DOC_B = "Alice keeps the ledger in drawer nine, next to the maps. " * 6


def first_read() -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": "read both"}, {"role": "tool", "content": DOC_A},
            {"role": "tool", "content": DOC_B}, {"role": "user", "content": "Which door?"}]


def reread() -> list[dict[str, str]]:
    """The same tool results in another order, after another message: only SYSTEM is a prefix hit."""
    return [SYSTEM, {"role": "user", "content": "read them again, please"}, {"role": "tool", "content": DOC_B},
            {"role": "tool", "content": DOC_A}, {"role": "user", "content": "Which door does the key open?"}]


def answers(servers: Servers, kv: Path, *flags: str) -> tuple[dict, dict, dict[str, float]]:
    server = servers.start(kv, *flags)
    server.chat(first_read(), "a", max_tokens=4)
    body = server.chat(reread(), "b", max_tokens=6)
    metrics = server.metrics()
    server.stop()
    return body["usage"], body["choices"][0]["message"], metrics


def test_serve_blend_reuses_reread_tool_results(tiny_model_dir: Path, tmp_path: Path) -> None:
    servers = Servers(tiny_model_dir, tmp_path)
    try:
        usage, _, metrics = answers(servers, tmp_path / "kv-on", "--blend", "--blend-verify-every", "0",
                                    "--blend-max-deviation", "1e9", "--blend-min-margin", "0",
                                    "--blend-recompute", "0.15")
        blended = usage["prompt_tokens_details"]["blended_tokens"]
        # both documents (~2 x 70 tokens) were reused at their new positions, less the 15% recomputed
        assert blended >= 80 and usage["prompt_tokens_details"]["blend_fallbacks"] == 0
        assert metrics["loopcache_blended_tokens_total"] == blended

        plain, exact, _ = answers(servers, tmp_path / "kv-off")
        assert "blended_tokens" not in plain["prompt_tokens_details"]  # off by default

        guarded, message, metrics = answers(servers, tmp_path / "kv-guard", "--blend", "--blend-verify-every", "0",
                                            "--blend-max-deviation", "0")
        assert guarded["prompt_tokens_details"]["blend_fallbacks"] == 1
        assert guarded["prompt_tokens_details"]["blended_tokens"] == 0
        assert metrics['loopcache_blend_fallbacks_total{reason="proxy"}'] == 1
        assert message == exact  # the guard's fallback is the exact prefill
    finally:
        servers.kill_all()
