"""The HTTP API of the send_gate function (docs/api.md#routes)."""
