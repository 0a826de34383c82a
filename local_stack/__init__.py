"""The local stack: the whole system on this machine, with moto emulating AWS (docs/local-stack.md)."""
