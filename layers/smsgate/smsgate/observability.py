"""Logger, Tracer and Metrics from one place (STYLE rule 7).

Phone numbers and bodies never go to a log in clear: log `mask_phone(...)` and lengths. The
logger's formatter is the safety net behind that rule (docs/guarantees.md#logs-and-metrics): every
line is masked before it is written — any E.164-looking number (with `+`, URL-encoded `%2B`, or 10
to 15 bare digits) and the value of any field named like a number or a body —
whatever a caller passed by mistake.
"""

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord
from aws_lambda_powertools.metrics import MetricUnit

# `+` or `%2B` then 7 to 15 digits; or 10 to 15 digits standing alone. Digits inside a word, an
# ARN (`::123456789012:`), a version or a date are left alone.
_PHONE = re.compile(r"(?:\+|%2[Bb])\d{7,15}|(?<![\w:.+/-])\d{10,15}(?![\w:-]|\.\d)")
# Fields whose value is a number or a message body wherever they appear (Twilio's form fields too).
_SECRET_FIELDS = frozenset({"body", "to", "from", "phone", "contact", "destination", "recipients"})


def mask_numbers(text: str) -> str:
    """`text` with every E.164-looking number cut to its last two digits."""
    return _PHONE.sub(lambda found: f"+***{found.group()[-2:]}", text)


def _masked(value: Any, key: str = "") -> Any:
    if key.lower() in _SECRET_FIELDS and value is not None:
        if isinstance(value, str):
            return f"<{len(value)} characters>"
        if isinstance(value, list | tuple | set):
            return f"<{len(value)} items>"
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, dict):
        return {name: _masked(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


class MaskingFormatter(LambdaPowertoolsFormatter):
    """powertools' JSON formatter, masking numbers and bodies in every field of every line."""

    def serialize(self, log: LogRecord) -> str:
        masked: LogRecord = _masked(log)
        return mask_numbers(super().serialize(masked))


logger = Logger(service="smsgate", logger_formatter=MaskingFormatter())
# botocore is the one library the Tracer patches that smsgate uses (what patch_all traced of
# it too); patch_all would import every other supported driver installed beside it at cold start.
tracer = Tracer(service="smsgate", patch_modules=("botocore",))
metrics = Metrics(namespace="smsgate", service="smsgate")


class UnhandledError(RuntimeError):
    """What a handler raises in place of an exception it did not handle: the runtime writes the
    exception it receives to the log as it is, so it gets one that carries no data."""


Handler = TypeVar("Handler", bound=Callable[..., Any])


def masked_uncaught_errors(handler: Handler) -> Handler:
    """An uncaught exception's traceback goes to the log through the masking formatter; what the
    runtime then logs and reports (its errorMessage and stackTrace) names only the error's type.

    The runtime's own report of an exception would carry the exception's message and traceback
    in clear: a validation error quoting a number, a body in a failed request.
    """

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except Exception as error:
            logger.exception("unhandled error", extra={"error": type(error).__name__})
            raise UnhandledError(f"{type(error).__name__}; its traceback is in the function's log") from None

    return cast(Handler, wrapper)


__all__ = [
    "MetricUnit",
    "UnhandledError",
    "logger",
    "mask_numbers",
    "masked_uncaught_errors",
    "metrics",
    "tracer",
]
