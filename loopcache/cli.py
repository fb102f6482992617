"""The `loopcache` command line: a thin adapter over the Python API (parse, validate, render)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from loopcache.cli_options import (
    BlockOpt, DeviceOpt, DtypeOpt, HomeOpt, ModelOpt, RedisKeyspaceOpt, RedisUrlOpt, ThreadsOpt, disk_tier,
    run_config,
)


def _redis_reports(url: str, keyspace: str, deep: bool) -> list:  # noqa: ANN202 - IntegrityReport, lazily
    """check_integrity of the Redis tier, one report per model fingerprint stored under `keyspace`; a bad
    URL is a usage error, an unreachable Redis a clear error (exit 2)."""
    from loopcache.kvcache.redis_client import RedisTarget, RedisUnavailableError, connect
    from loopcache.kvcache.redis_keys import RedisKeys
    from loopcache.kvcache.redis_server_info import stored_fingerprints
    from loopcache.kvcache.redis_store import RedisStore

    try:
        target = RedisTarget(url)
        RedisKeys(keyspace)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        client = connect(target)
    except RedisUnavailableError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        return [RedisStore(client, RedisKeys(keyspace, fp), name=f"redis[{fp[:12]}]",
                           label=f"redis tier at {target.safe_url}").check_integrity(deep)
                for fp in sorted(stored_fingerprints(client, keyspace))]
    finally:
        client.close()


def _maintenance_error(exc: Exception) -> typer.Exit:
    """Print a failed maintenance call (index busy past the bound, directory gone) and exit 1."""
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _tool_cache_report(home: Path | None) -> tuple[str, tuple[str, ...]] | None:
    """(summary, problems) of the tool cache's database under `home`, or None if there is none."""
    from loopcache.toolcache.cache import ToolCache, default_cache_path

    path = (home.expanduser() / "toolcache.sqlite3") if home else default_cache_path()
    if not path.exists():
        return None
    with ToolCache(path) as tools:
        report = tools.check_integrity()
        recovered = getattr(tools.store, "recovered_from", None)
    problems = report.problems
    if recovered is not None:
        problems = (f"database was unreadable; moved to {recovered}, an empty one replaces it", *problems)
    return f"toolcache: {report.entries} checked, {len(problems)} problems ({path})", problems


def _register_engine_commands(app: typer.Typer) -> None:
    @app.command()
    def demo(
        model: ModelOpt = "default",
        device: DeviceOpt = "cpu",
        dtype: DtypeOpt = "bfloat16",
        cache_dir: HomeOpt = None,
        block_size: BlockOpt = 256,
        threads: ThreadsOpt = 0,
        steps: Annotated[Optional[int], typer.Option(help="number of steps (default: as many as fit)")] = None,
        json_path: Annotated[Optional[Path], typer.Option("--json", help="write the per-step figures here")] = None,
    ) -> None:
        """Run an agent loop on the default model, then resume it from disk in a fresh process."""
        from rich.console import Console

        from dataclasses import replace

        from loopcache.model.loader import ModelNotFoundError
        from loopcache.workload.demo import DEMO_SHAPE, run_demo

        try:
            run_demo(run_config(model, device, dtype, cache_dir, block_size, threads=threads),
                     replace(DEMO_SHAPE, max_steps=steps), Console(), json_path)
        except ModelNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc

    cache = typer.Typer(no_args_is_help=True, help="Inspect and maintain the persistent KV cache.")
    app.add_typer(cache, name="cache")

    @cache.command("stats")
    def cache_stats(cache_dir: HomeOpt = None) -> None:
        """Entries and bytes per tier."""
        with disk_tier(cache_dir) as disk:
            s = disk.stats()
            typer.echo(f"{s.name}: {s.num_entries} blocks, {s.bytes_used / 2**20:.1f} MiB of "
                       f"{s.capacity_bytes / 2**30:.1f} GiB ({disk.root})")

    @cache.command("verify")
    def cache_verify(
        cache_dir: HomeOpt = None,
        deep: Annotated[bool, typer.Option("--deep/--shallow", help="also verify every block's checksum "
                                           "(default), or only index vs. files")] = True,
        redis_url: RedisUrlOpt = None,
        redis_keyspace: RedisKeyspaceOpt = "loopcache",
    ) -> None:
        """Check every tier's integrity (and the tool cache's); invalid entries are dropped. Safe while
        servers use the cache. Exit 1 if anything was wrong."""
        from loopcache.kvcache.disk_errors import DiskStoreError

        redis_reports = _redis_reports(redis_url, redis_keyspace, deep) if redis_url else []

        with disk_tier(cache_dir) as disk:
            try:
                report = disk.check_integrity(deep=deep)
            except DiskStoreError as exc:
                raise _maintenance_error(exc) from exc
            rebuilt = disk.rebuilt
        lines, problems = [], list(report.problems)
        if rebuilt is not None:
            problems.insert(0, f"index was damaged ({rebuilt.cause}); rebuilt from the block files, "
                               f"{rebuilt.num_dropped} unreadable block files dropped")
        lines.append(f"{report.name}: {report.num_checked} checked, {len(problems)} problems, "
                     f"{report.num_fixed} dropped")
        for r in redis_reports:
            lines.append(f"{r.name}: {r.num_checked} checked, {len(r.problems)} problems, {r.num_fixed} dropped")
            problems += [f"{r.name}: {p}" for p in r.problems]
        tools = _tool_cache_report(cache_dir)
        if tools is not None:
            lines.append(tools[0])
            problems += [f"toolcache: {p}" for p in tools[1]]
        for problem in problems:
            typer.echo(f"  {problem}")
        for line in lines:
            typer.echo(line)
        raise typer.Exit(1 if problems else 0)

    @cache.command("gc")
    def cache_gc(cache_dir: HomeOpt = None) -> None:
        """Remove expired entries, abandoned writes and orphan files. Safe while servers use the cache."""
        from loopcache.kvcache.disk_errors import DiskStoreError

        with disk_tier(cache_dir) as disk:
            try:
                removed = disk.gc()
            except DiskStoreError as exc:
                raise _maintenance_error(exc) from exc
            errors = disk.stats().errors
        typer.echo(f"removed {removed} items" + (f", {errors} could not be removed (see the log)" if errors else ""))
        raise typer.Exit(1 if errors else 0)

    @cache.command("clear")
    def cache_clear(
        cache_dir: HomeOpt = None, yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False
    ) -> None:
        """Delete every cached block. Safe while servers use the cache (their writes in flight are dropped)."""
        from loopcache.kvcache.disk_errors import DiskStoreError

        with disk_tier(cache_dir) as disk:
            if not yes:
                typer.confirm(f"delete all {disk.stats().num_entries} blocks in {disk.root}?", abort=True)
            try:
                disk.clear()
            except DiskStoreError as exc:
                raise _maintenance_error(exc) from exc
            errors = disk.stats().errors
        if errors:
            typer.echo(f"error: {errors} block files could not be removed (see the log)", err=True)
            raise typer.Exit(1)
        typer.echo("cleared")

    bench = typer.Typer(no_args_is_help=True, help="Benchmarks (print a table, write JSON).")
    app.add_typer(bench, name="bench")

    @bench.command("agent-loop")
    def bench_agent_loop(
        model: ModelOpt = "default",
        device: DeviceOpt = "cpu",
        dtype: DtypeOpt = "bfloat16",
        cache_dir: HomeOpt = None,
        block_size: BlockOpt = 256,
        threads: ThreadsOpt = 0,
        steps: Annotated[Optional[int], typer.Option(help="number of steps (default: as many as fit)")] = None,
        json_path: Annotated[Path, typer.Option("--json")] = Path("bench/results/agent_loop.json"),
    ) -> None:
        """The agent loop in three modes (nocache, warm, restart) plus disk load vs raw read throughput."""
        from rich.console import Console

        from loopcache.workload.agent_loop import LoopShape
        from loopcache.workload.bench import run_agent_loop_bench

        run_agent_loop_bench(run_config(model, device, dtype, cache_dir, block_size, threads=threads),
                             LoopShape(max_steps=steps), Console(), json_path)


def build_app() -> typer.Typer:
    """The CLI application. Each feature package registers its own commands; imports stay lazy."""
    app = typer.Typer(no_args_is_help=True, add_completion=False, help="loopcache: a caching layer for LLM agents.")
    _register_engine_commands(app)
    from loopcache.toolcache.commands import register as register_toolcache
    register_toolcache(app)
    from loopcache.audit.commands import register as register_audit
    register_audit(app)
    from loopcache.server.commands import register as register_server
    register_server(app)
    from loopcache.sessions.commands import register as register_sessions
    register_sessions(app)
    return app


def main() -> None:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no per-file loading bars in our output
    build_app()()
