"""Use cases: each reads what it needs through `smsgate.dal`, asks `smsgate.policy`, writes the outcome."""
