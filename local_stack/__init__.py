"""The local stack: the whole system on this machine, with moto emulating AWS (SPEC section 12)."""
