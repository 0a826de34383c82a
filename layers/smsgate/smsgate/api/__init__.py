"""The HTTP API of the send_gate function (SPEC section 10)."""
