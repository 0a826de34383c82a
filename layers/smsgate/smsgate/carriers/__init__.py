"""Carrier adapters: the dispatcher's only way to a carrier (docs/architecture.md#functions)."""
