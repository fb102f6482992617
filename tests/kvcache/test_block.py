import io

import numpy as np
import pytest

from loopcache.kvcache.block import CorruptBlockError, decode, decode_buffer, encode_prefix, encoded_size
from tests.kvcache.blocks import block_for


def _encoded(i: int = 1) -> bytes:
    block = block_for(i)
    return encode_prefix(block) + block.payload.tobytes()


def test_round_trip_is_exact_and_payload_aligned() -> None:
    block = block_for(3)
    data = _encoded(3)
    assert len(data) == encoded_size(block)
    assert len(encode_prefix(block)) % 64 == 0  # payload starts on a 64-byte boundary
    back = decode(io.BytesIO(data), len(data))
    assert back.key == block.key and back.parent == block.parent
    assert back.token_ids == block.token_ids and back.shape == block.shape and back.dtype == block.dtype
    assert np.array_equal(back.payload, block.payload)


@pytest.mark.parametrize("where", [0, 14, 40, -1, -500])
def test_any_flipped_byte_is_detected(where: int) -> None:
    data = bytearray(_encoded())
    data[where] ^= 0x01
    with pytest.raises(CorruptBlockError):
        decode(io.BytesIO(bytes(data)), len(data))


@pytest.mark.parametrize("cut", [0, 10, 100, 1])
def test_truncation_is_detected(cut: int) -> None:
    data = _encoded()[: -cut or None] if cut else b""
    with pytest.raises(CorruptBlockError):
        decode(io.BytesIO(data), len(data))


def test_decode_buffer_reads_in_place_and_checks_the_same() -> None:
    data = _encoded(5)
    back = decode_buffer(memoryview(data))
    same = decode(io.BytesIO(data), len(data))
    assert back.key == same.key and back.token_ids == same.token_ids and np.array_equal(back.payload, same.payload)
    assert np.shares_memory(back.payload, np.frombuffer(data, np.uint8)) and not back.payload.flags.writeable
    for where in (0, 14, 40, -1):
        bad = bytearray(data)
        bad[where] ^= 0x01
        with pytest.raises(CorruptBlockError):
            decode_buffer(memoryview(bytes(bad)))
    with pytest.raises(CorruptBlockError):
        decode_buffer(memoryview(data[:-10]))
