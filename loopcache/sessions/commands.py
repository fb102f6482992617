"""`loopcache sessions ls|show|rm`: the session registry from the command line (every namespace: this is
the operator's view; the HTTP API shows a tenant only its own)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer

from loopcache.cli_options import HomeOpt, RedisKeyspaceOpt, RedisUrlOpt, disk_tier

NamespaceOpt = Annotated[Optional[str], typer.Option("--namespace", "-n", help="only this tenant's sessions")]


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _registry(cache_dir: Path | None):  # noqa: ANN202 - SessionRegistry, imported lazily
    from loopcache.kvcache.tier_config import default_home
    from loopcache.sessions.registry import REGISTRY_NAME, RegistryError, SessionRegistry

    root = (cache_dir or default_home()).expanduser()
    if not (root / REGISTRY_NAME).exists():
        typer.echo(f"no sessions recorded under {root}")
        raise typer.Exit(0)
    try:
        return SessionRegistry(root)
    except RegistryError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _registries(cache_dir: Path | None, redis_url: str | None, keyspace: str) -> list:  # noqa: ANN202 - Registry
    """The SQLite registry of `cache_dir`, or with `redis_url` the shared one of every model in `keyspace`."""
    if redis_url is None:
        return [_registry(cache_dir)]
    from loopcache.kvcache.redis_client import RedisTarget, RedisUnavailableError, connect
    from loopcache.kvcache.redis_keys import RedisKeys
    from loopcache.kvcache.redis_store import DEFAULT_REDIS_TTL_S
    from loopcache.sessions.redis_registry import RedisSessionRegistry, session_models

    try:
        target = RedisTarget(redis_url)
        client = connect(target)
        models = session_models(client, keyspace)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--redis-url") from exc
    except RedisUnavailableError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not models:
        typer.echo(f"no sessions recorded in {target.safe_url} (keyspace {keyspace})")
        raise typer.Exit(0)
    return [RedisSessionRegistry(client, RedisKeys(keyspace, m), DEFAULT_REDIS_TTL_S, label=target.safe_url)
            for m in models]


def _find(registries: list, session_id: str, namespace: str | None):  # noqa: ANN202
    matches = [(r, s) for r in registries for s in r.list_sessions(namespace) if s.session_id == session_id]
    if not matches:
        typer.echo(f"error: no session {session_id!r}", err=True)
        raise typer.Exit(1)
    if len(matches) > 1:
        names = ", ".join(s.namespace for _, s in matches)
        typer.echo(f"error: session {session_id!r} exists in several namespaces ({names}); pass --namespace", err=True)
        raise typer.Exit(1)
    return matches[0]


def register(app: typer.Typer) -> None:
    sessions = typer.Typer(no_args_is_help=True, help="Agent sessions: their steps, hit rates and retention.")
    app.add_typer(sessions, name="sessions")

    @sessions.command("ls")
    def sessions_ls(cache_dir: HomeOpt = None, namespace: NamespaceOpt = None, redis_url: RedisUrlOpt = None,
                    redis_keyspace: RedisKeyspaceOpt = "loopcache") -> None:
        """Every session, most recent first (with --redis-url: the registry the servers share)."""
        registries = _registries(cache_dir, redis_url, redis_keyspace)
        rows = sorted((s for r in registries for s in r.list_sessions(namespace)), key=lambda s: -s.last_activity)
        typer.echo(f"{'namespace':<16} {'session':<32} {'steps':>5} {'last activity (UTC)':<19}  policy")
        for s in rows:
            flags = [f for f, on in (("ended", s.policy.ended), ("pinned", s.policy.pinned_until > 0)) if on]
            typer.echo(f"{s.namespace:<16} {s.session_id:<32} {s.steps:>5} {_stamp(s.last_activity):<19}  "
                       f"{', '.join(flags) or '-'}")
        for registry in registries:
            registry.close()

    @sessions.command("show")
    def sessions_show(session_id: str, cache_dir: HomeOpt = None, namespace: NamespaceOpt = None,
                      redis_url: RedisUrlOpt = None, redis_keyspace: RedisKeyspaceOpt = "loopcache") -> None:
        """One session's steps: prompt, cached (by tier), computed and fresh tokens, TTFT, gap."""
        registries = _registries(cache_dir, redis_url, redis_keyspace)
        registry, info = _find(registries, session_id, namespace)
        typer.echo(f"session {info.session_id} ({info.namespace}), {info.steps} steps, created {_stamp(info.created)}"
                   f", policy {info.policy.to_dict()}")
        typer.echo(f"{'step':>4} {'prompt':>7} {'cached':>7} {'computed':>8} {'fresh':>6} {'hit':>6} {'TTFT s':>7} "
                   f"{'gap s':>8}  from")
        for r in registry.steps(info.namespace, info.session_id):
            gap = f"{r.gap_s:.1f}" if r.gap_s is not None else "-"
            tiers = ", ".join(f"{t} {n}" for t, n in r.cached_tokens_by_tier.items()) or "-"
            typer.echo(f"{r.step:>4} {r.prompt_tokens:>7} {r.cached_tokens:>7} {r.computed_tokens:>8} "
                       f"{r.fresh_tokens:>6} {r.hit_rate:>6.1%} {r.ttft_s:>7.3f} {gap:>8}  {tiers}")
        for opened in registries:
            opened.close()

    @sessions.command("rm")
    def sessions_rm(session_id: str, cache_dir: HomeOpt = None, namespace: NamespaceOpt = None) -> None:
        """Forget a session and delete from the disk tier the blocks no other session holds. (A running server
        forgets it at its next restart; `DELETE /v1/sessions/{id}` also clears its memory tier, and is the way
        to remove a session from a registry shared through Redis.)"""
        from loopcache.kvcache.block_hash import BlockHash

        registry = _registry(cache_dir)
        info = _find([registry], session_id, namespace)[1]
        mine = set(registry.block_keys(info.namespace, info.session_id))
        others = {k for ns, sid, k in registry.all_block_keys() if (ns, sid) != (info.namespace, info.session_id)}
        registry.delete(info.namespace, info.session_id)
        registry.close()
        with disk_tier(cache_dir) as disk:
            removed = sum(disk.delete(BlockHash.from_hex(k)) for k in mine - others)
        typer.echo(f"removed session {info.session_id} ({info.namespace}) and {removed} blocks only it held")
