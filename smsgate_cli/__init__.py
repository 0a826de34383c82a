"""`smsgate`: the operators' command-line tool (docs/operations.md#the-smsgate-command).

It talks to the HTTP API only.
"""
