"""Print the headline figures of one or more peer result files side by side.

    python bench/peers/summarize.py vllm.json llamacpp.json

Standard library only; runs with any Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _f(x, digits=1):
    return "-" if x is None else f"{x:.{digits}f}"


def rows(r: dict) -> list[tuple[str, str]]:
    out = [("start_s", _f(r.get("start_s"))), ("wall_s", _f(r.get("wall_s")))]
    for c in r.get("prefill", {}).get("cases", []):
        out.append((f"prefill {c['name']} tok/s (ttft s)", f"{_f(c['tok_s'], 0)} ({_f(c['ttft_s'], 2)})"))
    for c in r.get("decode", {}).get("cases", []):
        out.append((f"decode {c['name']} tok/s (e2e)", f"{_f(c['decode_tok_s'])} ({_f(c['e2e_tok_s'])})"))
    agg = r.get("aggregate", {})
    if agg:
        out.append(("aggregate mode", agg.get("mode", "?")))
    for c in agg.get("cases", []):
        out.append((f"aggregate {c['name']} tok/s decode (e2e)",
                    f"{_f(c['agg_decode_tok_s'])} ({_f(c['agg_tok_s'])})"))
    loop = r.get("loop")
    if loop:
        for s in loop["steps"]:
            out.append((f"loop step {s['step']} ({s['prompt_tokens']} tok) ttft / total s",
                        f"{_f(s['ttft_s'], 2)} / {_f(s['total_s'], 2)}"))
        out.append(("loop sum of totals s", _f(loop["total_s_sum"])))
    if r.get("errors"):
        out.append(("errors", str(len(r["errors"]))))
    return out


def main() -> None:
    results = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    if not results:
        raise SystemExit(__doc__)
    tables = [dict(rows(r)) for r in results]
    keys: list[str] = []
    for t in tables:
        keys += [k for k in t if k not in keys]
    names = [f"{r.get('engine')} ({Path(p).name})" for r, p in zip(results, sys.argv[1:])]
    width = max(len(k) for k in keys)
    print(" " * width + "".join(f"  {n:>24}" for n in names))
    for k in keys:
        print(f"{k:<{width}}" + "".join(f"  {t.get(k, ''):>24}" for t in tables))


if __name__ == "__main__":
    main()
