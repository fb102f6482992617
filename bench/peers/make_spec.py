"""Write a spec.json for the peer runners (for testing them; bench/engine_vs_peers.py writes its own).

    python bench/peers/make_spec.py --preset smoke --out /tmp/smoke.json   # 64-token prefill prompts, 4 out;
                        # decode and loop prompts of 160+ tokens, so vLLM's 128-token cache blocks are hit
    python bench/peers/make_spec.py --preset full --tokenizer MODEL_FOLDER/tokenizer.json --out /tmp/full.json

Throughput prompts are random token ids in [100, vocab_size) (ids below 100 hold the special tokens). The
prefill prompts are distinct from their first token on, so none hits another's prefix cache. Each decode
prompt is the first prefill prompt of its size: it is in the cache already, so the decode section's
priming run costs no second cold prefill. The aggregate prompts share all but their last AGG_TAIL tokens
(agents behind one system prompt): decoding costs the same as for distinct prompts of that length, and
filling the cache for 13 sequences of 2K costs one 2K prefill instead of 13, which matters for llama.cpp,
whose sequences run one after another. The agent loop is realistic
when --tokenizer is given: a system prompt with tool definitions and a task, then per step a fixed assistant
turn (a tool call) and the tool's result (a Python standard-library source file, cut to a token budget),
rendered in the model's ChatML markers and tokenised segment by segment, so step k's token list is exactly
step k-1's plus the new tokens. Without --tokenizer the loop is random ids with the same shape.
Runs with either venv (needs only the `tokenizers` package, and only for --tokenizer); no loopcache import.
"""

from __future__ import annotations

import argparse
import json
import random
import sysconfig
from pathlib import Path

SPEC_SCHEMA = "loopcache.peers.spec/1"
VOCAB = 49152
LOW = 100
AGG_TAIL = 64

PRESETS = {
    "smoke": dict(warmup=[48], prefill={"64": 64}, prefill_prompts=[2], decode={"160": 160}, decode_tokens=4,
                  decode_repeats=2, aggregate={"n1": 1, "n2": 2}, aggregate_len=64, aggregate_tokens=4,
                  aggregate_repeats=1, loop_steps=3, loop_tokens=4, loop_first=160, loop_new=32),
    # Sized for ~10 minutes of both peers on 2 cores: a cold 7K prefill alone takes llama.cpp minutes there.
    "full": dict(warmup=[256, 2048], prefill={"1k": 1024, "4k": 4096, "7k": 7168}, prefill_prompts=[3, 1, 1],
                 decode={"1k": 1024, "4k": 4096, "7k": 7168}, decode_tokens=64, decode_repeats=3,
                 aggregate={"n1": 1, "n4": 4, "n8": 8}, aggregate_len=2048, aggregate_tokens=64,
                 aggregate_repeats=1, loop_steps=8, loop_tokens=200, loop_first=1000, loop_new=680),
}

SYSTEM = """You are a coding agent working in a Python repository. You solve the user's task by calling tools,
one call per turn, and you answer with a short summary when the task is done. Think step by step, keep each
turn short, never invent file contents: read them. Tools are called with a JSON object on one line:
{"tool": NAME, "args": {...}}. The tools:
"""

TOOLS = [
    ("read_file", "Read a text file of the repository. args: path (string, relative to the repository root), "
     "start_line (int, optional), end_line (int, optional). Returns the lines with their numbers."),
    ("list_dir", "List a directory. args: path (string). Returns names, a trailing slash marks a directory."),
    ("grep", "Search files for a regular expression. args: pattern (string), path (string, optional), "
     "glob (string, optional). Returns path:line:text for each match, at most 200 matches."),
    ("run_tests", "Run the test suite or a part of it. args: target (string, optional: a file or node id). "
     "Returns the last 200 lines of pytest's output and its exit status."),
    ("edit_file", "Replace an exact string in a file. args: path, old (string, must occur once), new (string). "
     "Returns the diff."),
    ("write_file", "Create or overwrite a file. args: path, content. Returns the number of bytes written."),
    ("python", "Run a short Python snippet in a fresh interpreter with the repository on sys.path. args: code. "
     "Returns stdout and stderr, cut to 8,000 characters."),
]

TASK = ("The JSON and CSV helpers in our standard-library vendored copy behave differently from upstream on "
        "edge cases. Read the relevant modules, find where escaping, quoting and whitespace handling happen, "
        "and write down for each module which functions a caller would need to wrap. Do not change any file.")

FILES = ["json/decoder.py", "json/encoder.py", "csv.py", "shlex.py", "textwrap.py", "fnmatch.py", "glob.py",
         "string.py", "tokenize.py", "heapq.py", "bisect.py", "base64.py"]

THOUGHTS = [
    "I will start with the JSON decoder, where string scanning and escapes are handled.",
    "The decoder delegates escapes to scanstring; next the encoder, for the escaping on the way out.",
    "Now the csv module: quoting and the dialect options live there.",
    "shlex does its own quoting; reading it to compare with csv's rules.",
    "textwrap handles whitespace; checking how it expands tabs and drops spaces.",
    "fnmatch translates patterns to regular expressions; escaping matters there too.",
    "glob builds on fnmatch; checking how it treats hidden files and magic characters.",
    "string.Template has its own escaping with $$; reading it.",
    "tokenize reads source with its own string and whitespace rules.",
    "Last, heapq, to confirm nothing there depends on the modules above.",
    "bisect has no text handling; reading it to be complete.",
    "base64: the last module with escaping-like behaviour.",
]


def rand_ids(rng: random.Random, n: int) -> list[int]:
    return [rng.randrange(LOW, VOCAB) for _ in range(n)]


def realistic_loop(tokenizer_path: Path, steps: int, budget: int) -> list[list[int]]:
    """Token lists of each step's prompt; each is the previous one plus an assistant turn and a tool result."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))
    enc = lambda text: tok.encode(text, add_special_tokens=False).ids  # noqa: E731
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    tools = "\n".join(f"- {name}: {desc}" for name, desc in TOOLS)
    ids = enc(f"<|im_start|>system\n{SYSTEM}{tools}<|im_end|>\n<|im_start|>user\n{TASK}<|im_end|>\n")
    prompts = [list(ids)]
    for k in range(steps - 1):
        path = FILES[k % len(FILES)]
        call = json.dumps({"tool": "read_file", "args": {"path": f"vendor/stdlib/{path}"}})
        ids += enc(f"<|im_start|>assistant\n{THOUGHTS[k % len(THOUGHTS)]}\n{call}<|im_end|>\n")
        body = enc((stdlib / path).read_text())[:budget]
        ids += enc("<|im_start|>tool\n") + body + enc("\n<|im_end|>\n")
        prompts.append(list(ids))
    return prompts


def random_loop(rng: random.Random, steps: int, first: int, new: int) -> list[list[int]]:
    ids = rand_ids(rng, first)
    prompts = [list(ids)]
    for _ in range(steps - 1):
        ids += rand_ids(rng, new)
        prompts.append(list(ids))
    return prompts


def build(preset: str, seed: int, tokenizer: Path | None, **overrides: object) -> dict:
    """The spec of `preset`; `overrides` replace preset fields (e.g. loop_steps=9)."""
    p = {**PRESETS[preset], **overrides}
    rng = random.Random(seed)
    loop_steps = (realistic_loop(tokenizer, p["loop_steps"], p["loop_new"] - 80) if tokenizer
                  else random_loop(rng, p["loop_steps"], p["loop_first"], p["loop_new"]))
    counts = p["prefill_prompts"]
    prefill = [{"name": name, "prompts": [rand_ids(rng, n) for _ in range(counts[min(i, len(counts) - 1)])]}
               for i, (name, n) in enumerate(p["prefill"].items())]
    by_len = {len(c["prompts"][0]): c["prompts"][0] for c in prefill}
    agg_len = p["aggregate_len"]
    agg_shared = rand_ids(rng, max(agg_len - AGG_TAIL, 0))
    agg_prompt = lambda: agg_shared + rand_ids(rng, agg_len - len(agg_shared))  # noqa: E731
    return {
        "schema": SPEC_SCHEMA,
        "note": f"make_spec.py --preset {preset} --seed {seed}" + (" (realistic loop)" if tokenizer else ""),
        "vocab_size": VOCAB,
        "max_model_len": 8192,
        "warmup": [rand_ids(rng, n) for n in p["warmup"]],
        "warmup_max_tokens": 4,
        "prefill": {"cases": prefill},
        "decode": {"max_tokens": p["decode_tokens"], "repeats": p["decode_repeats"],
                   "cases": [{"name": name, "prompt": by_len.get(n) or rand_ids(rng, n)} for name, n in p["decode"].items()]},
        "aggregate": {"max_tokens": p["aggregate_tokens"], "repeats": p["aggregate_repeats"],
                      "cases": [{"name": name, "prompts": [agg_prompt() for _ in range(k)]}
                                for name, k in p["aggregate"].items()]},
        "loop": {"max_tokens": p["loop_tokens"], "steps": loop_steps},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="full")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tokenizer", type=Path, help="tokenizer.json of the model, for a realistic agent loop")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    spec = build(a.preset, a.seed, a.tokenizer)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(spec))
    loop = spec["loop"]["steps"]
    print(f"wrote {a.out}: loop {len(loop)} steps, {len(loop[0])} -> {len(loop[-1])} prompt tokens")


if __name__ == "__main__":
    main()
