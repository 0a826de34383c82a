"""Logger, Tracer and Metrics from one place (STYLE rule 7).

Phone numbers and bodies never go to a log in clear: log `mask_phone(...)` and lengths.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="smsgate")
tracer = Tracer(service="smsgate")
metrics = Metrics(namespace="smsgate", service="smsgate")

__all__ = ["MetricUnit", "logger", "metrics", "tracer"]
