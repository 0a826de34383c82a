"""AWS clients, created once per process (and again after `reset`, for tests)."""

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode with a small budget: a throttled call is retried a few times, then the
# request is answered 503 rather than left hanging (issue 11).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def dynamodb() -> Any:
    return boto3.resource("dynamodb", config=_CONFIG)


@cache
def table(name: str) -> Any:
    return dynamodb().Table(name)


@cache
def sqs() -> Any:
    return boto3.client("sqs", config=_CONFIG)


@cache
def sns() -> Any:
    return boto3.client("sns", config=_CONFIG)


def reset() -> None:
    """Forget every client (tests start a fresh moto backend per test)."""
    for factory in (dynamodb, table, sqs, sns):
        factory.cache_clear()
