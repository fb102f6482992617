"""Non-prefix reuse: KV of chunks (tool results, documents, messages) reused at new positions."""
