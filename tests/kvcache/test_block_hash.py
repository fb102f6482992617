import subprocess
import sys

import pytest

from loopcache.kvcache.block_hash import ROOT, BlockHash, block_hash, chain_hashes, tail_key


def test_chain_commits_to_every_input() -> None:
    tokens = list(range(1000))
    keys = chain_hashes(tokens, 256, "ns", "fp")
    assert len(keys) == 3  # the partial block gets no key
    assert keys[0] == block_hash(ROOT, "ns", "fp", tokens[:256])
    assert keys[1] == block_hash(keys[0], "ns", "fp", tokens[256:512])
    changed = tokens.copy()
    changed[0] = 7
    other = chain_hashes(changed, 256, "ns", "fp")
    assert all(a != b for a, b in zip(keys, other))  # a change propagates to every later block
    assert chain_hashes(tokens, 256, "ns2", "fp")[0] != keys[0]
    assert chain_hashes(tokens, 256, "ns", "fp2")[0] != keys[0]
    assert tail_key(keys[0], "ns", "fp", 5) not in keys
    assert tail_key(keys[0], "ns", "fp", 5) != tail_key(keys[1], "ns", "fp", 5)
    assert tail_key(keys[0], "ns", "fp", 5) != tail_key(keys[0], "ns", "fp", 6)
    assert tail_key(keys[0], "ns", "fp", 5, "session-a") not in (tail_key(keys[0], "ns", "fp", 5),
                                                                tail_key(keys[0], "ns", "fp", 5, "session-b"))


def test_tokens_are_not_ambiguous_across_fields() -> None:
    # Length-prefixed fields: moving bytes between namespace and fingerprint changes the key.
    assert block_hash(ROOT, "ab", "c", [1]) != block_hash(ROOT, "a", "bc", [1])
    assert block_hash(ROOT, "a", "b", [1, 2]) != block_hash(ROOT, "a", "b", [258])


def test_identical_in_another_process() -> None:
    code = (
        "from loopcache.kvcache.block_hash import chain_hashes;"
        "print(chain_hashes(list(range(600)), 256, 'ns', 'fp')[-1].hex)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == chain_hashes(list(range(600)), 256, "ns", "fp")[-1].hex
    # A pinned value: the canonical bytes are part of the storage format and must not drift silently
    # (bump HASH_FORMAT_VERSION when they change on purpose).
    assert block_hash(ROOT, "default", "fp", [1, 2, 3]).hex == (
        "591869cce15c9dd177d81c984854b6f4b80ef3cd2a49ea752f5a61ac9009ffb0"
    )


def test_block_hash_validates() -> None:
    with pytest.raises(ValueError):
        BlockHash(b"short")
    with pytest.raises(ValueError):
        chain_hashes([1, 2], 0, "ns", "fp")
    assert BlockHash.from_hex(ROOT.hex) == ROOT
