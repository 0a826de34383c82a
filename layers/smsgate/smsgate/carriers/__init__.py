"""Carrier adapters: the dispatcher's only way to a carrier (SPEC section 1)."""
