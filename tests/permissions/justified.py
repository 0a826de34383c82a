"""Grants no recorded call uses, kept on purpose: (function logical id, action as the role
writes it) → why. `make permissions` lists every other unused grant for removal.

A reason says which code path needs the grant and why the integration and e2e suites do not
exercise it against the role (they run the simulated carrier, for example). An entry reads:

    ("DispatcherFunction", "secretsmanager:GetSecretValue"):
        "the Twilio adapter reads its credentials; the suites run it only in unit tests",
"""

JUSTIFIED: dict[tuple[str, str], str] = {
    ("CarrierWebhooksFunction", "ssm:GetParameter"): (
        "the second resource is the Twilio shared key parameter (HMAC-SHA256 webhook signing), read "
        "only where TwilioSharedKeyParameter is set; the suites sign with the auth token alone"
    ),
}
