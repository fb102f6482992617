"""One of several processes hammering one cache directory (run by test_contention.py):

    python -m tests.faults.contention_worker ROOT WORKER NUM_OPS CAPACITY SEED LEDGER

Mixed operations on its own keys (namespace w<WORKER>) and reads of everyone's: put 50 %, get 35 %, delete
8 %, gc or a shallow integrity check 7 %. The ledger records `P i` before a put, `A i` once it returned True,
`D i` before a delete, flushed as it goes, so the parent can tell every entry that must still be there.
Prints one JSON line of counts; every served block is compared byte for byte with what was written.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from loopcache.kvcache.disk import DiskStore
from tests.kvcache.blocks import block_for

NUM_WORKERS = 4
BLOCK_BYTES = 1024


def block(worker: int, i: int):  # noqa: ANN201 - KVBlock
    return block_for(i, nbytes=BLOCK_BYTES, namespace=f"w{worker}")


def main() -> None:
    root, worker, num_ops, capacity, seed, ledger_path = sys.argv[1:7]
    me, rng = int(worker), random.Random(int(seed))
    counts = {"ops": 0, "put_failures": 0, "hits": 0, "bad_reads": 0, "integrity_problems": 0}
    acked: list[int] = []
    next_i = 0
    with DiskStore(Path(root), capacity_bytes=int(capacity)) as store, open(ledger_path, "a") as ledger:
        for _ in range(int(num_ops)):
            r = rng.random()
            if r < 0.50:
                ledger.write(f"P {next_i}\n")
                ledger.flush()
                if store.put(block(me, next_i)):
                    ledger.write(f"A {next_i}\n")
                    ledger.flush()
                    acked.append(next_i)
                else:
                    counts["put_failures"] += 1
                next_i += 1
            elif r < 0.85:
                want = block(rng.randrange(NUM_WORKERS), rng.randrange(next_i + 1))
                got = store.get(want.key)
                counts["hits"] += got is not None
                counts["bad_reads"] += got is not None and got.payload.tobytes() != want.payload.tobytes()
            elif r < 0.93:
                if acked:
                    i = acked.pop(rng.randrange(len(acked)))
                    ledger.write(f"D {i}\n")
                    ledger.flush()
                    store.delete(block(me, i).key)
            elif r < 0.965:
                store.gc()
            else:
                counts["integrity_problems"] += len(store.check_integrity().problems)
            counts["ops"] += 1
        stats = store.stats()
    counts.update(errors=stats.errors, write_failures=stats.write_failures, evictions=stats.evictions,
                  corrupt_dropped=stats.corrupt_dropped)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
