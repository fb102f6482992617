"""`@cache.tool(...)`: wrap a sync or async Python function so equivalent calls are answered from cache."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from loopcache.toolcache.spec import Invalidation, Scope, SemanticPolicy, schema_from_signature

if TYPE_CHECKING:
    from loopcache.toolcache.cache import ToolCache


def wrap_tool(cache: ToolCache, fn: Callable[..., Any], *, name: str | None, read_only: bool, ttl: float | None,
              semantic: bool | SemanticPolicy, threshold: float | None, scope: Scope | str,
              invalidates: Iterable[Invalidation] | None, cache_errors: bool,
              session: str | None, formats: Mapping[str, str] | None = None,
              aliases: Mapping[str, Mapping[str, str]] | None = None, infer: bool = True) -> Callable[..., Any]:
    """Register `fn` as a tool (schema from its signature) and return the caching wrapper.

    The wrapper binds positional and keyword arguments to parameter names, so `f(1)` and `f(x=1)` are the
    same call; omitted arguments take their defaults. `*args` cannot be named, so it is refused.
    """
    signature = inspect.signature(fn)
    if any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        raise TypeError(f"{fn.__qualname__}: *args cannot be cached by name; use named parameters")
    spec = cache.register_tool(name or f"{fn.__module__}.{fn.__qualname__}", schema_from_signature(fn),
                               read_only=read_only, ttl=ttl, semantic=semantic, threshold=threshold, scope=scope,
                               invalidates=invalidates, cache_errors=cache_errors, formats=formats,
                               aliases=aliases, infer=infer)

    def arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict[str, Any], inspect.BoundArguments]:
        bound = signature.bind(*args, **kwargs)
        named: dict[str, Any] = {}
        for parameter, value in bound.arguments.items():
            if signature.parameters[parameter].kind is inspect.Parameter.VAR_KEYWORD:
                named.update(value)
            else:
                named[parameter] = value
        return named, bound

    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            named, bound = arguments(args, kwargs)

            async def run(**_: Any) -> Any:
                return await fn(*bound.args, **bound.kwargs)

            return await cache.acall(spec.name, named, run, session)

        async_wrapper.cache_spec = spec  # type: ignore[attr-defined]
        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        named, bound = arguments(args, kwargs)
        return cache.call(spec.name, named, lambda **_: fn(*bound.args, **bound.kwargs), session)

    wrapper.cache_spec = spec  # type: ignore[attr-defined]
    return wrapper
