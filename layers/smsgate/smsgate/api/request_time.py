"""The request's instant, read once by the Lambda handler and handed down to the routes.

A handler (`functions/send_gate/app.py`, `functions/carrier_webhooks/app.py`) reads the clock
and passes the instant in the resolver's context (`pass_now`); a route reads it back
(`request_now`) and hands it to the services as their `now`. A request thereby has one instant
wherever it is used, and no route reads the clock, as in the queue consumers.
"""

from datetime import datetime
from typing import Final

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

_NOW: Final = "now"


def pass_now(app: BaseRouter, now: datetime) -> None:
    """Hand `now`, the instant the handler received the request at, to the routes of `app`
    (powertools clears the context once the request is answered)."""
    app.context[_NOW] = now


def request_now(router: BaseRouter) -> datetime:
    """The instant the handler received the request at."""
    now = router.context.get(_NOW)
    if not isinstance(now, datetime):
        raise TypeError("the handler passes the request's instant down: smsgate.api.request_time.pass_now")
    return now
