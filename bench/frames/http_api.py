"""The frame of an HTTP API handler, with none of its routes: what send_gate imports before
its own code (settings, observability, powertools' resolver with OpenAPI validation).

bench/imports.py times it beside the handlers, so that what smsgate's own modules add can be
told from what the libraries STYLE.md has us use cost.
"""

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from smsgate.observability import logger, metrics, tracer
from smsgate.settings import get_settings

get_settings()
app = APIGatewayHttpResolver(enable_validation=True)

__all__ = ["app", "logger", "metrics", "tracer"]
