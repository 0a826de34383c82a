"""smsgate: the shared layer of the A2P SMS compliance gateway (SPEC section 1)."""

__version__ = "0.1.0"
