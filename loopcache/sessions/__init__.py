"""Sessions: registry, retention policies and pins, session-aware eviction, prefetch on resume, compaction."""
