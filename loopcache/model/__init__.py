"""Finding, converting and loading models, and computing their fingerprint."""
