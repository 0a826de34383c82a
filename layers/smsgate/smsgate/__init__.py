"""smsgate: the shared layer of the A2P SMS compliance gateway (docs/architecture.md)."""

__version__ = "0.1.0"
