"""HTTP server: OpenAI- and Anthropic-compatible APIs over one engine worker (`loopcache serve`)."""
