"""ToolCache: answer equivalent read-only tool calls from cache.

    call(name, args, fn)
      -> spec registered and read-only?            no  -> run fn; apply its invalidations   (BYPASS)
      -> canonicalize_args -> make_key -> store.get  hit -> answer                         (EXACT)
      -> semantic (if enabled and args have free text): embed -> index.nearest(threshold)
             -> re-read candidate -> verify_call   first accepted -> answer                 (SEMANTIC)
      -> run fn(**args); store the result (errors only if cache_errors)                    (MISS)

Results are stored as JSON (tuples come back as lists; a result JSON cannot hold is returned but not
cached). Stats are per process; entries are shared by every ToolCache on the same SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from loopcache.toolcache.aliases import with_aliases
from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.embedder import Embedder, MiniLMEmbedder, call_text
from loopcache.toolcache.key import ToolKey, make_key
from loopcache.toolcache.lookup import CachedToolError, Lookup, Stage
from loopcache.toolcache.semantic import SemanticIndex
from loopcache.toolcache.spec import (DEFAULT_SEMANTIC, DEFAULT_SEMANTIC_THRESHOLD, Invalidation, Scope,
                                      SemanticPolicy, ToolSpec, parse_definition, with_formats,
                                      with_inference)
from loopcache.toolcache.sqlite_store import SQLiteStore
from loopcache.toolcache.stats import CacheStats, StatsCounter
from loopcache.toolcache.store import Entry, IntegrityReport, MemoryStore, Store
from loopcache.toolcache.verify import Verdict, has_free_text, verify_call

logger = logging.getLogger(__name__)
_PURGE_EVERY_PUTS = 256


def default_cache_path() -> Path:
    home = os.environ.get("LOOPCACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "loopcache")
    return Path(home) / "toolcache.sqlite3"


class ToolCache:
    """The tool-call cache. `path=":memory:"` (or `store=MemoryStore()`) for a throwaway cache.

    `session` is the default session id for calls that pass none; `namespace` names the tenant whose
    namespace-scoped tools share entries. `embedder` defaults to MiniLM, loaded on first semantic lookup.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, store: Store | None = None,
                 embedder: Embedder | None = None, session: str = "default", namespace: str = "default",
                 clock: Callable[[], float] = time.time) -> None:
        if store is None:
            store = MemoryStore() if str(path) == ":memory:" else SQLiteStore(path or default_cache_path())
        self.store = store
        self.session = session
        self.namespace = namespace
        self._embedder = embedder
        self._index: SemanticIndex | None = None
        self._clock = clock
        self._specs: dict[str, ToolSpec] = {}
        self._stats = StatsCounter()
        self._puts = 0

    def __enter__(self) -> ToolCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- registration -----------------------------------------------------------------------------------

    def register(self, spec: ToolSpec) -> ToolSpec:
        """Register (or replace) a tool's spec. Returns it."""
        self._specs[spec.name] = spec
        return spec

    def register_tool(self, tool: str | Mapping[str, Any] | Any, parameters_schema: Mapping[str, Any] | None = None,
                      *, read_only: bool | None = None, ttl: float | None = None,
                      semantic: bool | SemanticPolicy | None = DEFAULT_SEMANTIC, threshold: float | None = None,
                      scope: Scope | str = Scope.SESSION, invalidates: Iterable[Invalidation] | None = None,
                      cache_errors: bool = False, formats: Mapping[str, str] | None = None,
                      aliases: Mapping[str, Mapping[str, str]] | None = None, infer: bool = True) -> ToolSpec:
        """Register a tool by name + parameters schema, or from an OpenAI / MCP tool definition.

        `read_only` defaults to the definition's MCP `readOnlyHint`, else False (never cached).
        `semantic=True` turns the semantic stage on, False (`spec.DEFAULT_SEMANTIC`: exact stage only) off, None
        on for a read-only tool (it runs only for calls with free-text arguments: `verify.has_free_text`);
        `threshold` is its cosine similarity threshold (higher = stricter, default 0.8). Pass a `SemanticPolicy` for full
        control. `formats` says what arguments are where the schema does not (`{"address": "address"}`;
        formats.py lists them). `aliases` names an argument's values the tool answers alike
        (`{"competition": {"EPL": "English Premier League"}}`; aliases.py). `infer=False` turns off every rule
        read from names, descriptions and values, for a tool they read wrongly: only what the schema and these
        arguments declare makes two calls one (canonical.py); the semantic stage, whose verify reads those rules,
        is then off (asking for it raises ValueError).
        """
        hint = None
        if isinstance(tool, str):
            name, schema = tool, dict(parameters_schema or {"type": "object"})
        else:
            definition = parse_definition(tool)
            name, schema, hint = definition.name, dict(parameters_schema or definition.parameters), \
                definition.read_only_hint
        schema = with_inference(with_aliases(with_formats(schema, formats), aliases), infer)
        read_only = read_only if read_only is not None else bool(hint)
        if not infer and (semantic is True or (isinstance(semantic, SemanticPolicy) and semantic.enabled)):
            raise ValueError(f"tool {name!r}: the semantic stage needs the inferred rules (infer=False turns them off)")
        if isinstance(semantic, SemanticPolicy):
            policy = semantic
        else:
            enabled = (semantic if semantic is not None else read_only) and infer
            policy = SemanticPolicy(enabled=enabled,
                                    threshold=threshold if threshold is not None else DEFAULT_SEMANTIC_THRESHOLD)
        spec = ToolSpec(name=name, parameters=schema, read_only=read_only,
                        ttl=ttl, semantic=policy, scope=Scope(scope),
                        invalidates=tuple(invalidates) if invalidates is not None else (Invalidation(),),
                        cache_errors=cache_errors)
        return self.register(spec)

    def spec(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    # -- the pipeline -----------------------------------------------------------------------------------

    def lookup(self, name: str, args: Mapping[str, Any], session: str | None = None) -> Lookup:
        """Run canonicalise -> key -> exact -> semantic -> verify. Mutates nothing but stats."""
        spec = self._specs.get(name)
        if spec is None or not spec.read_only:
            return Lookup(Stage.BYPASS, name, reason="not registered" if spec is None else "not read-only")
        canonical = canonicalize_args(args, spec.parameters, name)
        scope = self._scope(spec, session)
        key = make_key(name, spec.fingerprint, scope, canonical)
        now = self._clock()
        entry = self.store.get(key, now)
        if entry is not None and (spec.cache_errors or not entry.is_error):
            self._stats.add(name, exact_hits=1, saved_seconds=entry.elapsed_s)
            return Lookup(Stage.EXACT, name, scope, key, canonical, entry, 1.0)
        if not spec.semantic.enabled or not has_free_text(canonical, spec.parameters):
            self._stats.add(name, misses=1)
            return Lookup(Stage.MISS, name, scope, key, canonical, reason="no exact match")
        return self._semantic_lookup(spec, scope, key, canonical, now)

    def _semantic_lookup(self, spec: ToolSpec, scope: str, key: ToolKey, canonical: dict[str, Any],
                         now: float) -> Lookup:
        embedder = self._get_embedder()
        vector = embedder.embed([call_text(spec.name, canonical)])[0]
        index = self._get_index(embedder.dim)
        index.catch_up(self.store)
        reason = "no stored call above the similarity threshold"
        for neighbour in index.nearest((spec.name, spec.fingerprint, scope), vector, spec.semantic.top_k,
                                       spec.semantic.threshold):
            candidate = self.store.get(neighbour.key, now)
            if candidate is None or (candidate.is_error and not spec.cache_errors):
                index.remove([neighbour.key])
                continue
            verdict = verify_call(canonical, candidate.args, spec.parameters, spec.semantic.verify)
            if verdict.accepted and verdict.min_similarity is not None and neighbour.similarity < verdict.min_similarity:
                verdict = Verdict(False, f"{verdict.reason}, which needs similarity {verdict.min_similarity}")
            if verdict.accepted:
                self._stats.add(spec.name, semantic_hits=1, saved_seconds=candidate.elapsed_s)
                return Lookup(Stage.SEMANTIC, spec.name, scope, key, canonical, candidate, neighbour.similarity,
                              embedding=vector.tobytes())
            self._stats.add(spec.name, rejected_by_verify=1)
            reason = f"verify rejected (similarity {neighbour.similarity:.3f}): {verdict.reason}"
        self._stats.add(spec.name, misses=1)
        return Lookup(Stage.MISS, spec.name, scope, key, canonical, reason=reason, embedding=vector.tobytes())

    def put(self, lookup: Lookup, result: Any, elapsed_s: float = 0.0, is_error: bool = False) -> bool:
        """Store `result` for the call `lookup` missed. Returns whether it was stored (read-only tool,
        not an error unless cache_errors, JSON-serialisable)."""
        spec = self._specs.get(lookup.tool)
        if spec is None or not spec.read_only or lookup.key is None or lookup.args is None:
            return False
        if is_error and not spec.cache_errors:
            return False
        try:
            result = json.loads(json.dumps(result))
        except (TypeError, ValueError) as error:
            logger.warning("tool %s returned a result JSON cannot hold (%s); not cached", spec.name, error)
            return False
        embedding = lookup.embedding
        if spec.semantic.enabled and embedding is None and has_free_text(lookup.args, spec.parameters):
            embedding = self._get_embedder().embed([call_text(spec.name, lookup.args)])[0].tobytes()
        now = self._clock()
        expires_at = now + spec.ttl if spec.ttl is not None else None
        self.store.put(Entry(lookup.key, spec.name, spec.fingerprint, lookup.scope, dict(lookup.args), result,
                             is_error, now, expires_at, elapsed_s, embedding))
        if embedding is not None and self._index is not None:
            self._index.add((spec.name, spec.fingerprint, lookup.scope), lookup.key,
                            np.frombuffer(embedding, dtype=np.float32))
        self._puts += 1
        if self._puts % _PURGE_EVERY_PUTS == 0:
            self.store.purge_expired(now)
        return True

    # -- calling through the cache ----------------------------------------------------------------------

    def call(self, name: str, args: Mapping[str, Any], fn: Callable[..., Any], session: str | None = None) -> Any:
        """The result of `fn(**args)`, from cache when an equivalent read-only call is stored.

        `fn` runs only on a miss (or a bypass). A side-effecting tool always runs, then applies its
        invalidations. An exception from `fn` propagates and is not cached unless cache_errors.
        """
        lookup = self.lookup(name, args, session)
        if lookup.entry is not None:
            return _answer(lookup.entry)
        started = time.perf_counter()
        try:
            result = fn(**args)
        except Exception as error:
            self.complete(lookup, args, session, _error_result(error), time.perf_counter() - started, True)
            raise
        self.complete(lookup, args, session, result, time.perf_counter() - started, False)
        return result

    async def acall(self, name: str, args: Mapping[str, Any], fn: Callable[..., Awaitable[Any]],
                    session: str | None = None) -> Any:
        """`call()` for async tools. The lookup runs in a worker thread (it may embed or touch disk)."""
        lookup = await asyncio.to_thread(self.lookup, name, args, session)
        if lookup.entry is not None:
            return _answer(lookup.entry)
        started = time.perf_counter()
        try:
            result = await fn(**args)
        except Exception as error:
            await asyncio.to_thread(self.complete, lookup, args, session, _error_result(error),
                                    time.perf_counter() - started, True)
            raise
        await asyncio.to_thread(self.complete, lookup, args, session, result, time.perf_counter() - started,
                                False)
        return result

    def complete(self, lookup: Lookup, args: Mapping[str, Any], session: str | None, result: Any,
                 elapsed_s: float, is_error: bool) -> None:
        """After running the tool for a missed/bypassed `lookup`: store a read-only result (see `put`), or
        apply a side-effecting call's invalidations. For callers that run tools themselves (the MCP proxy)."""
        if is_error:
            self._stats.add(lookup.tool, errors=1)
        if lookup.stage is Stage.BYPASS:
            self._stats.add(lookup.tool, bypassed=1)
            self.record_side_effect(lookup.tool, args, session)
        else:
            self.put(lookup, result, elapsed_s, is_error)

    def tool(self, fn: Callable[..., Any] | None = None, *, name: str | None = None, read_only: bool = False,
             ttl: float | None = None, semantic: bool | SemanticPolicy | None = DEFAULT_SEMANTIC,
             threshold: float | None = None,
             scope: Scope | str = Scope.SESSION, invalidates: Iterable[Invalidation] | None = None,
             cache_errors: bool = False, session: str | None = None, formats: Mapping[str, str] | None = None,
             aliases: Mapping[str, Mapping[str, str]] | None = None, infer: bool = True) -> Any:
        """Decorator for sync and async functions: `@cache.tool(read_only=True, ttl=60, semantic=True)`.

        The schema comes from the signature (annotations -> types, defaults -> defaults); the tool name
        defaults to `module.qualname`.
        """
        from loopcache.toolcache.decorator import wrap_tool

        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            return wrap_tool(self, function, name=name, read_only=read_only, ttl=ttl, semantic=semantic,
                             threshold=threshold, scope=scope, invalidates=invalidates,
                             cache_errors=cache_errors, session=session, formats=formats, aliases=aliases,
                             infer=infer)

        return decorate(fn) if fn is not None else decorate

    # -- invalidation -----------------------------------------------------------------------------------

    def record_side_effect(self, name: str, args: Mapping[str, Any], session: str | None = None) -> int:
        """Apply the invalidations of side-effecting tool `name` (unregistered: drop everything); returns
        how many entries were dropped. Applies to every scope: the world changed for everyone."""
        spec = self._specs.get(name)
        rules = spec.invalidates if spec is not None else (Invalidation(),)
        canonical = canonicalize_args(args, spec.parameters if spec else None, name)
        dropped = 0
        for rule in rules:
            if rule.tool is not None and not rule.match:
                dropped += self.invalidate(rule.tool)
            elif rule.tool is None and not rule.match:
                dropped += self.invalidate()
            else:
                wanted = {arg: canonical.get(arg) for arg in rule.match}
                keys = [e.key for e in self.store.entries(None, rule.tool)
                        if all(e.args.get(arg) == value for arg, value in wanted.items())]
                dropped += self._drop(keys, name)
        return dropped

    def invalidate(self, tool: str | None = None, args: Mapping[str, Any] | None = None,
                   session: str | None = None) -> int:
        """Drop entries: of `tool` (None: all tools), only the call `args` if given, only in `session`'s
        scope if given (else every scope). Returns how many were dropped."""
        spec = self._specs.get(tool) if tool else None
        scope = self._scope(spec, session) if spec is not None and session is not None else (
            f"session:{session}" if session is not None else None)
        if args is not None and tool is not None:
            canonical = canonicalize_args(args, spec.parameters if spec else None, tool)
            keys = [e.key for e in self.store.entries(scope, tool) if e.args == canonical]
        else:
            keys = [e.key for e in self.store.entries(scope, tool)]
        return self._drop(keys, tool or "*")

    def _drop(self, keys: list[ToolKey], tool: str) -> int:
        if not keys:
            return 0
        dropped = self.store.delete(keys)
        if self._index is not None:
            self._index.remove(keys)
        self._stats.add(tool, invalidated=dropped)
        return dropped

    # -- introspection ----------------------------------------------------------------------------------

    def stats(self) -> CacheStats:
        return self._stats.total()

    def stats_by_tool(self) -> dict[str, CacheStats]:
        return self._stats.by_tool()

    def check_integrity(self) -> IntegrityReport:
        """The store's report, plus the semantic index's problems if the index is loaded."""
        report = self.store.check_integrity()
        if self._index is None:
            return report
        return IntegrityReport(report.entries, report.problems + self._index.check_integrity().problems)

    def _scope(self, spec: ToolSpec, session: str | None) -> str:
        if spec.scope is Scope.NAMESPACE:
            return f"namespace:{self.namespace}"
        return f"session:{session if session is not None else self.session}"

    def _get_embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = MiniLMEmbedder()
        return self._embedder

    def _get_index(self, dim: int) -> SemanticIndex:
        if self._index is None:
            self._index = SemanticIndex(dim)
        return self._index


def _error_result(error: Exception) -> dict[str, str]:
    return {"error_type": type(error).__name__, "message": str(error)}


def _answer(entry: Entry) -> Any:
    if entry.is_error:
        result = entry.result if isinstance(entry.result, Mapping) else {}
        raise CachedToolError(f"{result.get('error_type', 'Error')}: {result.get('message', '')} (cached)")
    return entry.result
