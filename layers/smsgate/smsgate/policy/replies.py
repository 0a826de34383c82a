"""The mandatory replies to STOP, START and HELP (docs/policy.md#replies), naming the location.

CTIA's Messaging Principles ask that an opt-out confirmation names the program, confirms that
no further messages will be sent and says nothing else (a way back in is allowed); an opt-in
confirmation and the HELP answer name the program and say how to opt out. Each text fits one
GSM-7 segment for a location name of up to 60 characters. The replies are never decorated
(docs/policy.md#sender-id): they already name the sender and the opt-out.
"""

from datetime import datetime, timedelta
from typing import Final

from smsgate.models.vocabulary import ReplyKind

_RATES: Final = "Msg&data rates may apply."
_TEXTS: Final[dict[ReplyKind, str]] = {
    "opt_out": "{name}: You are unsubscribed and will receive no more messages. Reply START to resubscribe.",
    "opt_in": f"{{name}}: You are subscribed again. {_RATES} Reply HELP for help, STOP to unsubscribe.",
    "help": f"{{name}}: For help, reply with your question. {_RATES} Reply STOP to unsubscribe.",
}


# One confirmation per opt-out (docs/inbound.md#one-confirmation): a contact who repeats STOP
# within this long of the confirmed one gets nothing more. The FCC asks for a one-time
# confirmation, sent within five minutes (CONFIRMATION_DEADLINE), and nothing else.
OPT_OUT_CONFIRMATION_WINDOW: Final = timedelta(hours=24)
CONFIRMATION_DEADLINE: Final = timedelta(minutes=5)


def confirmed_before(received_at: datetime) -> datetime:
    """An opt-out confirmed before this moment no longer silences one received at `received_at`."""
    return received_at - OPT_OUT_CONFIRMATION_WINDOW


def reply_text(kind: ReplyKind, location_name: str) -> str:
    """The reply a contact's keyword gets from the location named `location_name`."""
    return _TEXTS[kind].format(name=" ".join(location_name.split()))
