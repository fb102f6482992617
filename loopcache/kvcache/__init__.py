"""KV block storage: hashing, the block format, the Store protocol and its tiers.

This layer knows nothing of models or HTTP: it stores and finds blocks of bytes plus metadata.
"""
