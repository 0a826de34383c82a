"""The functions' IAM roles proven from the calls they make (docs/guarantees.md#permissions).

`recorder` notes every AWS call a function's handler makes during the integration and e2e
tests; `calls` names the IAM action and resource each call is authorised against; `roles`
reads each function's role from the translated template; `iam` evaluates a role's statements;
`report` fails the test session on a denied call and lists the grants no call used.
"""
