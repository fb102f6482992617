"""A separate process using the cache (run by test_sqlite_store.py): `python cache_worker.py DB MODE N TAG`.

Prints one JSON line: how many times the tool ran and the stats.
"""

from __future__ import annotations

import json
import sys

from loopcache.toolcache.cache import ToolCache

SCHEMA = {"type": "object", "properties": {"i": {"type": "integer"}}}


def main() -> None:
    db, mode, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    runs = []
    with ToolCache(db, session="shared") as cache:
        # the store under two processes is what is tested: no semantic stage (its model takes seconds to load)
        cache.register_tool("square", SCHEMA, read_only=True, semantic=False)
        for i in range(count):
            value = i if mode == "shared" else f"{tag}-{i}"
            result = cache.call("square", {"i": value}, lambda i: runs.append(i) or {"sq": str(i) * 2})
            assert result == {"sq": str(value) * 2}, result
        report = cache.check_integrity()
        stats = cache.stats()
    print(json.dumps({"runs": len(runs), "hits": stats.hits, "ok": report.ok, "entries": report.entries}))


if __name__ == "__main__":
    main()
