"""`smsgate`: the operators' command-line tool (issue 12). It talks to the HTTP API only."""
