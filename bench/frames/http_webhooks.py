"""The frame of the carrier webhooks' handler, with none of its routes: settings, observability
and powertools' resolver without OpenAPI validation (the webhooks read a signed form, which the
handler verifies itself).

bench/imports.py times it beside the handlers, so that what smsgate's own modules add can be
told from what the libraries cost.
"""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from smsgate.observability import logger, metrics, tracer
from smsgate.settings import get_settings

get_settings()
app = APIGatewayHttpResolver()

__all__ = ["app", "logger", "metrics", "tracer"]
