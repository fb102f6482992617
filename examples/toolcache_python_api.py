"""The tool cache from Python: a decorated read-only tool, a side-effecting one, and the stats.

    .venv/bin/python examples/toolcache_python_api.py               # exact + semantic + verify (opted in)
    .venv/bin/python examples/toolcache_python_api.py --exact-only  # exact stage only, the default (no torch)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from loopcache.toolcache import Invalidation, ToolCache


def main() -> None:
    semantic = "--exact-only" not in sys.argv  # the default is False: exact stage only
    path = Path(tempfile.mkdtemp()) / "toolcache.sqlite3"
    with ToolCache(path, session="demo") as cache:

        @cache.tool(name="web_search", read_only=True, ttl=3600, semantic=semantic)
        def web_search(query: str, num_results: int = 10) -> list[str]:
            time.sleep(0.2)  # the slow, paid call we want to avoid repeating
            return [f"result {i} for {query}" for i in range(num_results)]

        @cache.tool(name="read_file", read_only=True, semantic=semantic)
        def read_file(path: str) -> str:
            return Path(path).read_text()

        # the schema can't say `where` is an address; `period` is a period by its name (docs/toolcache.md)
        @cache.tool(name="geocode", read_only=True, semantic=semantic, formats={"where": "address"})
        def geocode(where: str) -> tuple[float, float]:
            return (37.42, -122.08)

        @cache.tool(name="revenue", read_only=True, semantic=semantic)
        def revenue(ticker: str, period: str) -> float:
            return 85.8

        @cache.tool(name="write_file", invalidates=[Invalidation("read_file", ("path",))])
        def write_file(path: str, content: str) -> None:
            Path(path).write_text(content)

        web_search("python asyncio tutorial")
        web_search("python asyncio tutorial", num_results=10)  # default made explicit: exact hit
        web_search("  python   asyncio tutorial ")  # whitespace: exact hit
        web_search("Python asyncio tutorial")  # case: a semantic hit (not with --exact-only)
        web_search("python threading tutorial")  # different topic: always a miss
        geocode("1600 Amphitheatre Parkway, Mountain View, California")
        geocode("1600 amphitheatre pkwy, mountain view, CA")  # address format: exact hit
        revenue("AAPL", "Q3 2024")
        revenue("AAPL", "third quarter of 2024")  # period format: exact hit

        note = str(path.with_name("note.txt"))
        write_file(note, "v1")
        assert read_file(note) == "v1"
        write_file(note, "v2")  # side effect: drops the cached read_file(note)
        assert read_file(note) == "v2"

        stats = cache.stats()
        print(f"exact hits {stats.exact_hits}, semantic hits {stats.semantic_hits}, misses {stats.misses}, "
              f"pass-through {stats.bypassed}, saved {stats.saved_calls} calls / {stats.saved_seconds:.2f} s")
        print(f"integrity: {cache.check_integrity()}")


if __name__ == "__main__":
    main()
