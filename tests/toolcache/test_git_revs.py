"""Git revisions: first-parent steps in one spelling, everything else as written."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonical_json, canonicalize_args
from loopcache.toolcache.git_revs import canonical_git_rev

DIFF = {"type": "object",
        "properties": {"target": {"type": "string", "description": "Branch, tag or commit to compare"}}}


@pytest.mark.parametrize(
    ("a", "b"),
    [("HEAD^", "HEAD~1"), ("HEAD~", "HEAD^1"), ("main^^", "main~2"), ("main~1~1", "main^~"),
     ("origin/main..feature^", "origin/main..feature~1"), ("v2.1.0~0", "v2.1.0"), ("HEAD^2^", "HEAD^2~1"),
     ("9FCEB02D0AE598E95DC970B74767F19372D61AF8^", "9fceb02d0ae598e95dc970b74767f19372d61af8~1")],
)
def test_first_parent_steps_are_one_spelling(a: str, b: str) -> None:
    assert canonical_git_rev(a) == canonical_git_rev(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("HEAD^2", "HEAD~2"), ("HEAD~1", "HEAD~2"), ("main..feature", "main...feature"), ("HEAD^0", "HEAD^"),
     ("HEAD~3^2", "HEAD~3~2"), ("main", "Main"), ("Release-Q4", "release-q4")],
)
def test_other_revisions_stay_apart(a: str, b: str) -> None:
    assert canonical_git_rev(a) != canonical_git_rev(b)


@pytest.mark.parametrize("value", ["HEAD^{commit}", "HEAD:src/a.py", "@{upstream}", "^1.2.3", "fix the bug", ""])
def test_what_it_does_not_read_is_kept(value: str) -> None:
    assert canonical_git_rev(value) == value


def test_a_field_described_as_a_commit_compares_its_revisions() -> None:
    def key(target: str) -> str:
        return canonical_json(canonicalize_args({"target": target}, DIFF))
    assert key("HEAD^") == key("HEAD~1")
    assert key("HEAD^2") != key("HEAD~2")
    message = {"type": "object", "properties": {"q": {"type": "string", "description": "commit message to search"}}}
    assert canonicalize_args({"q": "HEAD^"}, message) != canonicalize_args({"q": "HEAD~1"}, message)
