"""Adapters to the outside: X, the language model, storage, the demo corpus."""
