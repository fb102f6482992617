"""Trace audit: read agent traces, find where prompt caching breaks, replay them under cache policies.

Layout: `readers/` turn each log format into `Session`s of `Step`s (`step.py`); `diagnostics/` compute the
four findings (hit rate, dynamic prompt content, tool calls, idle gaps); `simulate/` replays sessions under
cache policies priced from `data/pricing.json`; `report/` renders terminal, JSON and HTML output.
Nothing here imports torch; importing this package does no work.
"""
