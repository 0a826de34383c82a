"""Opt-outs the carrier manages itself (docs/carriers.md#opt-outs-the-carrier-manages).

Twilio (Advanced Opt-Out, or its default STOP filtering) and AWS End User Messaging SMS (unless
`SelfManagedOptOutsEnabled`) act on a contact's keyword before we see it: they block or unblock
the pair, answer the contact, and forward the message. What they recognised is the contact's
keyword whatever the body says (a custom keyword such as PARAR included), and where the carrier
already answered, a confirmation from us would be a second answer (and, after a STOP, a send
the carrier refuses with 21610).
"""

from typing import Final

from smsgate.models.vocabulary import CarrierName, ReplyKind
from smsgate.policy.normalise import normalise_reply

# Twilio's `OptOutType` parameter of the incoming-message webhook.
TWILIO_OPT_OUT_TYPES: Final[dict[str, ReplyKind]] = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}

# AWS End User Messaging SMS's required opt-out keywords and its HELP keyword; AWS acts on a
# message that *begins* with one. AWS answers no opt-in keyword unless one is configured on the
# number, so an opt-in stays ours to confirm.
AWS_KEYWORDS: Final[dict[str, ReplyKind]] = {
    **dict.fromkeys(
        ("arret", "cancel", "end", "opt-out", "optout", "quit", "remove", "stop", "td", "unsubscribe"),
        "opt_out",
    ),
    "help": "help",
}

# Whether the carrier confirms opt-outs when the deployment does not say: both carriers do by
# default; the simulator answers nothing.
CONFIRMS_BY_DEFAULT: Final[dict[str, bool]] = {"simulator": False, "twilio": True, "aws": True}


def twilio_keyword(opt_out_type: str | None) -> ReplyKind | None:
    """The keyword Twilio reports in `OptOutType` (STOP, START, HELP), if any."""
    return TWILIO_OPT_OUT_TYPES.get((opt_out_type or "").strip().upper())


def aws_keyword(body: str) -> ReplyKind | None:
    """The keyword AWS acts on when it manages the number's opt-outs: the reply's first word."""
    text = normalise_reply(body, lookalikes=False)
    for keyword, kind in AWS_KEYWORDS.items():
        # The reader's form of the keyword ("opt-out" reads "opt out"), whole words only.
        written = normalise_reply(keyword, lookalikes=False)
        if text == written or text.startswith(written + " "):
            return kind
    return None


def carrier_keyword(
    carrier: CarrierName, reported: ReplyKind | None, carrier_manages_opt_outs: bool
) -> ReplyKind | None:
    """The keyword the carrier acted on. Twilio says so itself (`OptOutType`); an AWS reply
    only counts as AWS's when the deployment says AWS manages the number's opt-outs, since a
    self-managed number forwards the keyword untouched."""
    if carrier == "twilio":
        return reported
    if carrier == "aws" and carrier_manages_opt_outs:
        return reported
    return None
