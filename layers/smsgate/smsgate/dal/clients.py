"""AWS clients, created once per thread (Lambda runs one thread; the local stack runs several, and
boto3 resources must not be shared between threads)."""

import threading
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode with a small budget: a throttled call is retried a few times, then the
# request is answered 503 rather than left hanging (issue 11).
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
_local = threading.local()
_generation = 0


def _cache() -> dict[str, Any]:
    if getattr(_local, "generation", None) != _generation:
        _local.generation = _generation
        _local.cache = {}
    cache: dict[str, Any] = _local.cache
    return cache


def dynamodb() -> Any:
    cache = _cache()
    if "dynamodb" not in cache:
        cache["dynamodb"] = boto3.session.Session().resource("dynamodb", config=_CONFIG)
    return cache["dynamodb"]


def table(name: str) -> Any:
    cache = _cache()
    key = f"table:{name}"
    if key not in cache:
        cache[key] = dynamodb().Table(name)
    return cache[key]


def client(service: str) -> Any:
    cache = _cache()
    if service not in cache:
        cache[service] = boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]
    return cache[service]


def sqs() -> Any:
    return client("sqs")


def sns() -> Any:
    return client("sns")


def reset() -> None:
    """Forget every client in every thread (tests start a fresh moto backend per test)."""
    global _generation  # noqa: PLW0603 - one counter shared by every thread
    _generation += 1
