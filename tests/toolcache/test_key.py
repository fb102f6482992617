"""Keys: stable across processes, and they change with tool, schema, scope and arguments."""

from __future__ import annotations

import subprocess
import sys

import pytest

from loopcache.toolcache.key import ToolKey, make_key, schema_fingerprint


def test_key_changes_with_each_part() -> None:
    base = make_key("t", "fp", "session:a", {"x": 1})
    assert make_key("t", "fp", "session:a", {"x": 1}) == base
    for other in (make_key("u", "fp", "session:a", {"x": 1}), make_key("t", "fp2", "session:a", {"x": 1}),
                  make_key("t", "fp", "session:b", {"x": 1}), make_key("t", "fp", "session:a", {"x": 2})):
        assert other != base


def test_schema_fingerprint_ignores_spelling_but_not_meaning() -> None:
    a = {"type": "object", "properties": {"n": {"type": "integer", "default": 10}}}
    b = {"properties": {"n": {"default": 10.0, "type": "integer"}}, "type": "object"}
    assert schema_fingerprint(a) == schema_fingerprint(b)
    assert schema_fingerprint(a) != schema_fingerprint({**a, "required": ["n"]})


def test_key_is_identical_in_another_process() -> None:
    code = "from loopcache.toolcache.key import make_key; print(make_key('t', 'fp', 's', {'b': [1, 'é'], 'a': 1}).hex)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == make_key("t", "fp", "s", {"a": 1, "b": [1, "é"]}).hex


def test_tool_key_validates() -> None:
    with pytest.raises(ValueError):
        ToolKey("not-hex")
