"""The MCP proxy end to end: a real MCP client session (mcp SDK, stdio) talks to `loopcache mcp-proxy`,
which runs (a) the small test server of this folder and (b) the real PyPI server `mcp-server-git`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from loopcache.toolcache.proxy_config import load_proxy_config, parse_proxy_config

mcp = pytest.importorskip("mcp", reason="the MCP proxy needs the mcp SDK")
from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402

TEST_SERVER = Path(__file__).with_name("mcp_test_server.py")
META_KEY = "io.loopcache/cache"


def proxy_params(cache_dir: Path, server: list[str], *options: str) -> StdioServerParameters:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    args = ["-c", "from loopcache.cli import main; main()", "mcp-proxy", "--cache-dir", str(cache_dir), *options,
            "--", *server]
    return StdioServerParameters(command=sys.executable, args=args, env=env)


def text(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def stage(result) -> str | None:
    meta = result.meta or {}
    return (meta.get(META_KEY) or {}).get("stage")


async def with_session(params: StdioServerParameters, scenario) -> None:
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await scenario(session)


def test_proxy_with_test_server(tmp_path: Path) -> None:
    params = proxy_params(tmp_path, [sys.executable, str(TEST_SERVER)], "--semantic", "--namespace", "t1")

    async def scenario(session: ClientSession) -> None:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert {"search", "add_note", "upstream_calls"} <= set(tools)

        first = await session.call_tool("search", {"query": "rust async runtime"})
        again = await session.call_tool("search", {"query": "  rust async runtime", "limit": 10})
        assert text(first) == text(again) and stage(again) == "exact"
        paraphrase = await session.call_tool("search", {"query": "Rust Async Runtime"})
        assert text(paraphrase) == text(first) and stage(paraphrase) == "semantic"
        other = await session.call_tool("search", {"query": "rust sync runtime"})
        assert stage(other) is None and text(other) != text(first)

        order = await session.call_tool("lookup_order", {"order_id": "#W2378156"})
        assert stage(await session.call_tool("lookup_order", {"order_id": "W2378156"})) == "semantic"
        near = await session.call_tool("lookup_order", {"order_id": "#W2378157"})
        assert stage(near) is None and "W2378157" in text(near) and text(near) != text(order)

        calls_before = (await session.call_tool("upstream_calls", {})).structured_content
        # a write tool always passes through, and drops the cache (default rule)
        for _ in range(2):
            note = await session.call_tool("add_note", {"text": "hello"})
            assert stage(note) is None
        fresh = await session.call_tool("search", {"query": "rust async runtime"})
        assert stage(fresh) is None and "notes=2" in text(fresh)
        calls_after = (await session.call_tool("upstream_calls", {})).structured_content
        assert calls_after["result"] == calls_before["result"] + 3
        # `upstream_calls` has no read-only hint, so it too dropped the cache: the next search runs again
        stored = await session.call_tool("search", {"query": "rust async runtime"})
        assert stage(stored) is None and "notes=2" in text(stored)

        # errors are passed through and not cached
        for _ in range(2):
            failed = await session.call_tool("broken", {"x": 1})
            assert failed.is_error and stage(failed) is None

        # resources and prompts are forwarded
        resource = await session.read_resource("notes://all")
        assert "hello" in resource.contents[0].text
        prompt = await session.get_prompt("summarise", {"topic": "rust"})
        assert "rust" in prompt.messages[0].content.text

    anyio.run(with_session, params, scenario)

    # a second proxy process on the same cache dir and namespace: persisted entries answer at once
    async def second(session: ClientSession) -> None:
        hit = await session.call_tool("search", {"query": "rust async runtime"})
        assert stage(hit) == "exact" and "notes=2" in text(hit)
        assert (await session.call_tool("upstream_calls", {})).structured_content["result"] == 0

    exact_only = proxy_params(tmp_path, [sys.executable, str(TEST_SERVER)], "--exact-only", "--namespace", "t1")
    anyio.run(with_session, exact_only, second)


def test_proxy_relays_notifications_progress_and_server_requests(tmp_path: Path) -> None:
    """Against the real test server process, through the real proxy process: progress of a forwarded call,
    tools/list_changed (and the proxy reading the new tool's annotations), a log message, and the
    server-to-client requests sampling, elicitation and roots, each answered by this client."""
    from mcp import types

    params = proxy_params(tmp_path, [sys.executable, str(TEST_SERVER)])
    notifications: list = []
    logs: list = []
    questions: list = []
    tools_changed = anyio.Event()

    async def on_message(message) -> None:
        notifications.append(message)
        if isinstance(message, types.ToolListChangedNotification):
            tools_changed.set()

    async def on_log(params) -> None:
        logs.append(params)

    async def sampling(context, params):
        questions.append(params.messages[0].content.text)
        return types.CreateMessageResult(role="assistant", model="test-model",
                                         content=types.TextContent(type="text", text="forty-two"))

    async def elicitation(context, params):
        return types.ElicitResult(action="accept", content={"confirmed": True, "note": "sure"})

    async def roots(context):
        return types.ListRootsResult(roots=[types.Root(uri="file:///work/project", name="project")])

    async def until(condition, seconds: float = 10) -> None:
        with anyio.fail_after(seconds):
            while not condition():
                await anyio.sleep(0.02)

    async def scenario() -> None:
        with anyio.fail_after(90):
            async with stdio_client(params) as (read, write), ClientSession(
                    read, write, sampling_callback=sampling, elicitation_callback=elicitation,
                    list_roots_callback=roots, message_handler=on_message, logging_callback=on_log) as session:
                await session.initialize()
                steps: list = []

                async def progress(done, total, message) -> None:
                    steps.append((done, total, message))

                counted = await session.call_tool("count_steps", {"n": 3}, progress_callback=progress)
                assert "counted to 3" in text(counted) and stage(counted) is None
                await until(lambda: len(steps) == 3)
                assert steps == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]

                assert "extra" not in {tool.name for tool in (await session.list_tools()).tools}
                assert "added extra" in text(await session.call_tool("add_tool", {"name": "extra"}))
                with anyio.fail_after(10):
                    await tools_changed.wait()
                assert "extra" in {tool.name for tool in (await session.list_tools()).tools}
                first = await session.call_tool("extra", {"x": "1"})
                again = await session.call_tool("extra", {"x": "1"})
                assert stage(first) is None and stage(again) == "exact" and text(again) == text(first)
                await until(lambda: any(log.data == "added extra" for log in logs))

                asked = await session.call_tool("ask_model", {"question": "meaning of life?"})
                assert "the model said 'forty-two'" in text(asked) and questions == ["meaning of life?"]
                confirmed = await session.call_tool("confirm", {"action": "deploy"})
                assert "accept confirmed=True note=sure" in text(confirmed)
                listed = await session.call_tool("client_roots", {})
                assert text(listed).endswith("file:///work/project")
        # each step arrived once, with this client's token: the relay did not also pass on the upstream's own
        assert sum(isinstance(n, types.ProgressNotification) for n in notifications) == 3

    anyio.run(scenario)


@pytest.mark.skipif(shutil.which("git") is None, reason="mcp-server-git needs the git executable")
def test_proxy_with_real_pypi_server_mcp_server_git(tmp_path: Path) -> None:
    executable = Path(sys.executable).with_name("mcp-server-git")
    if not executable.exists():
        pytest.skip("mcp-server-git is not installed (pip install -e '.[test]')")
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("one\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    params = proxy_params(tmp_path / "cache", [str(executable), "--repository", str(repo)])

    async def scenario(session: ClientSession) -> None:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert tools["git_log"].annotations.read_only_hint and not tools["git_commit"].annotations.read_only_hint
        log = await session.call_tool("git_log", {"repo_path": str(repo)})
        assert "first" in text(log) and stage(log) is None
        # the schema's defaults (max_count=10, start_timestamp=null) made explicit: the same call
        cached = await session.call_tool("git_log", {"start_timestamp": None, "repo_path": str(repo), "max_count": 10})
        assert stage(cached) == "exact" and text(cached) == text(log)
        status = await session.call_tool("git_status", {"repo_path": str(repo)})
        assert stage(await session.call_tool("git_status", {"repo_path": str(repo)})) == "exact"

        (repo / "b.txt").write_text("two\n")
        added = await session.call_tool("git_add", {"repo_path": str(repo), "files": ["b.txt"]})
        assert stage(added) is None
        committed = await session.call_tool("git_commit", {"repo_path": str(repo), "message": "second"})
        assert stage(committed) is None and not committed.is_error, text(committed)
        after = await session.call_tool("git_log", {"repo_path": str(repo)})
        assert stage(after) is None and "second" in text(after)  # the write dropped the stale log
        assert text(await session.call_tool("git_status", {"repo_path": str(repo)})) != "" and status

    anyio.run(with_session, params, scenario)


def test_config_aliases_reach_the_cache_through_the_proxy(tmp_path: Path) -> None:
    config = tmp_path / "proxy.toml"
    config.write_text('[tools.search.aliases]\nquery = { EPL = "English Premier League", "Man Utd" = '
                      '"Manchester United" }\n')
    params = proxy_params(tmp_path, [sys.executable, str(TEST_SERVER)], "--exact-only", "--config", str(config))

    async def scenario(session: ClientSession) -> None:
        first = await session.call_tool("search", {"query": "EPL table Man Utd"})
        again = await session.call_tool("search", {"query": "english premier league table manchester united"})
        assert stage(first) is None and stage(again) == "exact" and text(again) == text(first)
        other = await session.call_tool("search", {"query": "EPL table Man City"})
        assert stage(other) is None and text(other) != text(first)

    anyio.run(with_session, params, scenario)


def test_config_formats_override_the_server_schema() -> None:
    from mcp import types

    from loopcache.toolcache.canonical import canonicalize_args
    from loopcache.toolcache.mcp_proxy import _schema_with_overrides
    from loopcache.toolcache.proxy_config import ToolOverride

    tool = types.Tool(name="geocode", input_schema={"type": "object", "properties": {"q": {"type": "string"}}})
    schema = _schema_with_overrides(tool, ToolOverride(formats={"q": "address", "paper": "arxiv"}))
    assert schema["properties"]["q"] == {"type": "string", "format": "address"}
    assert tool.input_schema["properties"]["q"] == {"type": "string"}  # the server's schema is not modified
    assert canonicalize_args({"q": "1 Main Street", "paper": "arXiv:2405.16444"}, schema) == \
        canonicalize_args({"q": "1 main st", "paper": "2405.16444"}, schema)


def test_proxy_config_parsing(tmp_path: Path) -> None:
    path = tmp_path / "proxy.toml"
    path.write_text('semantic = true\nttl = 30\n[tools.git_log]\nread_only = false\nthreshold = 0.95\n'
                    '[tools.git_commit]\ninvalidates = [{ tool = "git_log" }]\n')
    config = load_proxy_config(path)
    assert config.semantic and config.ttl == 30
    assert config.override("git_log").read_only is False and config.override("git_log").threshold == 0.95
    assert config.override("git_commit").invalidates[0].tool == "git_log"
    assert parse_proxy_config({}).ttl == 300  # read-only results still expire by default
    assert parse_proxy_config({}).semantic is False  # not told: the exact stage only
    assert parse_proxy_config({"ttl": 0}).ttl is None
    example = load_proxy_config(Path(__file__).resolve().parents[2] / "examples" / "toolcache_proxy.toml")
    assert example.semantic and example.override("git_commit").invalidates[0].tool == "git_log"
    with pytest.raises(ValueError, match="unknown keys"):
        parse_proxy_config({"semantc": True})
    formats = parse_proxy_config({"tools": {"geocode": {"formats": {"address": "address"}}}})
    assert formats.override("geocode").formats == {"address": "address"}
    with pytest.raises(ValueError, match=r"tools.geocode.formats.address: unknown format 'adress'"):
        parse_proxy_config({"tools": {"geocode": {"formats": {"address": "adress"}}}})
    aliases = parse_proxy_config({"tools": {"results": {"aliases": {"league": {"EPL": "English Premier League"}}}}})
    assert aliases.override("results").aliases == {"league": {"EPL": "English Premier League"}}
    with pytest.raises(ValueError, match=r"tools.results.aliases.league must be a non-empty table"):
        parse_proxy_config({"tools": {"results": {"aliases": {"league": []}}}})
    declared = parse_proxy_config({"tools": {"odoo": {"infer": False}}})
    assert declared.override("odoo").infer is False and declared.override("other").infer is True
    with pytest.raises(ValueError, match=r"tools.odoo: semantic = true needs the inferred rules"):
        parse_proxy_config({"tools": {"odoo": {"infer": False, "semantic": True}}})
    with pytest.raises(ValueError, match="wrong type"):
        parse_proxy_config({"tools": {"odoo": {"infer": "no"}}})
    with pytest.raises(ValueError, match="wrong type"):
        parse_proxy_config({"ttl": "soon"})


def test_proxy_registers_a_tool_with_inference_off_without_its_semantic_stage() -> None:
    from loopcache.toolcache.cache import ToolCache
    from loopcache.toolcache.mcp_proxy import McpCachingProxy

    schema = {"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}}
    tools = [mcp.types.Tool(name=name, inputSchema=schema, annotations=mcp.types.ToolAnnotations(readOnlyHint=True))
             for name in ("search_read", "lookup")]
    config = parse_proxy_config({"semantic": True, "tools": {"search_read": {"infer": False}}})
    with ToolCache(":memory:") as cache:
        McpCachingProxy(None, cache, config, "s1")._register(tools)
        declared, inferred = cache.spec("search_read"), cache.spec("lookup")
        assert declared.parameters["x-loopcache-infer"] is False and not declared.semantic.enabled
        assert "x-loopcache-infer" not in inferred.parameters and inferred.semantic.enabled
