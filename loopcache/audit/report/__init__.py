"""Renderers of an `AuditReport`: rich terminal tables, a stable JSON document, a self-contained HTML file."""
