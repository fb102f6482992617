"""One reader per trace format; `registry.py` detects the format of a path and dispatches."""
