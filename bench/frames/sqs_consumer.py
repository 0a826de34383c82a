"""The frame of an SQS consumer, with no record handler: what the four queue consumers import
before their own code (settings, observability, powertools' batch processor).

bench/imports.py times it beside the handlers, so that what smsgate's own modules add can be
told from what the libraries STYLE.md has us use cost.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

from smsgate.observability import logger, metrics, tracer
from smsgate.settings import get_settings

get_settings()
processor = BatchProcessor(event_type=EventType.SQS)

__all__ = ["logger", "metrics", "processor", "tracer"]
