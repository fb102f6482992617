"""ToolCache pipeline: exact and semantic hits, verify, TTL, invalidation, side-effect refusal, errors,
registration from OpenAI / MCP definitions, schema changes, the decorator on sync and async functions."""

from __future__ import annotations

import asyncio
import sys

import pytest

from loopcache.toolcache.cache import CachedToolError, Stage, ToolCache
from loopcache.toolcache.spec import Invalidation, Scope

SEARCH = {"type": "object", "properties": {"query": {"type": "string"}, "n": {"type": "integer", "default": 10}},
          "required": ["query"]}
READ = {"type": "object", "properties": {"path": {"type": "string", "format": "path"}}}
WRITE = {"type": "object", "properties": {"path": {"type": "string", "format": "path"}, "content": {"type": "string"}}}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Tool:
    """A fake tool that counts its runs and returns something derived from its arguments."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, **args: object) -> dict:
        self.runs += 1
        return {"args": args, "run": self.runs}


@pytest.fixture()
def cache() -> ToolCache:
    with ToolCache(":memory:") as tool_cache:
        yield tool_cache
        assert tool_cache.check_integrity().ok


def test_exact_hit_after_canonicalisation(cache: ToolCache) -> None:
    cache.register_tool("search", SEARCH, read_only=True)
    tool = Tool()
    first = cache.call("search", {"query": "  rust  async "}, tool)
    assert cache.call("search", {"n": 10.0, "query": "rust async"}, tool) == first
    assert tool.runs == 1
    assert cache.lookup("search", {"query": "rust async"}).stage is Stage.EXACT
    cache.call("search", {"query": "rust async", "n": 3}, tool)
    assert tool.runs == 2
    stats = cache.stats()
    assert (stats.exact_hits, stats.misses, stats.saved_calls) == (2, 2, 2)
    assert stats.saved_seconds >= 0


def test_not_read_only_and_unregistered_tools_are_never_cached(cache: ToolCache) -> None:
    cache.register_tool("send_email", {"type": "object"}, read_only=False)
    tool = Tool()
    for _ in range(3):
        cache.call("send_email", {"to": "a@b.c"}, tool)
        cache.call("unknown_tool", {"x": 1}, tool)
    assert tool.runs == 6
    assert cache.lookup("send_email", {"to": "a@b.c"}).stage is Stage.BYPASS
    assert cache.stats().hits == 0 and cache.stats().bypassed == 6


def test_ttl_expiry() -> None:
    clock = Clock()
    with ToolCache(":memory:", clock=clock) as cache:
        cache.register_tool("search", SEARCH, read_only=True, ttl=60)
        tool = Tool()
        cache.call("search", {"query": "x"}, tool)
        clock.now += 59
        cache.call("search", {"query": "x"}, tool)
        assert tool.runs == 1
        clock.now += 2
        cache.call("search", {"query": "x"}, tool)
        assert tool.runs == 2
        assert cache.store.purge_expired(clock.now + 1000) == 1


def test_write_invalidates_matching_reads_only(cache: ToolCache) -> None:
    cache.register_tool("read_file", READ, read_only=True)
    cache.register_tool("write_file", WRITE, invalidates=[Invalidation("read_file", ("path",))])
    reader, writer = Tool(), Tool()
    cache.call("read_file", {"path": "src/a.py"}, reader)
    cache.call("read_file", {"path": "src/b.py"}, reader)
    cache.call("write_file", {"path": "./src/a.py", "content": "new"}, writer)
    cache.call("read_file", {"path": "src/a.py"}, reader)  # dropped -> runs again
    cache.call("read_file", {"path": "src/b.py"}, reader)  # untouched -> hit
    assert reader.runs == 3 and writer.runs == 1
    assert cache.stats().invalidated == 1


def test_side_effect_without_rules_drops_everything_and_invalidate_api(cache: ToolCache) -> None:
    cache.register_tool("read_file", READ, read_only=True)
    cache.register_tool("deploy", {"type": "object"})  # not read-only, default invalidation: everything
    reader = Tool()
    cache.call("read_file", {"path": "a"}, reader, session="s1")
    cache.call("read_file", {"path": "a"}, reader, session="s2")
    cache.call("deploy", {}, Tool(), session="s1")
    cache.call("read_file", {"path": "a"}, reader, session="s2")
    assert reader.runs == 3
    cache.call("read_file", {"path": "b"}, reader)
    assert cache.invalidate("read_file", {"path": "./b"}) == 1
    assert cache.invalidate("read_file", session="s2") == 1
    assert cache.invalidate() == 0


def test_scope_session_by_default_namespace_when_asked(cache: ToolCache) -> None:
    cache.register_tool("search", SEARCH, read_only=True)
    cache.register_tool("docs", SEARCH, read_only=True, scope=Scope.NAMESPACE)
    tool = Tool()
    for session in ("s1", "s2"):
        cache.call("search", {"query": "x"}, tool, session=session)
        cache.call("docs", {"query": "x"}, tool, session=session)
    assert tool.runs == 3  # search ran per session, docs once for the namespace


def test_errors_not_cached_unless_asked(cache: ToolCache) -> None:
    runs = []

    def failing(**_: object) -> None:
        runs.append(1)
        raise TimeoutError("upstream timed out")

    cache.register_tool("flaky", SEARCH, read_only=True)
    cache.register_tool("sticky", SEARCH, read_only=True, cache_errors=True)
    for _ in range(2):
        with pytest.raises(TimeoutError):
            cache.call("flaky", {"query": "x"}, failing)
    assert len(runs) == 2
    with pytest.raises(TimeoutError):
        cache.call("sticky", {"query": "x"}, failing)
    with pytest.raises(CachedToolError, match="upstream timed out"):
        cache.call("sticky", {"query": "x"}, failing)
    assert len(runs) == 3 and cache.stats().errors == 3


def test_schema_change_never_serves_old_results(cache: ToolCache) -> None:
    tool = Tool()
    cache.register_tool("search", SEARCH, read_only=True)
    cache.call("search", {"query": "x"}, tool)
    changed = {**SEARCH, "properties": {**SEARCH["properties"], "lang": {"type": "string", "default": "en"}}}
    cache.register_tool("search", changed, read_only=True)
    cache.call("search", {"query": "x"}, tool)
    assert tool.runs == 2


def test_register_from_openai_and_mcp_definitions(cache: ToolCache) -> None:
    openai = {"type": "function", "function": {"name": "search", "parameters": SEARCH}}
    assert not cache.register_tool(openai).read_only  # OpenAI has no read-only hint: explicit only
    assert cache.register_tool(openai, read_only=True).read_only
    mcp_tool = {"name": "git_log", "inputSchema": READ, "annotations": {"readOnlyHint": True}}
    spec = cache.register_tool(mcp_tool)
    assert spec.read_only and spec.parameters == READ
    assert not cache.register_tool({**mcp_tool, "annotations": {"readOnlyHint": False}}).read_only
    assert not cache.register_tool(mcp_tool, read_only=False).read_only  # explicit wins


def test_a_definitions_description_and_name_reach_canonicalisation(cache: ToolCache) -> None:
    """An MCP server's tool says its dialect in its name or description, not in the argument: still read."""
    sql = {"type": "object", "properties": {"sql": {"type": "string", "description": "SQL to run"}}}
    described = {"name": "query", "description": "Run read-only SQL on the PostgreSQL replica", "inputSchema": sql,
                 "annotations": {"readOnlyHint": True}}
    assert cache.register_tool(described).parameters["description"].endswith("PostgreSQL replica")
    cache.register_tool({**described, "name": "postgres_query", "description": ""})
    cache.register_tool({**described, "name": "sqlite_query", "description": ""})
    for name in ("query", "postgres_query", "sqlite_query"):
        tool = Tool()
        cache.call(name, {"sql": "SELECT Name FROM Users"}, tool)
        cache.call(name, {"sql": "select name from users"}, tool)
        assert tool.runs == (2 if name == "sqlite_query" else 1), name  # SQLite keeps column names as written
    own = {"type": "object", "description": "the schema's own", "properties": {}}
    assert cache.register_tool({**described, "inputSchema": own}).parameters["description"] == "the schema's own"


def test_unserialisable_result_returned_but_not_cached(cache: ToolCache) -> None:
    cache.register_tool("search", SEARCH, read_only=True)
    runs = []
    cache.call("search", {"query": "x"}, lambda **_: runs.append(1) or object())
    cache.call("search", {"query": "x"}, lambda **_: runs.append(1) or object())
    assert len(runs) == 2


def test_decorator_sync(cache: ToolCache) -> None:
    runs = []

    @cache.tool(read_only=True, ttl=60)
    def area(width: float, height: float = 1.0) -> float:
        runs.append((width, height))
        return width * height

    assert area(2) == area(2, 1) == area(width=2.0, height=1.0) == 2
    assert area(3) == 3
    assert runs == [(2, 1.0), (3, 1.0)]
    assert area.cache_spec.read_only and area.__name__ == "area"


def test_decorator_async_and_side_effects(cache: ToolCache) -> None:
    runs = []

    @cache.tool(read_only=True)
    async def fetch(url: str) -> str:
        runs.append(url)
        await asyncio.sleep(0)
        return url.upper()

    @cache.tool
    async def post(url: str) -> None:  # not read-only: always runs, invalidates
        runs.append("post")

    async def scenario() -> None:
        assert await fetch("https://x.org/a") == await fetch("https://x.org/a") == "HTTPS://X.ORG/A"
        await post("https://x.org/a")
        await post("https://x.org/a")
        await fetch("https://x.org/a")

    asyncio.run(scenario())
    assert runs == ["https://x.org/a", "post", "post", "https://x.org/a"]


def test_formats_declared_at_registration(cache: ToolCache) -> None:
    runs = []

    @cache.tool(read_only=True, formats={"where": "address"})
    def geocode(where: str) -> str:
        runs.append(where)
        return f"pin for {where}"

    assert geocode("14 Harbor Boulevard, Salem, Oregon") == geocode("14 harbor blvd salem, OR")
    assert geocode("14 Harbor Blvd, Salem, ME") != geocode("14 Harbor Blvd, Salem, OR")
    assert runs == ["14 Harbor Boulevard, Salem, Oregon", "14 Harbor Blvd, Salem, ME"]
    assert geocode.cache_spec.parameters["properties"]["where"]["format"] == "address"
    with pytest.raises(ValueError, match="unknown format 'adress'"):
        cache.register_tool("geo", {"type": "object"}, read_only=True, formats={"where": "adress"})


def test_import_does_not_load_torch() -> None:
    import subprocess

    code = ("import sys; import loopcache.toolcache.cache, loopcache.toolcache.mcp_proxy, "
            "loopcache.toolcache.commands; assert 'torch' not in sys.modules "
            "and 'sentence_transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_package_exports_load_lazily_without_torch() -> None:
    import subprocess

    code = ("import sys; import loopcache.toolcache as t; "
            "assert 'loopcache.toolcache.cache' not in sys.modules, 'importing the package did work'; "
            "from loopcache.toolcache import ToolCache, Stage, Invalidation; "
            "assert ToolCache.__module__ == 'loopcache.toolcache.cache' and Stage.EXACT.value == 'exact'; "
            "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules, 'torch loaded'; "
            "assert 'ToolCache' in dir(t) and 'mcp' not in sys.modules\n"
            "try:\n    from loopcache.toolcache import NoSuchName\nexcept ImportError:\n    pass\n"
            "else:\n    raise AssertionError('unknown name imported')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- semantic stage with the real MiniLM model --------------------------------------------------------


def test_semantic_hit_then_verify_rejects_near_misses(embedder) -> None:
    with ToolCache(":memory:", embedder=embedder) as cache:
        cache.register_tool("search", SEARCH, read_only=True, semantic=True)
        cache.register_tool("order", {"type": "object", "properties": {"id": {"type": "string"}}},
                            read_only=True, semantic=True)
        tool = Tool()
        cache.call("search", {"query": "how to install redis on debian"}, tool)
        hit = cache.lookup("search", {"query": "Install Redis Debian"})
        assert hit.stage is Stage.SEMANTIC and hit.similarity >= 0.9
        miss = cache.lookup("search", {"query": "how to install redis on ubuntu"})
        assert miss.stage is Stage.MISS and "verify rejected" in miss.reason
        cache.call("order", {"id": "#W2378156"}, tool)
        assert cache.lookup("order", {"id": "W2378156"}).stage is Stage.SEMANTIC
        assert cache.lookup("order", {"id": "#W2378157"}).stage is Stage.MISS
        assert cache.stats().rejected_by_verify == 2


def test_semantic_threshold_direction_higher_is_stricter(embedder) -> None:
    with ToolCache(":memory:", embedder=embedder) as cache:
        cache.register_tool("search", SEARCH, read_only=True, semantic=True, threshold=0.5)
        cache.call("search", {"query": "population of France"}, Tool())
        assert cache.lookup("search", {"query": "France population"}).is_hit
        cache.register_tool("search", SEARCH, read_only=True, semantic=True, threshold=0.9999)
        assert not cache.lookup("search", {"query": "France population"}).is_hit


@pytest.mark.parametrize(("semantic", "stage"), [("not told", Stage.MISS), (False, Stage.MISS),
                                                 (True, Stage.SEMANTIC), (None, Stage.SEMANTIC)])  # None: read-only
def test_semantic_stage_is_off_unless_turned_on(embedder, semantic, stage) -> None:
    told = {} if semantic == "not told" else {"semantic": semantic}
    with ToolCache(":memory:", embedder=embedder) as cache:
        cache.register_tool("search", SEARCH, read_only=True, threshold=0.5, **told)
        cache.call("search", {"query": "population of France"}, Tool())
        assert cache.lookup("search", {"query": "France population"}).stage is stage
        assert not cache.register_tool("send", SEARCH, semantic=None).semantic.enabled  # not read-only: never


def test_a_tool_with_inference_off_hits_only_on_declared_rules(cache: ToolCache) -> None:
    schema = {"type": "object", "properties": {
        "account_ids": {"type": "array", "items": {"type": "string"}, "description": "accounts, in any order"},
        "page": {"type": "integer", "default": 1}}}
    tool = Tool()
    cache.register_tool("inferred", schema, read_only=True)
    cache.register_tool("declared", schema, read_only=True, infer=False)
    for name in ("inferred", "declared"):
        cache.call(name, {"account_ids": ["b", "a"]}, tool)
        assert cache.lookup(name, {"account_ids": ["b", "a"], "page": 1}).stage is Stage.EXACT
    assert cache.lookup("inferred", {"account_ids": ["a", "b"]}).stage is Stage.EXACT  # "in any order": a set
    assert cache.lookup("declared", {"account_ids": ["a", "b"]}).stage is Stage.MISS
    assert cache.spec("declared").semantic.enabled is False
    assert cache.register_tool("auto", schema, read_only=True, semantic=None, infer=False).semantic.enabled is False
    with pytest.raises(ValueError, match="semantic stage needs the inferred rules"):
        cache.register_tool("both", schema, read_only=True, semantic=True, infer=False)
