"""Data access: the only place that builds DynamoDB keys and expressions (STYLE rule 3)."""
